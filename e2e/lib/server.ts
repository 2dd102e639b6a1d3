/** `n8n start` on 127.0.0.1 for the browser test, with the owner account set up through the REST API. */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import { freePort, log, n8nEnv, spawnN8nLogged, stopGroup, type N8nInstall } from './n8n';

export const OWNER = {
	email: 'owner@example.com',
	firstName: 'E2E',
	lastName: 'Owner',
	password: 'E2e-Owner-Passw0rd',
};

export interface N8nServer {
	url: string;
	port: number;
	/** The n8n process, leader of its process group (for measuring what the group uses). */
	pid: number;
	logFile: string;
	stop(): Promise<void>;
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	let lastError = '';
	while (Date.now() < deadline) {
		if (child.exitCode !== null) throw new Error(`n8n exited with ${child.exitCode} before it answered ${url}`);
		try {
			const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
			if (response.ok) return;
			lastError = `HTTP ${response.status}`;
		} catch (error) {
			lastError = (error as Error).message;
		}
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	throw new Error(`n8n did not answer ${url} within ${timeoutMs} ms (${lastError})`);
}

/**
 * `n8n start` on 127.0.0.1 and a free port. `extraEnv` adds to or overrides the environment, e.g.
 * a port-less `WEBHOOK_URL` for the status trigger (360dialog refuses URLs with a port).
 */
export async function startN8nServer(install: N8nInstall, userFolder: string, timeoutMs = 180_000, extraEnv: Record<string, string> = {}): Promise<N8nServer> {
	const port = await freePort();
	const env = await n8nEnv(install, userFolder, {
		N8N_PORT: String(port),
		N8N_PROTOCOL: 'http',
		N8N_SECURE_COOKIE: 'false',
		N8N_EDITOR_BASE_URL: `http://127.0.0.1:${port}`,
		WEBHOOK_URL: `http://127.0.0.1:${port}/`,
		...extraEnv,
	});
	const logFile = join(userFolder, 'n8n-start.log');
	const child = spawnN8nLogged(install, env, ['start'], logFile);
	const url = `http://127.0.0.1:${port}`;
	const stop = (): Promise<void> => stopGroup(child, 'SIGTERM', 15_000);
	try {
		const started = Date.now();
		await waitForHttp(`${url}/healthz/readiness`, child, timeoutMs);
		// The editor's settings answer once the REST API is mounted.
		await waitForHttp(`${url}/rest/settings`, child, timeoutMs);
		log(`n8n ${install.version} listening on ${url} after ${Date.now() - started} ms`);
	} catch (error) {
		await stop();
		throw error;
	}
	return { url, port, pid: child.pid as number, logFile, stop };
}

/** POST /rest/owner/setup: the first user becomes the instance owner. */
export async function setupOwner(url: string): Promise<void> {
	const response = await fetch(`${url}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify(OWNER),
	});
	if (!response.ok) throw new Error(`POST /rest/owner/setup answered ${response.status}: ${await response.text()}`);
}
