/**
 * `npm run test:queue`: the packed package in n8n's queue mode, as it runs at scale. A throwaway
 * PostgreSQL and Redis (Debian's packages; e2e/lib/postgres.ts, e2e/lib/redis.ts), the current
 * pinned n8n as one main process and two workers (e2e/lib/queueCluster.ts), each with a user
 * folder of its own and the package installed where the README installs it. Binary data mode is
 * left to n8n: in queue mode its default is `database`.
 *
 * Several webhook calls arrive at once, each uploading two videos for many recipients; the main
 * process puts each execution on the queue and the workers run them (e2e/lib/queueWorkflow.ts: a
 * Code node makes one item per recipient, then 360dialog and Meta each upload every video once and
 * send it by media ID). The emulator then must hold exactly one message per item and provider,
 * with the bytes of the video that recipient was to get, and each call's videos uploaded once.
 *
 * Env: E2E_SKIP_BUILD=1 (pack dist/ as it is), E2E_KEEP=1 (keep the temp folder with every
 * process's log). Every process and temp folder it starts is removed at the end, failed or not.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import { startEmulator, type Emulator, type RecordedRequest } from '../test/emulator/server';
import { Checks } from './lib/checks';
import { Cleanup } from './lib/cleanup';
import { describeResult } from './lib/cli';
import { ensureDebianPackages } from './lib/debianPackages';
import { buildAndPack, ensureN8n, log, makeWorkDir, n8nEnv, removeDir, ROOT, runN8n, writeJson, type N8nInstall } from './lib/n8n';
import { startPostgres, type Postgres } from './lib/postgres';
import { makePackageUserFolder, queueEnvironment, startMain, startWorker, webhookRegistered, executionsRunBy, type QueueMain, type QueueProcess } from './lib/queueCluster';
import { buildQueueWorkflows, PACKAGE_NODE_TYPE, QUEUE_NODES, QUEUE_WEBHOOK_PATH, QUEUE_WORKFLOW_ID, VIDEO_FIELDS, type QueueRecipient } from './lib/queueWorkflow';
import { startRedis, type Redis } from './lib/redis';
import { N8nRest, type ExecutionDetail } from './lib/rest';
import { setupOwner } from './lib/server';
import { credentialsFile, CREDENTIALS, VIDEOS } from './lib/workflows';
import { checkPacing, pacingPerWorker, PACING_RECIPIENTS, type Timed } from './queuePacing';
import { checkSendOnce, SEND_ONCE_LIST, SEND_ONCE_ROUNDS } from './queueSendOnce';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'videos');
/** Webhook calls made at the same moment, and recipients in each. */
const CALLS = 6;
const RECIPIENTS_PER_CALL = 12;
const WORKERS = 2;
/** n8n warns below 5; above the calls one worker can take, so both must share the load. */
const WORKER_CONCURRENCY = 5;
/** Per request at the emulator, so the executions overlap the way real providers make them. */
const PROVIDER_LATENCY_MS = 100;
const PROVIDERS = [
	{ key: 'dialog360', label: '360dialog', node: QUEUE_NODES.dialog360 },
	{ key: 'whatsappCloud', label: 'Meta', node: QUEUE_NODES.whatsappCloud },
] as const;

interface Timing {
	label: string;
	ms: number;
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
const sorted = <T>(list: T[]): T[] => [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));


/** One webhook call: which two fixture files it uploads, and who gets which. */
interface Call {
	index: number;
	files: Record<(typeof VIDEO_FIELDS)[number], string>;
	recipients: QueueRecipient[];
}

function planCalls(): Call[] {
	const names = [VIDEOS.faststart, VIDEOS.main, VIDEOS.bFrames];
	return Array.from({ length: CALLS }, (_, index) => ({
		index,
		files: { first: names[index % names.length], second: names[(index + 1) % names.length] },
		recipients: Array.from({ length: RECIPIENTS_PER_CALL }, (_, r) => ({
			phone: `+49 151 9${String(index).padStart(2, '0')}${String(r).padStart(4, '0')}`,
			caption: `call ${index} recipient ${r}`,
			video: VIDEO_FIELDS[r % 2],
		})),
	}));
}

const digits = (phone: string): string => phone.replace(/\D/g, '');

interface CallAnswer {
	status: number;
	items: Array<Record<string, unknown>>;
	text: string;
}

/** POST multipart/form-data to the production webhook: the two videos and the recipients as JSON. */
async function callWebhook(main: QueueMain, call: Call): Promise<CallAnswer> {
	const form = new FormData();
	for (const field of VIDEO_FIELDS) {
		const name = call.files[field];
		form.append(field, new Blob([readFileSync(join(FIXTURES, name))], { type: 'video/mp4' }), name);
	}
	form.append('recipients', JSON.stringify(call.recipients));
	const response = await fetch(`${main.url}/webhook/${QUEUE_WEBHOOK_PATH}`, { method: 'POST', body: form, signal: AbortSignal.timeout(120_000) });
	const text = await response.text();
	let items: Array<Record<string, unknown>> = [];
	try {
		const parsed = JSON.parse(text) as unknown;
		if (Array.isArray(parsed)) items = parsed as Array<Record<string, unknown>>;
	} catch {
		// kept as text for the failure message
	}
	return { status: response.status, items, text: text.slice(0, 500) };
}

/** Every file under `dir` (the package's own folder left out), for the search for stray video bytes. */
function filesUnder(dir: string, skip: string): string[] {
	const found: string[] = [];
	for (const entry of readdirSync(dir, { withFileTypes: true })) {
		const path = join(dir, entry.name);
		if (path === skip) continue;
		if (entry.isDirectory()) found.push(...filesUnder(path, skip));
		else if (entry.isFile()) found.push(path);
	}
	return found;
}

interface MessageRecord {
	call: number;
	recipient: string;
	caption: string;
	mediaId: string;
	source: string | undefined;
}

function messagesAt(emulator: Emulator, provider: 'dialog360' | 'whatsappCloud'): MessageRecord[] {
	return emulator.messagesCreated(provider).map((r: RecordedRequest) => {
		const video = ((r.json ?? {}) as { video?: { id?: string; caption?: string } }).video ?? {};
		const created = r.created?.kind === 'message' ? r.created : undefined;
		const caption = video.caption ?? '';
		return {
			call: Number(/^call (\d+) /.exec(caption)?.[1] ?? -1),
			recipient: created?.recipient ?? '',
			caption,
			mediaId: video.id ?? '',
			source: created?.source,
		};
	});
}

function checkProvider(checks: Checks, emulator: Emulator, provider: (typeof PROVIDERS)[number], calls: Call[], details: ExecutionDetail[]): void {
	checks.section(`${provider.label}: what the emulator received from the workers`);
	const messages = messagesAt(emulator, provider.key);
	const expected = calls.flatMap((call) => call.recipients.map((r) => ({ recipient: digits(r.phone), caption: r.caption })));
	checks.equal(
		`every item is exactly one message: ${expected.length} messages, each recipient with its own caption`,
		sorted(messages.map((m) => ({ recipient: m.recipient, caption: m.caption }))),
		sorted(expected),
	);
	const perRecipient = new Map<string, number>();
	for (const m of messages) perRecipient.set(m.recipient, (perRecipient.get(m.recipient) ?? 0) + 1);
	const twice = [...perRecipient].filter(([, count]) => count > 1);
	checks.equal('no recipient got a message twice', twice, []);
	checks.equal('every message was sent by media ID', [...new Set(messages.map((m) => m.source))], ['media-id']);

	const uploads = emulator.uploads().filter((r) => r.provider === provider.key);
	const uploadById = new Map(uploads.map((u) => [u.created?.kind === 'media' ? u.created.mediaId : '', u]));
	checks.equal(`each call's two videos were uploaded once: ${calls.length * 2} uploads`, uploads.length, calls.length * 2);
	const wrongBytes: unknown[] = [];
	for (const call of calls) {
		for (const r of call.recipients) {
			const message = messages.find((m) => m.caption === r.caption);
			const file = call.files[r.video];
			const part = uploadById.get(message?.mediaId ?? '')?.multipart?.find((p) => p.name === 'file');
			const stored = emulator.storedMedia().find((m) => m.id === message?.mediaId);
			const want = sha256(readFileSync(join(FIXTURES, file)));
			if (part?.sha256 !== want || stored?.sha256 !== want || part?.filename !== file) {
				wrongBytes.push({ caption: r.caption, file, uploaded: part?.sha256, stored: stored?.sha256, filename: part?.filename });
			}
		}
	}
	checks.equal("every message's media ID holds exactly the bytes of the video meant for that recipient (sha256), under its own file name", wrongBytes, []);
	const callsPerMedia = new Map<string, Set<number>>();
	for (const m of messages) (callsPerMedia.get(m.mediaId) ?? callsPerMedia.set(m.mediaId, new Set()).get(m.mediaId))?.add(m.call);
	const shared = [...callsPerMedia].filter(([, set]) => set.size !== 1).map(([id, set]) => ({ id, calls: [...set] }));
	checks.equal('each upload served the recipients of one call only (each execution uploads its own videos)', shared, []);
	checks.equal(
		'every upload was used: two media IDs per call, each for that call\'s recipients of one video',
		sorted([...callsPerMedia.keys()]),
		sorted(uploads.map((u) => (u.created?.kind === 'media' ? u.created.mediaId : ''))),
	);

	const outputs = details.flatMap((d) => d.outputs[provider.node] ?? []);
	checks.equal(
		`n8n's executions: ${provider.node} output one accepted item per recipient, with the messageId the provider answered`,
		sorted(outputs.map((item) => [item.json.recipient, item.json.status, item.json.messageId])),
		sorted(
			emulator.messagesCreated(provider.key).map((r) => [
				r.created?.kind === 'message' ? r.created.recipient : '',
				'accepted',
				(r.responseBody as { messages?: Array<{ id: string }> }).messages?.[0]?.id,
			]),
		),
	);
}

/** A stored item's binary references, which ExecutionDetail leaves untyped. */
type WithBinary = { binary?: Record<string, { id?: string }> };

async function checkBinaryData(checks: Checks, postgres: Postgres, details: ExecutionDetail[], calls: Call[], processes: QueueProcess[], packageName: string): Promise<void> {
	checks.section('binary data: in PostgreSQL, not in any process\'s folder');
	for (const p of processes) {
		checks.equal(`${p.label}: N8N_DEFAULT_BINARY_DATA_MODE is not set (queue mode chooses)`, p.env.N8N_DEFAULT_BINARY_DATA_MODE, undefined);
	}
	const rows = postgres.query(`select "fileId", "sourceType", "sourceId", "fileName", encode(sha256(data), 'hex') from binary_data`);
	const byFileId = new Map(rows.map(([fileId, sourceType, sourceId, fileName, hash]) => [fileId, { sourceType, sourceId, fileName, hash }]));
	// What each execution's Webhook output points at (`database:<fileId>`), looked up in the table.
	const perExecution = details.map((d) =>
		sorted(
			(d.outputs[QUEUE_NODES.webhook] ?? []).flatMap((item) =>
				Object.values((item as WithBinary).binary ?? {}).map((ref) => {
					const [mode, fileId] = String(ref.id).split(':');
					const row = byFileId.get(fileId);
					return `${mode} ${row?.fileName} ${row?.hash}`;
				}),
			),
		),
	);
	const uploaded = calls.map((call) => sorted(VIDEO_FIELDS.map((f) => `database ${call.files[f]} ${sha256(readFileSync(join(FIXTURES, call.files[f])))}`)));
	checks.equal(
		"each execution's two uploaded videos are database:<id> references to rows of table binary_data holding them byte for byte (sha256)",
		sorted(perExecution),
		sorted(uploaded),
	);
	const sources = [...new Set(rows.map(([, sourceType, sourceId]) => `${sourceType}/${sourceId}`))];
	log(`binary_data: ${rows.length} rows, sources ${sources.join(', ')}`);
	checks.equal(`binary_data holds nothing else: ${calls.length * 2} rows, the uploads (the send nodes store no copies)`, rows.length, calls.length * 2);
	const videoHashes = new Set(Object.values(VIDEOS).map((name) => sha256(readFileSync(join(FIXTURES, name)))));
	const strays: string[] = [];
	for (const p of processes) {
		const skip = join(p.userFolder, '.n8n', 'nodes', 'node_modules', packageName);
		for (const file of filesUnder(p.userFolder, skip)) {
			if (statSync(file).size < 64 * 1024 * 1024 && videoHashes.has(sha256(readFileSync(file)))) strays.push(file);
		}
	}
	checks.equal('no file in any user folder (main, workers) holds a video\'s bytes: nothing went to filesystem mode', strays, []);
}

async function run(checks: Checks, timings: Timing[], cleanup: Cleanup, processes: QueueProcess[]): Promise<string> {
	const time: Timed = async (label, work) => {
		const started = Date.now();
		try {
			return await work();
		} finally {
			timings.push({ label, ms: Date.now() - started });
		}
	};
	await time('redis-server and postgresql present (apt-get when missing)', () => ensureDebianPackages());
	const install: N8nInstall = await time('n8n (current) from the cache', () => ensureN8n('current'));
	const workDir = makeWorkDir('wa-video-queue-');
	cleanup.add(async () => {
		if (process.env.E2E_KEEP === '1') log(`kept ${workDir}`);
		else removeDir(workDir);
	});
	const pkg = await time('build + npm pack', () => buildAndPack(workDir, { build: process.env.E2E_SKIP_BUILD !== '1' }));
	const emulator = await startEmulator({ host: '127.0.0.1', latencyMs: PROVIDER_LATENCY_MS });
	cleanup.add(() => emulator.close());
	const [postgres, redis]: [Postgres, Redis] = await time('PostgreSQL and Redis up', async () => {
		const pg = await startPostgres();
		cleanup.add(() => pg.stop());
		const rd = await startRedis();
		cleanup.add(() => rd.stop());
		return [pg, rd];
	});
	const shared = queueEnvironment(postgres, redis);
	const folders = ['main', ...Array.from({ length: WORKERS }, (_, i) => `worker-${i + 1}`)].map((label) => ({ label, folder: makePackageUserFolder(workDir, pkg, label) }));

	checks.section(`[n8n ${install.version}, queue mode] set-up: PostgreSQL, Redis, package in ~/.n8n/nodes/node_modules of every process`);
	const importEnv = await n8nEnv(install, folders[0].folder, shared);
	const credentialsPath = join(workDir, 'credentials.json');
	const workflowPath = join(workDir, 'workflow.json');
	writeJson(credentialsPath, credentialsFile(emulator.lancepilotBaseUrl, emulator.dialog360BaseUrl, emulator.metaBaseUrl).filter((c) => ([CREDENTIALS.dialog360.id, CREDENTIALS.whatsappCloud.id] as string[]).includes((c as { id: string }).id)));
	const workflows = buildQueueWorkflows(pacingPerWorker(WORKERS));
	writeJson(workflowPath, [workflows.videos, workflows.pacing, workflows.sendOnce]);
	for (const [label, args] of [
		['import:credentials', ['import:credentials', `--input=${credentialsPath}`]],
		['import:workflow', ['import:workflow', `--input=${workflowPath}`]],
		['publish:workflow', ['publish:workflow', `--id=${QUEUE_WORKFLOW_ID}`]],
	] as const) {
		const result = await runN8n(install, importEnv, [...args]);
		timings.push({ label: `n8n ${label} (PostgreSQL)`, ms: result.ms });
		if (!checks.ok(`n8n ${label} into PostgreSQL`, result.code === 0, describeResult(result))) return 'set-up failed';
	}

	const onSpawn = (proc: QueueProcess): void => {
		processes.push(proc);
		cleanup.add(() => proc.stop());
	};
	// allSettled: every start runs to its end (ready or stopped) before the run goes on or gives up.
	const starts = await time(`n8n main and ${WORKERS} workers started (in parallel)`, () =>
		Promise.allSettled([
			startMain(install, folders[0].folder, shared, onSpawn),
			...folders.slice(1).map((f) => startWorker(install, f.folder, shared, f.label, WORKER_CONCURRENCY, onSpawn)),
		]),
	);
	const failed = starts.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => String(s.reason));
	if (!checks.ok(`n8n start (main) and ${WORKERS} × n8n worker --concurrency=${WORKER_CONCURRENCY} are ready`, failed.length === 0, failed)) return 'start failed';
	const main = (starts[0] as PromiseFulfilledResult<QueueMain>).value;
	const workers = processes.filter((p) => p.label !== main.label);
	await setupOwner(main.url);
	const rest = new N8nRest(main.url);
	checks.equal('the owner logs in to the main process (REST API)', await rest.login(), 200);
	const workflow = await rest.workflow(QUEUE_WORKFLOW_ID);
	checks.ok(
		`the workflow is published and its send nodes are ${PACKAGE_NODE_TYPE} (the README's install)`,
		Boolean(workflow.activeVersionId ?? workflow.active) && (workflow.nodes as Array<{ type: string }>).filter((n) => n.type === PACKAGE_NODE_TYPE).length === 2,
		{ active: workflow.active, activeVersionId: workflow.activeVersionId },
	);

	// n8n 2.41 registers a published workflow's webhooks shortly after its REST API is up (its
	// publication reconciler); a call before that is answered 404.
	const registered = await webhookRegistered(main, QUEUE_WEBHOOK_PATH, 60_000);
	if (!checks.ok('the main process registered the published workflow\'s production webhook (POST only)', registered)) return 'activation failed';

	const calls = planCalls();
	checks.section(`${CALLS} webhook calls at once, each uploading two videos for ${RECIPIENTS_PER_CALL} recipients`);
	const answers = await time(`${CALLS} webhook calls, answered when their executions finished`, () => Promise.all(calls.map((call) => callWebhook(main, call))));
	checks.ok(
		`every call is answered 200 with the last node's ${RECIPIENTS_PER_CALL} items, each accepted with a messageId`,
		answers.every((a) => a.status === 200 && a.items.length === RECIPIENTS_PER_CALL && a.items.every((item) => item.status === 'accepted' && typeof item.messageId === 'string')),
		answers.map((a) => ({ status: a.status, items: a.items.length, text: a.status === 200 ? undefined : a.text })),
	);
	const summaries = await rest.settledExecutions(QUEUE_WORKFLOW_ID, CALLS, 60_000, 1_500);
	checks.equal(`n8n lists ${CALLS} executions of the workflow, all webhook-started and successful`, summaries.map((s) => [s.mode, s.status]), calls.map(() => ['webhook', 'success']));
	const details = await Promise.all(summaries.map((s) => rest.execution(s.id)));
	const executionIds = summaries.map((s) => s.id);

	checks.section('the workers ran the executions, the main process none');
	const ranBy = workers.map((w) => ({ label: w.label, ids: executionsRunBy(w) }));
	log(`executions per worker: ${ranBy.map((w) => `${w.label} ${w.ids.join(',') || '-'}`).join('; ')}`);
	const started = ranBy.flatMap((w) => w.ids);
	checks.ok(
		`each of the ${CALLS} executions was started by exactly one worker (their logs: "Worker started execution <id>")`,
		executionIds.length === CALLS && isDeepStrictEqual(sorted(started), sorted(executionIds)),
		{ executions: executionIds, startedByWorkers: started },
	);
	checks.ok(`both workers took part (${ranBy.map((w) => `${w.label}: ${w.ids.length}`).join(', ')})`, ranBy.every((w) => w.ids.length > 0), ranBy);
	checks.equal('the main process ran none of them itself', /Worker started execution/.test(main.output()), false);
	const unknownType = processes.filter((p) => /Unrecognized node type|Unknown node type/i.test(p.output())).map((p) => p.label);
	checks.equal('no process reported an unknown node type', unknownType, []);

	for (const provider of PROVIDERS) checkProvider(checks, emulator, provider, calls, details);
	await checkBinaryData(checks, postgres, details, calls, processes, pkg.name);

	await checkPacing(checks, { emulator, rest, main, workers, workerConcurrency: WORKER_CONCURRENCY, time });
	await checkSendOnce(checks, { emulator, rest, main, workers, postgres, time });
	return `n8n ${install.version} on Node ${install.nodeVersion}: main + ${WORKERS} workers, PostgreSQL, Redis; ${CALLS} calls × ${RECIPIENTS_PER_CALL} recipients × ${PROVIDERS.length} providers; pacing ${WORKER_CONCURRENCY + 1} × ${PACING_RECIPIENTS} on ${WORKERS} workers; Send Once ${SEND_ONCE_ROUNDS} rounds × 2 × ${SEND_ONCE_LIST}`;
}

async function main(): Promise<number> {
	const started = Date.now();
	const checks = new Checks();
	const timings: Timing[] = [];
	// Undone last-in first-out: n8n before PostgreSQL and Redis, the temp folder last.
	const cleanup = new Cleanup();
	cleanup.onSignals();
	let tested = '';
	const processes: QueueProcess[] = [];
	try {
		tested = await run(checks, timings, cleanup, processes);
	} catch (error) {
		checks.ok('the queue-mode run ran to the end', false, error instanceof Error ? (error.stack ?? error.message) : String(error));
	} finally {
		// The temp folder with the logs goes too: what a failure needs to be understood is printed here.
		if (checks.failures.length) {
			for (const p of processes) process.stdout.write(`\n--- ${p.label} log (tail)\n${p.output().split('\n').slice(-40).join('\n')}\n`);
		}
		const stopping = Date.now();
		await cleanup.run();
		timings.push({ label: 'stopping n8n, PostgreSQL, Redis; removing temp folders', ms: Date.now() - stopping });
	}
	process.stdout.write('\nTimings\n');
	for (const t of timings) process.stdout.write(`  ${(t.ms / 1000).toFixed(1).padStart(7)} s  ${t.label}\n`);
	process.stdout.write(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(7)} s  total\n`);
	process.stdout.write(`\nTested: ${tested || 'nothing'}\n`);
	return checks.summary();
}

if (require.main === module) {
	main().then(
		(code) => process.exit(code),
		(error: unknown) => {
			process.stderr.write(`test:queue failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
			process.exit(1);
		},
	);
}
