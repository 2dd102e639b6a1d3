const { rmSync } = require('fs');
const path = require('path');
const { task, src, dest } = require('gulp');

task('build:icons', copyIcons);
task('clean', clean);

// A build starts from an empty dist/, so nothing from an earlier build (a deleted file, an old
// source map) can end up in the package.
function clean(done) {
	rmSync(path.resolve('dist'), { recursive: true, force: true });
	done();
}

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
