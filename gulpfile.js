const path = require('path');
const { task, src, dest } = require('gulp');

task('build:icons', copyIcons);

// gulp 5 reads files as UTF-8 by default; icons must be copied byte for byte.
function copyIcons() {
	// The codex (.node.json) carries the node's category, aliases and documentation links.
	src(path.resolve('nodes', '**', '*.{png,svg,json}'), { encoding: false }).pipe(
		dest(path.resolve('dist', 'nodes')),
	);
	return src(path.resolve('credentials', '**', '*.{png,svg}'), { encoding: false }).pipe(
		dest(path.resolve('dist', 'credentials')),
	);
}
