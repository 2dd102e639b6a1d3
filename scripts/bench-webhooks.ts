/**
 * `npm run bench:webhooks`: the status trigger against n8n's own Webhook node under a campaign's
 * status webhooks, in real n8n 2.41.1 (`n8n start`, one process, SQLite), same load, same run.
 *
 * Two workflows, each in a fresh n8n user folder and a fresh `n8n start` (one after the other):
 *  - trigger: WhatsApp Video Status Trigger (Meta) -> HTTP Request to a local sink;
 *  - webhook: n8n's Webhook node (POST, Respond Immediately) -> the same HTTP Request.
 * Each gets BENCH_WEBHOOK_RATE signed Meta status webhooks a second (default 240, about what a
 * campaign at WhatsApp's 80 messages a second brings) for BENCH_WEBHOOK_SECONDS (default 5): one
 * status per webhook, each message sent, delivered and read. Posts are due on a fixed schedule,
 * whatever n8n answers, over at most BENCH_WEBHOOK_CONNECTIONS connections (default 100, as a
 * provider delivers over a bounded number of connections; 0 for a new one whenever all are busy):
 * a post that finds them all busy waits for one, and that wait counts in its answer time.
 *
 * For each: median and p99 answer time (from the scheduled send to the end of n8n's answer), answers
 * other than 200, time to drain (the sink's last request after n8n's last answer), n8n's peak RSS
 * (VmRSS summed over n8n's process group, every 100 ms) and the statuses the sink got against those
 * sent (each exactly once). Then trigger / webhook ratios. Ratios, not absolute times: the machine
 * decides those. Exits 1 when a status did not arrive exactly once.
 *
 * Env: BENCH_WEBHOOK_RATE, BENCH_WEBHOOK_SECONDS, BENCH_WEBHOOK_ONLY=trigger|webhook (one side),
 * BENCH_WEBHOOK_PACKAGE (a folder with package.json and dist/ to bench instead of this checkout's
 * build, e.g. an older build), BENCH_WEBHOOK_DRAIN_SECONDS (how long to wait for the downstream
 * after the last answer, default 300), BENCH_WEBHOOK_N8N_ENV (`KEY=value,...` added to both n8n
 * processes' environment, e.g. N8N_EXPRESSION_ENGINE=legacy), N8N_E2E_CACHE (where the e2e's n8n
 * installs live).
 */
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

import {
	buildAndPack,
	ensureN8n,
	makeWorkDir,
	n8nEnv,
	removeDir,
	ROOT,
	runN8n,
	writeJson,
	type N8nInstall,
} from '../e2e/lib/n8n';
import { postOnSchedule, quantile, signedMetaStatuses, StatusSink } from '../e2e/lib/statusLoad';
import { startN8nServer } from '../e2e/lib/server';
import { CREDENTIALS, credentialsFile } from '../e2e/lib/workflows';
import { TRIGGER_TYPE } from '../e2e/lib/statusWorkflows';

const RATE = Number(process.env.BENCH_WEBHOOK_RATE ?? '240');
const SECONDS = Number(process.env.BENCH_WEBHOOK_SECONDS ?? '5');
const DRAIN_SECONDS = Number(process.env.BENCH_WEBHOOK_DRAIN_SECONDS ?? '300');
const ONLY = process.env.BENCH_WEBHOOK_ONLY;
/** Connections the sender keeps open at most (0: a new one for every post that finds all busy). */
const CONNECTIONS = Number(process.env.BENCH_WEBHOOK_CONNECTIONS ?? '100');
const PACKAGE = process.env.BENCH_WEBHOOK_PACKAGE;
/** Added to both n8n processes' environment, e.g. `N8N_EXPRESSION_ENGINE=legacy`. */
const N8N_EXTRA_ENV = Object.fromEntries(
	(process.env.BENCH_WEBHOOK_N8N_ENV ?? '')
		.split(',')
		.filter((pair) => pair.includes('='))
		.map((pair) => [pair.slice(0, pair.indexOf('=')).trim(), pair.slice(pair.indexOf('=') + 1).trim()]),
);
const TOTAL = Math.round(RATE * SECONDS);
const VERIFY_TOKEN = 'bench-verify-token';

const workDir = makeWorkDir('wa-video-bench-webhooks-');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.once(signal, () => {
		removeDir(workDir);
		process.exit(130);
	});
}

const started = performance.now();
function progress(message: string): void {
	const elapsed = Math.round((performance.now() - started) / 1000);
	process.stderr.write(`[bench:webhooks ${Math.floor(elapsed / 60)}:${String(elapsed % 60).padStart(2, '0')}] ${message}\n`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Side = 'trigger' | 'webhook';

function workflowFor(side: Side, sinkUrl: string, webhookId: string) {
	const first =
		side === 'trigger'
			? {
					id: randomUUID(),
					name: 'WhatsApp Video Status Trigger',
					type: TRIGGER_TYPE,
					typeVersion: 1,
					position: [0, 0],
					parameters: { provider: 'whatsappCloud', verifyToken: VERIFY_TOKEN },
					webhookId,
					credentials: { whatsAppCloudApi: { id: CREDENTIALS.whatsappCloud.id, name: CREDENTIALS.whatsappCloud.name } },
				}
			: {
					id: randomUUID(),
					name: 'Webhook',
					type: 'n8n-nodes-base.webhook',
					typeVersion: 2,
					position: [0, 0],
					parameters: { httpMethod: 'POST', path: webhookId, responseMode: 'onReceived', options: {} },
					webhookId,
				};
	const sink = {
		id: randomUUID(),
		name: 'To the sink',
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		position: [220, 0],
		parameters: { method: 'POST', url: sinkUrl, sendBody: true, specifyBody: 'json', jsonBody: '={{ JSON.stringify($json) }}', options: {} },
	};
	return {
		id: side === 'trigger' ? 'benchWhTrigger01' : 'benchWhWebhook01',
		name: side === 'trigger' ? 'Bench: status trigger -> HTTP Request' : 'Bench: Webhook node -> HTTP Request',
		nodes: [first, sink],
		connections: { [first.name]: { main: [[{ node: sink.name, type: 'main', index: 0 }]] } },
		active: false,
		settings: { executionOrder: 'v1' },
		pinData: {},
	};
}

/** VmRSS (bytes) summed over the processes in process group `group`. */
function groupRss(group: number): number {
	let total = 0;
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			if (Number(fields[2]) !== group) continue;
			const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'));
			if (match) total += Number(match[1]) * 1024;
		} catch {
			// gone meanwhile
		}
	}
	return total;
}

interface Result {
	side: Side;
	answers: number[];
	notOk: number;
	drainMs: number;
	peakRss: number;
	expected: number;
	once: number;
	missing: number;
	extra: number;
}

/** A user folder with the package, the Meta credential and the workflow, published. */
async function prepare(install: N8nInstall, packageDir: string, side: Side, sinkUrl: string, webhookId: string): Promise<{ userFolder: string; workflowId: string }> {
	const userFolder = join(workDir, `user-${side}`);
	const custom = join(userFolder, '.n8n', 'custom', 'n8n-nodes-whatsapp-video');
	mkdirSync(custom, { recursive: true });
	cpSync(join(packageDir, 'package.json'), join(custom, 'package.json'));
	cpSync(join(packageDir, 'dist'), join(custom, 'dist'), { recursive: true });
	const env = await n8nEnv(install, userFolder);
	const credentialsPath = join(workDir, `credentials-${side}.json`);
	writeJson(credentialsPath, credentialsFile('http://127.0.0.1:9', 'http://127.0.0.1:9', 'http://127.0.0.1:9').filter((c) => (c as { id: string }).id === CREDENTIALS.whatsappCloud.id));
	const workflow = workflowFor(side, sinkUrl, webhookId);
	const workflowPath = join(workDir, `workflow-${side}.json`);
	writeJson(workflowPath, [workflow]);
	for (const args of [['import:credentials', `--input=${credentialsPath}`], ['import:workflow', `--input=${workflowPath}`], ['publish:workflow', `--id=${workflow.id}`]]) {
		const result = await runN8n(install, env, args);
		if (result.code !== 0) throw new Error(`n8n ${args.join(' ')} exited with ${result.code}: ${result.stderr.slice(-2000)}`);
	}
	return { userFolder, workflowId: workflow.id };
}

async function waitFor(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await probe().catch(() => false))) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await sleep(250);
	}
}

async function measure(install: N8nInstall, packageDir: string, side: Side, sink: StatusSink): Promise<Result> {
	const webhookId = randomUUID();
	progress(`${side}: preparing a user folder (import:credentials, import:workflow, publish:workflow)`);
	const { userFolder } = await prepare(install, packageDir, side, sink.url, webhookId);
	const server = await startN8nServer(install, userFolder, 180_000, N8N_EXTRA_ENV);
	const url = side === 'trigger' ? `${server.url}/webhook/${webhookId}/status` : `${server.url}/webhook/${webhookId}`;
	try {
		// Published webhooks are registered a moment after n8n answers: 404 until then.
		await waitFor(async () => {
			// The trigger answers a GET (Meta's handshake, 403 for no token); the Webhook node only a POST.
			const response = await fetch(url, side === 'trigger' ? {} : { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
			await response.text();
			return response.status !== 404;
		}, 60_000, 'the production webhook');
		await sleep(3_000);
		const statuses = signedMetaStatuses(side, TOTAL);
		sink.reset();
		let peakRss = groupRss(server.pid);
		const sampler = setInterval(() => (peakRss = Math.max(peakRss, groupRss(server.pid))), 100);
		progress(`${side}: posting ${TOTAL} signed statuses at ${RATE}/s to n8n ${install.version} (pid ${server.pid})`);
		const posted = await postOnSchedule(
			statuses.map((status, index) => ({ status, url, dueMs: (index * 1000) / RATE })),
			CONNECTIONS,
		);
		const answers = posted.map((p) => p.answerMs);
		const notOk = posted.filter((p) => p.statusCode !== 200).length;
		const lastAnswerAt = performance.now();
		progress(`${side}: answered; waiting for the downstream`);
		const expected = new Set(statuses.map((s) => s.pair));
		await sink.drain(expected, DRAIN_SECONDS * 1000);
		clearInterval(sampler);
		const { once, missing, extra } = sink.tally(expected);
		return { side, answers, notOk, drainMs: Math.max(0, sink.lastAt - lastAnswerAt), peakRss, expected: expected.size, once, missing, extra };
	} finally {
		await server.stop();
	}
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const gigabytes = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GB`;

function table(results: Result[]): string {
	const header = ['', 'median answer', 'p99 answer', 'not 200', 'drain after last answer', 'peak RSS', 'statuses once / expected (missing, extra)'];
	const label: Record<Side, string> = { webhook: "n8n's Webhook node", trigger: 'WhatsApp Video Status Trigger' };
	const rows = results.map((r) => [
		label[r.side],
		seconds(quantile(r.answers, 0.5)),
		seconds(quantile(r.answers, 0.99)),
		String(r.notOk),
		seconds(r.drainMs),
		gigabytes(r.peakRss),
		`${r.once} / ${r.expected} (${r.missing}, ${r.extra})`,
	]);
	const trigger = results.find((r) => r.side === 'trigger');
	const webhook = results.find((r) => r.side === 'webhook');
	if (trigger && webhook) {
		const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
		rows.push([
			'trigger / webhook',
			ratio(quantile(trigger.answers, 0.5), quantile(webhook.answers, 0.5)),
			ratio(quantile(trigger.answers, 0.99), quantile(webhook.answers, 0.99)),
			'',
			`${seconds(trigger.drainMs - webhook.drainMs)} more`,
			ratio(trigger.peakRss, webhook.peakRss),
			'',
		]);
	}
	const lines = [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`);
	return lines.join('\n');
}

async function main(): Promise<void> {
	const install = await ensureN8n('current');
	let packageDir = PACKAGE;
	if (!packageDir) {
		if (!existsSync(join(ROOT, 'dist'))) throw new Error('no dist/: run npm run build first (npm run bench:webhooks does)');
		packageDir = buildAndPack(workDir, { build: false }).dir;
	}
	progress(`n8n ${install.version} on Node ${install.nodeVersion}, ${cpus().length} CPUs, ${gigabytes(totalmem())}; package from ${packageDir}`);
	progress(`${TOTAL} status webhooks at ${RATE}/s (${SECONDS} s) to each side`);
	const sink = new StatusSink();
	await sink.start();
	const results: Result[] = [];
	try {
		for (const side of ['trigger', 'webhook'] as Side[]) {
			if (ONLY && ONLY !== side) continue;
			const result = await measure(install, packageDir, side, sink);
			progress(`${side}: median ${seconds(quantile(result.answers, 0.5))}, p99 ${seconds(quantile(result.answers, 0.99))}, drain ${seconds(result.drainMs)}, peak ${gigabytes(result.peakRss)}, ${result.once}/${result.expected} once`);
			results.push(result);
		}
	} finally {
		await sink.close();
		removeDir(workDir);
	}
	process.stdout.write(
		`\nn8n ${install.version}, one process (n8n start), SQLite; ${TOTAL} signed Meta status webhooks at ${RATE}/s over ${CONNECTIONS > 0 ? `at most ${CONNECTIONS}` : 'unbounded'} connections; ${cpus().length} CPUs\n\n${table(results)}\n`,
	);
	const trigger = results.find((r) => r.side === 'trigger');
	const webhook = results.find((r) => r.side === 'webhook');
	if (trigger && webhook) {
		const median = quantile(trigger.answers, 0.5) / quantile(webhook.answers, 0.5);
		const memory = trigger.peakRss / webhook.peakRss;
		process.stdout.write(`\ntarget median answer ≤ 1.2× the Webhook node's: ${median <= 1.2 ? 'yes' : 'NO'} (${median.toFixed(2)}×); peak memory ≤ 1.5×: ${memory <= 1.5 ? 'yes' : 'NO'} (${memory.toFixed(2)}×)\n`);
	}
	if (results.some((r) => r.once !== r.expected || r.extra !== 0)) {
		process.stdout.write('\nNot every status arrived exactly once downstream.\n');
		process.exitCode = 1;
	}
}

main().catch((error: unknown) => {
	process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
	removeDir(workDir);
	process.exit(1);
});
