/**
 * A throwaway Redis server for the queue-mode test: 127.0.0.1 on a free port, nothing written to
 * disk, its working folder a temporary one. No system service is touched.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

import { freePort, log, makeWorkDir, removeDir, stopGroup } from './n8n';

export interface Redis {
	host: string;
	port: number;
	logFile: string;
	stop(): Promise<void>;
}

export function redisInstalled(): boolean {
	return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Sends PING over a fresh connection; true on `+PONG`. */
function ping(host: string, port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = connect(port, host);
		let answer = '';
		const done = (ok: boolean): void => {
			socket.destroy();
			resolve(ok);
		};
		socket.setTimeout(2000, () => done(false));
		socket.on('error', () => done(false));
		socket.on('connect', () => socket.write('PING\r\n'));
		socket.on('data', (chunk: Buffer) => {
			answer += chunk.toString();
			if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
		});
	});
}

export async function startRedis(timeoutMs = 30_000): Promise<Redis> {
	if (!redisInstalled()) throw new Error('redis-server is not installed; apt-get install redis-server');
	const dir = makeWorkDir('n8n-queue-redis-');
	const host = '127.0.0.1';
	const port = await freePort();
	const logFile = join(dir, 'redis.log');
	const out = createWriteStream(logFile);
	const child = spawn(
		'redis-server',
		['--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
		{ cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
	);
	child.stdout?.pipe(out);
	child.stderr?.pipe(out);
	const stop = async (): Promise<void> => {
		await stopGroup(child, 'SIGTERM', 5_000);
		removeDir(dir);
	};
	const deadline = Date.now() + timeoutMs;
	while (!(await ping(host, port))) {
		if (child.exitCode !== null || Date.now() > deadline) {
			await stop();
			throw new Error(`redis-server did not answer PING on ${host}:${port} within ${timeoutMs} ms`);
		}
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	log(`Redis on ${host}:${port}`);
	return { host, port, logFile, stop };
}
