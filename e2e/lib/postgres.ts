/**
 * A throwaway PostgreSQL server for the queue-mode test: a fresh cluster in a temporary folder,
 * listening on 127.0.0.1 and a free port, with one database and one password-protected user for
 * n8n. No system service is touched. PostgreSQL refuses to run as root, so when this runs as root
 * the server runs as the unprivileged `postgres` user (Debian's package creates it) via setpriv.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, createWriteStream, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

import { freePort, log, makeWorkDir, removeDir, stopGroup } from './n8n';

export interface Postgres {
	host: string;
	port: number;
	database: string;
	user: string;
	/** Random for each run; never printed. */
	password: string;
	logFile: string;
	/** Runs one SQL statement with psql and returns its rows, columns separated by `|`. */
	query(sql: string): string[][];
	stop(): Promise<void>;
}

/** The newest PostgreSQL under /usr/lib/postgresql (Debian's layout), or undefined. */
export function postgresBinDir(): string | undefined {
	const root = '/usr/lib/postgresql';
	if (!existsSync(root)) return undefined;
	const versions = readdirSync(root)
		.filter((name) => existsSync(join(root, name, 'bin', 'initdb')))
		.sort((a, b) => Number(b) - Number(a));
	return versions.length ? join(root, versions[0], 'bin') : undefined;
}

interface RunAs {
	/** Prefix for every PostgreSQL command: empty when this process is not root. */
	prefix: string[];
	uid: number;
	gid: number;
}

function unprivileged(): RunAs {
	if (userInfo().uid !== 0) return { prefix: [], uid: userInfo().uid, gid: userInfo().gid };
	const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
	const uid = id('-u');
	const gid = id('-g');
	if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root, but there is no `postgres` user to run PostgreSQL as (apt-get install postgresql creates it)');
	return { prefix: ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'], uid, gid };
}

export async function startPostgres(timeoutMs = 60_000): Promise<Postgres> {
	const bin = postgresBinDir();
	if (!bin) throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); apt-get install postgresql');
	const runAs = unprivileged();
	const root = makeWorkDir('n8n-queue-postgres-');
	const dataDir = join(root, 'data');
	const socketDir = join(root, 'socket');
	mkdirSync(socketDir);
	const passwordFile = join(root, 'password');
	const password = randomBytes(18).toString('base64url');
	writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
	for (const path of [root, socketDir, passwordFile]) chownSync(path, runAs.uid, runAs.gid);
	chmodSync(root, 0o700);
	const user = 'n8n';
	const database = 'n8n';
	const port = await freePort();
	const host = '127.0.0.1';
	const logFile = join(root, 'postgres.log');
	const env = { ...process.env, PGPASSWORD: password, PGHOST: host, PGPORT: String(port), PGUSER: user, LC_ALL: 'C' };

	const command = (name: string, args: string[]): { status: number | null; output: string } => {
		const [file, ...rest] = [...runAs.prefix, join(bin, name), ...args];
		const result = spawnSync(file, rest, { env, cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
		return { status: result.status, output: `${result.stdout}${result.stderr}` };
	};

	let child: ChildProcess | undefined;
	const stop = async (): Promise<void> => {
		// SIGINT is PostgreSQL's fast shutdown: running sessions are ended, nothing is kept.
		if (child) await stopGroup(child, 'SIGINT', 10_000);
		removeDir(root);
	};

	try {
		const init = command('initdb', ['-D', dataDir, '-U', user, `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-sync', '--no-instructions']);
		if (init.status !== 0) throw new Error(`initdb failed (${init.status}):\n${init.output}`);
		const [file, ...args] = [
			...runAs.prefix,
			join(bin, 'postgres'),
			'-D', dataDir,
			'-p', String(port),
			'-k', socketDir,
			'-c', `listen_addresses=${host}`,
			// Throwaway data: no durability wanted, only speed.
			'-c', 'fsync=off',
			'-c', 'synchronous_commit=off',
			'-c', 'full_page_writes=off',
		];
		const out = createWriteStream(logFile);
		child = spawn(file, args, { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
		child.stdout?.pipe(out);
		child.stderr?.pipe(out);
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode} before accepting connections (log: ${logFile})`);
			if (command('pg_isready', ['-q', '-d', 'postgres']).status === 0) break;
			if (Date.now() > deadline) throw new Error(`postgres did not accept connections within ${timeoutMs} ms (log: ${logFile})`);
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
		const created = command('createdb', ['-O', user, database]);
		if (created.status !== 0) throw new Error(`createdb ${database} failed (${created.status}):\n${created.output}`);
	} catch (error) {
		await stop();
		throw error;
	}
	log(`PostgreSQL (${bin.split('/').slice(-2, -1)[0]}) on ${host}:${port}, database ${database}, user ${user}${runAs.prefix.length ? ' (run as the postgres user)' : ''}`);

	const query = (sql: string): string[][] => {
		const result = command('psql', ['-d', database, '-v', 'ON_ERROR_STOP=1', '-At', '-F', '|', '-c', sql]);
		if (result.status !== 0) throw new Error(`psql failed (${result.status}): ${result.output}`);
		return result.output
			.split('\n')
			.filter((line) => line !== '')
			.map((line) => line.split('|'));
	};
	return { host, port, database, user, password, logFile, query, stop };
}
