/**
 * n8n in queue mode as the README describes it: one main process (`n8n start`: editor, REST API,
 * webhooks, which it puts on the queue) and workers (`n8n worker`, which run the executions), all
 * sharing one PostgreSQL database, one Redis and one encryption key. Each process gets a user folder
 * of its own with the package installed in it, as separate machines or containers would: nothing
 * passes between them but the database and Redis, so binary data that only lived in one process's
 * folder would not reach the worker running the execution.
 */
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { freePort, log, n8nEnv, spawnN8nLogged, stopGroup, type N8nInstall, type PackedPackage } from './n8n';
import type { Postgres } from './postgres';
import type { Redis } from './redis';

/** One n8n process of the cluster. */
export interface QueueProcess {
	label: string;
	userFolder: string;
	env: NodeJS.ProcessEnv;
	logFile: string;
	/** Everything the process printed so far. */
	output(): string;
	stop(): Promise<void>;
}

export interface QueueMain extends QueueProcess {
	url: string;
}

/**
 * A fresh n8n user folder with the packed package where the README installs it:
 * `.n8n/nodes/node_modules/<name>`, which gives the node types `<name>.sendWhatsAppVideo`.
 */
export function makePackageUserFolder(workDir: string, pkg: PackedPackage, label: string): string {
	const userFolder = mkdtempSync(join(workDir, `user-${label}-`));
	const target = join(userFolder, '.n8n', 'nodes', 'node_modules', pkg.name);
	mkdirSync(target, { recursive: true });
	cpSync(pkg.dir, target, { recursive: true });
	return userFolder;
}

/** The environment every process of the cluster shares, on top of n8nEnv's offline defaults. */
export function queueEnvironment(postgres: Postgres, redis: Redis, extra: Record<string, string> = {}): Record<string, string> {
	return {
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: redis.host,
		QUEUE_BULL_REDIS_PORT: String(redis.port),
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: postgres.host,
		DB_POSTGRESDB_PORT: String(postgres.port),
		DB_POSTGRESDB_DATABASE: postgres.database,
		DB_POSTGRESDB_USER: postgres.user,
		DB_POSTGRESDB_PASSWORD: postgres.password,
		...extra,
	};
}

async function waitForReady(url: string, child: ChildProcess, label: string, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	let lastError = '';
	while (Date.now() < deadline) {
		if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${label} exited (${child.exitCode ?? child.signalCode}) before it was ready`);
		try {
			const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
			await response.text();
			if (response.ok) return;
			lastError = `HTTP ${response.status}`;
		} catch (error) {
			lastError = (error as Error).message;
		}
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	throw new Error(`${label} was not ready at ${url} within ${timeoutMs} ms (${lastError})`);
}

function spawnN8n(install: N8nInstall, env: NodeJS.ProcessEnv, args: string[], label: string): QueueProcess & { child: ChildProcess } {
	const userFolder = String(env.N8N_USER_FOLDER);
	const logFile = join(userFolder, `n8n-${label}.log`);
	const child = spawnN8nLogged(install, env, args, logFile);
	const stop = (): Promise<void> => stopGroup(child, 'SIGTERM', 20_000);
	return { label, userFolder, env, logFile, child, output: () => readFileSync(logFile, 'utf8'), stop };
}

/** `n8n start` on 127.0.0.1 and a free port; ready once its REST API answers. */
/** Told of each process as soon as it is spawned, before it is ready, so a run can always stop it. */
export type OnSpawn = (proc: QueueProcess) => void;

export async function startMain(install: N8nInstall, userFolder: string, shared: Record<string, string>, onSpawn: OnSpawn, timeoutMs = 180_000): Promise<QueueMain> {
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const env = await n8nEnv(install, userFolder, {
		...shared,
		N8N_PORT: String(port),
		N8N_PROTOCOL: 'http',
		N8N_SECURE_COOKIE: 'false',
		N8N_EDITOR_BASE_URL: url,
		WEBHOOK_URL: `${url}/`,
	});
	const main = spawnN8n(install, env, ['start'], 'main');
	onSpawn(main);
	const started = Date.now();
	try {
		await waitForReady(`${url}/healthz/readiness`, main.child, 'n8n start', timeoutMs);
		await waitForReady(`${url}/rest/settings`, main.child, 'n8n start', timeoutMs);
	} catch (error) {
		await main.stop();
		throw error;
	}
	log(`n8n ${install.version} main (queue mode) on ${url} after ${Date.now() - started} ms`);
	return { ...main, url };
}

/** `n8n worker`, with its health server on a free port: ready once it answers /healthz/readiness. */
export async function startWorker(install: N8nInstall, userFolder: string, shared: Record<string, string>, label: string, concurrency: number, onSpawn: OnSpawn, timeoutMs = 180_000): Promise<QueueProcess> {
	const healthPort = await freePort();
	const env = await n8nEnv(install, userFolder, {
		...shared,
		QUEUE_HEALTH_CHECK_ACTIVE: 'true',
		QUEUE_HEALTH_CHECK_PORT: String(healthPort),
		N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
	});
	const worker = spawnN8n(install, env, ['worker', `--concurrency=${concurrency}`], label);
	onSpawn(worker);
	const started = Date.now();
	try {
		await waitForReady(`http://127.0.0.1:${healthPort}/healthz/readiness`, worker.child, `n8n worker (${label})`, timeoutMs);
	} catch (error) {
		await worker.stop();
		throw error;
	}
	log(`n8n ${install.version} ${label} ready after ${Date.now() - started} ms`);
	return worker;
}

/**
 * Polls a production webhook URL with GET: once the webhook is registered, n8n answers that it takes POST
 * only. (A POST would start an execution.)
 */
export async function webhookRegistered(main: QueueMain, path: string, timeoutMs: number): Promise<boolean> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		const response = await fetch(`${main.url}/webhook/${path}`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
		const text = (await response?.text()) ?? '';
		if (text.includes('Did you mean to make a POST request?')) return true;
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
	return false;
}

/** Which execution ids each worker's log says it ran ("Worker started execution <id> (job <n>)"). */
export function executionsRunBy(worker: QueueProcess): string[] {
	return [...worker.output().matchAll(/Worker started execution (\d+) \(job/g)].map((m) => m[1]);
}

/** What a webhook of a workflow that answers with its last node's items gave back. */
export interface WebhookAnswer {
	status: number;
	items: Array<Record<string, unknown>>;
	/** The start of the body, to show when the call failed. */
	text: string;
}

/** Posts a recipient list to a production webhook of the main process and reads the items it answers with. */
export async function postRecipients(main: QueueMain, path: string, recipients: unknown[]): Promise<WebhookAnswer> {
	const response = await fetch(`${main.url}/webhook/${path}`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ recipients }),
		signal: AbortSignal.timeout(120_000),
	});
	const text = await response.text();
	return { status: response.status, items: response.ok ? (JSON.parse(text) as Array<Record<string, unknown>>) : [], text: text.slice(0, 300) };
}
