const { existsSync, readFileSync, realpathSync } = require('node:fs');
const { dirname, join } = require('node:path');

/**
 * The modules the engine under test comes from. `npm test` uses this repository's devDependencies;
 * `npm run test:compat` (scripts/compat.sh) sets N8N_COMPAT_DIR to an n8n installation and the
 * suite then runs against the n8n-workflow, n8n-core, @n8n/di and @n8n/backend-common that this
 * n8n release itself loads. Every require of them, from the node, the tests and the installation's
 * own packages, maps to one copy, so `instanceof` checks see a single n8n-workflow.
 */
const ENGINE_PACKAGES = ['n8n-workflow', 'n8n-core', '@n8n/di', '@n8n/backend-common'];

/** Where Node's resolution finds package `name` from directory `from` (its root, symlinks resolved). */
function packageRoot(name, from) {
	for (let dir = from; ; dir = dirname(dir)) {
		const candidate = join(dir, 'node_modules', name);
		if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
		if (dirname(dir) === dir) throw new Error(`test:compat: ${name} is not installed under ${from}`);
	}
}

const escape = (name) => name.replace(/[/\\^$*+?.()|[\]{}-]/g, '\\$&');

function compatModules(installDir) {
	const n8n = packageRoot('n8n', installDir);
	const core = packageRoot('n8n-core', n8n);
	const versionOf = (root) => JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
	// The copies n8n-core itself loads: those are the ones a community node meets inside this n8n.
	const roots = Object.fromEntries(ENGINE_PACKAGES.map((name) => [name, name === 'n8n-core' ? core : packageRoot(name, core)]));
	const workflowOfN8n = packageRoot('n8n-workflow', n8n);
	if (workflowOfN8n !== roots['n8n-workflow']) {
		throw new Error(`test:compat: n8n and n8n-core load different n8n-workflow copies (${workflowOfN8n}, ${roots['n8n-workflow']})`);
	}
	const moduleNameMapper = {};
	for (const [name, root] of Object.entries(roots)) {
		moduleNameMapper[`^${escape(name)}$`] = require.resolve(name, { paths: [dirname(root)] });
		moduleNameMapper[`^${escape(name)}/(.*)$`] = `${root}/$1`;
	}
	const lines = [
		`test:compat: n8n ${versionOf(n8n)} (${installDir}) on Node ${process.versions.node}`,
		...Object.entries(roots).map(([name, root]) => `  ${name} ${versionOf(root)}  ${root}`),
	];
	process.stderr.write(`${lines.join('\n')}\n`);
	return moduleNameMapper;
}

/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
	},
	testTimeout: 30000,
	// Jest's transform cache, kept with the dependencies instead of in the temp directory.
	cacheDirectory: '<rootDir>/node_modules/.cache/jest',
	globalSetup: '<rootDir>/test/harness/globalSetup.ts',
	globalTeardown: '<rootDir>/test/harness/globalTeardown.ts',
	setupFiles: ['<rootDir>/test/harness/env.ts'],
	setupFilesAfterEnv: ['<rootDir>/test/harness/teardown.ts'],
	...(process.env.N8N_COMPAT_DIR ? { moduleNameMapper: compatModules(process.env.N8N_COMPAT_DIR) } : {}),
};
