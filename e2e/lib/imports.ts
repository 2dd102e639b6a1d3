/**
 * What the packed package takes from `n8n-workflow` at run time, and whether an n8n install's own
 * `n8n-workflow` has it. The package runs against whichever n8n-workflow the user's n8n ships (the
 * peer dependency is `*`), so a name that exists in the version the package was built against but
 * not in the user's makes the node fail when that code runs (`(0, n8n_workflow_1.x) is not a function`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import { nodeScriptJson, type N8nInstall } from './n8n';

export interface RuntimeImport {
	/** Path inside the package, e.g. `dist/nodes/SendWhatsAppVideo/download.js`. */
	file: string;
	name: string;
}

export interface ImportScan {
	imports: RuntimeImport[];
	/** Files that load n8n-workflow in a way the scan cannot read name by name (it must not guess). */
	unreadable: Array<{ file: string; snippet: string }>;
	/** Every JS file looked at. */
	files: string[];
}

const MODULE = String.raw`["']n8n-workflow["']`;
const IDENT = String.raw`[A-Za-z_$][\w$]*`;

function jsFiles(dir: string): string[] {
	const found: string[] = [];
	for (const entry of readdirSync(dir, { withFileTypes: true })) {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) found.push(...jsFiles(path));
		else if (entry.isFile() && /\.(c|m)?js$/.test(entry.name)) found.push(path);
	}
	return found;
}

/** `{ a, b: c, d = 1, ...rest }` -> the exported names a, b, d (a rest element takes everything: unreadable). */
function destructuredNames(pattern: string): string[] | undefined {
	const names: string[] = [];
	for (const raw of pattern.split(',')) {
		const part = raw.trim();
		if (!part) continue;
		if (part.startsWith('...')) return undefined;
		const match = new RegExp(`^(${IDENT})\\s*(?::|=|$)`).exec(part);
		if (!match) return undefined;
		names.push(match[1]);
	}
	return names;
}

/** `import { a, b as c } from 'n8n-workflow'` -> a, b. */
function importedNames(specifiers: string): string[] {
	return specifiers
		.split(',')
		.map((s) => s.trim().replace(/^type\s+/, ''))
		.filter(Boolean)
		.map((s) => s.split(/\s+as\s+/)[0].trim());
}

/**
 * Reads every runtime use of n8n-workflow in the package's JS: tsc's
 * `const n8n_workflow_1 = require("n8n-workflow")` followed by `n8n_workflow_1.<name>` accesses,
 * destructuring (`const { a, b } = require(...)`), `require(...).name`, and ES `import { a } from`.
 * Any other use of the module (passed around whole, `import *`) is listed as unreadable.
 */
export function scanRuntimeImports(packageDir: string): ImportScan {
	const scan: ImportScan = { imports: [], unreadable: [], files: [] };
	const seen = new Set<string>();
	const add = (file: string, name: string): void => {
		const key = `${file}\0${name}`;
		if (seen.has(key) || name === 'default' || name === '__esModule') return;
		seen.add(key);
		scan.imports.push({ file, name });
	};
	for (const path of jsFiles(join(packageDir, 'dist')).sort()) {
		const file = relative(packageDir, path).split('\\').join('/');
		scan.files.push(file);
		const source = readFileSync(path, 'utf8');
		// Every place the module is named; each must be accounted for by one of the forms below.
		const mentions = [...source.matchAll(new RegExp(`(?:require\\s*\\(\\s*${MODULE}\\s*\\)|from\\s*${MODULE}|import\\s*\\(\\s*${MODULE}\\s*\\))`, 'g'))];
		let understood = 0;

		// const n8n_workflow_1 = require("n8n-workflow");  (also wrapped in __importStar/__importDefault)
		const bindingRe = new RegExp(
			`(?:const|let|var)\\s+(${IDENT})\\s*=\\s*(?:__import(?:Star|Default)\\s*\\(\\s*)?require\\s*\\(\\s*${MODULE}\\s*\\)(?!\\s*\\.)\\s*\\)?`,
			'g',
		);
		for (const match of source.matchAll(bindingRe)) {
			understood += 1;
			const binding = match[1];
			const uses = [...source.matchAll(new RegExp(`(?<![\\w$.])${binding.replace(/\$/g, '\\$')}\\s*(\\.\\s*(${IDENT})|\\[\\s*["'](${IDENT})["']\\s*\\]|)`, 'g'))];
			for (const use of uses) {
				if (use.index === match.index + match[0].indexOf(binding)) continue; // the declaration itself
				const name = use[2] ?? use[3];
				if (name) add(file, name);
				else scan.unreadable.push({ file, snippet: source.slice(Math.max(0, (use.index ?? 0) - 40), (use.index ?? 0) + 60) });
			}
		}
		// const { a, b: c } = require("n8n-workflow");
		for (const match of source.matchAll(new RegExp(`(?:const|let|var)\\s*\\{([^}]*)\\}\\s*=\\s*require\\s*\\(\\s*${MODULE}\\s*\\)`, 'g'))) {
			understood += 1;
			const names = destructuredNames(match[1]);
			if (names) names.forEach((name) => add(file, name));
			else scan.unreadable.push({ file, snippet: match[0] });
		}
		// require("n8n-workflow").name
		for (const match of source.matchAll(new RegExp(`require\\s*\\(\\s*${MODULE}\\s*\\)\\s*\\.\\s*(${IDENT})`, 'g'))) {
			understood += 1;
			add(file, match[1]);
		}
		// import { a, b as c } from 'n8n-workflow';  (import type is erased by tsc and would not name a runtime value)
		for (const match of source.matchAll(new RegExp(`import\\s*(type\\s+)?\\{([^}]*)\\}\\s*from\\s*${MODULE}`, 'g'))) {
			understood += 1;
			if (!match[1]) importedNames(match[2]).forEach((name) => add(file, name));
		}
		if (understood < mentions.length) {
			for (const mention of mentions) {
				const at = mention.index ?? 0;
				scan.unreadable.push({ file, snippet: source.slice(Math.max(0, at - 60), at + mention[0].length + 30) });
			}
		}
	}
	return scan;
}

export interface WorkflowModule {
	/** Where n8n's own n8n-workflow lives in the install. */
	path: string;
	version: string;
	exportCount: number;
	/** Of the names asked about, those the module does not have (undefined value). */
	missing: string[];
}

/**
 * Loads the install's own n8n-workflow with the install's node: the copy a community node gets.
 * n8n (load-nodes-and-credentials.js, in 2.8 and 2.41) sets NODE_PATH to its own module search
 * paths before loading custom and community nodes, so their `require("n8n-workflow")` resolves as
 * it would from n8n's `dist/` folder.
 */
export function loadInstallWorkflow(install: N8nInstall, names: string[]): Promise<WorkflowModule> {
	const script = `
const path = require('path');
const from = (request, dir) => require.resolve(request, { paths: [dir] });
const n8nDir = path.dirname(from('n8n/package.json', process.argv[1]));
const entry = from('n8n-workflow', path.join(n8nDir, 'dist'));
const mod = require(entry);
let dir = path.dirname(entry);
while (!require('fs').existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
const names = JSON.parse(process.argv[2]);
process.stdout.write(JSON.stringify({
	path: dir,
	version: require(path.join(dir, 'package.json')).version,
	exportCount: Object.keys(mod).length,
	missing: names.filter((name) => mod[name] === undefined),
}));
`;
	return nodeScriptJson<WorkflowModule>(install, script, [install.dir, JSON.stringify(names)], 'loading n8n-workflow');
}
