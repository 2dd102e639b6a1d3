#!/usr/bin/env node
/**
 * Lints this package the way n8n's `@n8n/scan-community-package` does before it verifies a
 * community node, without publishing it first.
 *
 *   node e2e/scan-lint.mjs                         build, npm pack, unpack, lint
 *   node e2e/scan-lint.mjs --package-dir <dir>     lint an already unpacked tarball (its package/ folder)
 *
 * The scanner itself (`npx @n8n/scan-community-package <name>`) only takes a published package:
 * it checks npm provenance, downloads the attested source from GitHub and the tarball from npm,
 * then runs ESLint twice, with inline `eslint-disable` comments ignored (allowInlineConfig: false):
 *   - the source leg: `package.json` and `{nodes,credentials}/**\/*.{js,ts,json}` of the source;
 *   - the tarball leg: every `**\/*.js` and `package.json` of the unpacked tarball.
 * This script imports the scanner's own `buildScanConfig` (its pinned
 * `@n8n/eslint-plugin-community-nodes` recommended config + `no-console` + the
 * `eslint-plugin-n8n-nodes-base` rule sets) and file patterns from the installed devDependency
 * `@n8n/scan-community-package`, runs both legs on the working tree and on the packed tarball, and
 * fails on any message at all, warnings included (the scanner fails on errors only). It also asks the
 * scanner's `analyzePackage` for its own verdict on both legs. Nothing here touches the network.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ESLint } from 'eslint';
import glob from 'fast-glob';
import { analyzePackage, buildScanConfig, SOURCE_FILE_PATTERNS } from '@n8n/scan-community-package/scanner/scanner.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The tarball leg's patterns, as in the scanner's analyzePackageByName. */
const TARBALL_FILE_PATTERNS = ['**/*.js', 'package.json'];

function run(command, args, cwd) {
	const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
	if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
	return result.stdout;
}

function packAndUnpack(workDir) {
	run('npm', ['run', 'build', '--silent'], ROOT);
	const packDir = join(workDir, 'pack');
	mkdirSync(packDir, { recursive: true });
	const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', packDir], ROOT));
	const unpacked = join(workDir, 'unpacked');
	mkdirSync(unpacked, { recursive: true });
	run('tar', ['-xzf', join(packDir, packed.filename), '-C', unpacked], ROOT);
	return join(unpacked, 'package');
}

/** The scanner's ESLint setup, returning every message (warnings too). */
async function lintLikeScanner(dir, patterns) {
	const eslint = new ESLint({
		cwd: dir,
		allowInlineConfig: false,
		overrideConfigFile: true,
		overrideConfig: await buildScanConfig(),
	});
	const files = glob.sync(patterns, { cwd: dir, absolute: true, ignore: ['node_modules/**', '**/package-lock.json'] });
	const results = await eslint.lintFiles(files);
	const messages = results.flatMap((r) =>
		r.messages.map((m) => `${relative(dir, r.filePath)}:${m.line}:${m.column} ${m.severity === 2 ? 'error' : 'warning'} ${m.message} (${m.ruleId ?? 'parse'})`),
	);
	return { files: files.map((f) => relative(dir, f)).sort(), messages };
}

async function main() {
	const argIndex = process.argv.indexOf('--package-dir');
	let workDir;
	let packageDir;
	if (argIndex !== -1) {
		packageDir = process.argv[argIndex + 1];
		if (!packageDir) throw new Error('--package-dir needs a folder');
	} else {
		workDir = mkdtempSync(join(tmpdir(), 'wa-video-scan-'));
		packageDir = packAndUnpack(workDir);
	}
	let failed = 0;
	let passed = 0;
	try {
		const legs = [
			{ name: 'source (working tree)', dir: ROOT, patterns: SOURCE_FILE_PATTERNS },
			{ name: 'packed tarball', dir: packageDir, patterns: TARBALL_FILE_PATTERNS },
		];
		for (const leg of legs) {
			const { files, messages } = await lintLikeScanner(leg.dir, leg.patterns);
			const verdict = await analyzePackage(leg.dir, leg.patterns);
			console.log(`scanner rule set, ${leg.name}: ${files.length} files (${leg.patterns.join(', ')})`);
			for (const file of files) console.log(`  ${file}`);
			const ok = files.length > 0 && messages.length === 0 && verdict.passed;
			if (!ok) {
				if (files.length === 0) console.log('  no files matched');
				for (const message of messages) console.log(`  ${message}`);
				if (!verdict.passed) console.log(`  scanner verdict: ${verdict.message}\n${verdict.details ?? ''}`);
				failed += 1;
			} else {
				console.log('  nothing reported; scanner verdict: passed');
				passed += 1;
			}
		}
	} finally {
		if (workDir) rmSync(workDir, { recursive: true, force: true });
	}
	console.log(`scan-lint: ${passed} passed, ${failed} failed`);
	return failed === 0 ? 0 : 1;
}

main().then(
	(code) => process.exit(code),
	(error) => {
		console.error(`scan-lint failed: ${error?.stack ?? error}`);
		process.exit(1);
	},
);
