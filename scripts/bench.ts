/**
 * `npm run bench`: measures the built node against baselines taken in the same run, against the
 * bundled emulator with injected latency, and prints ratios (never absolute pass/fail times:
 * machines are noisy, ratios from one run are comparable).
 *
 *  1. node overhead: N URL items sent one at a time by the node vs. the same N requests made
 *     directly with Node's own HTTP client;
 *  2. concurrency: 1,000 URL items at 50 ms latency with Concurrency 10 vs. 1, in five rounds of
 *     200 that alternate the two (the median round's ratio counts, so a burst of load elsewhere on
 *     the machine during one run does not decide the row), and the busiest second seen by the
 *     emulator against the configured limit (the emulator in its own process);
 *  3. one 10 MB video to 100 recipients on 360dialog vs. uploading it per recipient as n8n's own
 *     WhatsApp node does (bytes uploaded and wall time);
 *  4. peak memory (RSS) of 20 vs. 200 items of 5 MB in filesystem binary mode, each run in a
 *     fresh child process;
 *  5. the inspection cost of a 16 MB file against a 100 KB one, when the inspector is present;
 *  6. throughput at the provider's limit: 300 and 1,000 URL items to 360dialog at 500 ms latency,
 *     the emulator (in its own process) refusing more than 80 sends a second with Meta's 130429,
 *     default options vs Concurrency 5 (the old fixed default): messages a second at the provider
 *     as a share of the limit, throttled sends, the busiest second;
 *  7. Send Once's cost: 1,000 and 10,000 URL items to 360dialog at 50 ms latency (Messages per
 *     Second 1000 on both sides), in three rounds of a first run with the option on vs off (each a
 *     new workflow, alternating which goes first) and the Send Once workflow run again with every
 *     item skipped: wall time (the median round's ratio), store calls and the time in them, and
 *     the size of the row n8n keeps (the harness's copy of n8n's store).
 *
 * BENCH_SCALE (default 1) scales the item counts down for a quick look, e.g. BENCH_SCALE=0.1;
 * BENCH_ONLY picks measurements by number, e.g. BENCH_ONLY=2,3. Progress goes to stderr, the table
 * to stdout. Every file the bench writes (n8n user folders, the memory runs' 1 GB of binary data)
 * is in one temporary folder, removed at the end, on an error and on Ctrl-C.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

import type { ICredentialType, INodeParameters, INodeType } from 'n8n-workflow';

import { busiestSecond } from '../test/emulator/rates';
import { startEmulatorProcess, type ProcessRecord } from '../test/emulator/process';
import type { Emulator } from '../test/emulator/server';
import type { InputItem, RunOptions } from '../test/harness/engine';
import { startRemoteEmulator } from './bench-emulator';
import { paddedMp4 } from './bench-videos';

const ROOT = join(__dirname, '..');
/** Everything the bench writes; removed when it ends, however it ends. */
const benchDir = mkdtempSync(join(tmpdir(), 'wa-video-bench-'));
const removeBenchDir = () => rmSync(benchDir, { recursive: true, force: true, maxRetries: 3 });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.once(signal, () => {
		progress(`${signal}: removing ${benchDir}`);
		removeBenchDir();
		process.exit(130);
	});
}
const userFolder = join(benchDir, 'n8n');
mkdirSync(userFolder);
process.env.N8N_USER_FOLDER = userFolder;
process.env.N8N_LOG_LEVEL = 'silent';

const benchStarted = performance.now();
/** One line on stderr with the time since the bench started, so a long run shows where it is. */
function progress(message: string): void {
	const elapsed = Math.round((performance.now() - benchStarted) / 1000);
	process.stderr.write(`[bench ${Math.floor(elapsed / 60)}:${String(elapsed % 60).padStart(2, '0')}] ${message}\n`);
}

/* eslint-disable @typescript-eslint/no-require-imports */
const engine = require('../test/harness/engine') as typeof import('../test/harness/engine');
const emulatorModule = require('../test/emulator/server') as typeof import('../test/emulator/server');
const { processedData } = require('../test/harness/processedData') as typeof import('../test/harness/processedData');
const { EMULATOR_DEFAULTS: D } = emulatorModule;

function loadBuiltPackage(): { nodeType: INodeType; credentialTypes: ICredentialType[] } {
	const dist = join(ROOT, 'dist');
	const { SendWhatsAppVideo } = require(join(dist, 'nodes/SendWhatsAppVideo/SendWhatsAppVideo.node.js'));
	const { LancepilotApi } = require(join(dist, 'credentials/LancepilotApi.credentials.js'));
	const { Dialog360Api } = require(join(dist, 'credentials/Dialog360Api.credentials.js'));
	return { nodeType: new SendWhatsAppVideo(), credentialTypes: [new LancepilotApi(), new Dialog360Api()] };
}
/* eslint-enable @typescript-eslint/no-require-imports */

const SCALE = Number(process.env.BENCH_SCALE ?? '1');
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean).map(Number);
const scaled = (count: number) => Math.max(2, Math.round(count * SCALE));
const built = loadBuiltPackage();

interface Row {
	measure: string;
	ours: string;
	baseline: string;
	ratio: string;
	target: string;
	met: boolean;
	/** Printed instead of yes/NO when the run could not judge the target. */
	verdict?: string;
}
const rows: Row[] = [];

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
	const start = performance.now();
	const value = await work();
	return { ms: performance.now() - start, value };
}

/** Where the emulator answers: in this process, or in its own (see bench-emulator.ts). */
type EmulatorUrls = Pick<Emulator, 'lancepilotBaseUrl' | 'dialog360BaseUrl'>;

function credentials(emulator: EmulatorUrls) {
	return {
		lancepilotApi: { apiToken: D.lancepilotToken, baseUrl: emulator.lancepilotBaseUrl },
		dialog360Api: { apiKey: D.dialog360ApiKey, baseUrl: emulator.dialog360BaseUrl },
	};
}

/** `workflowId` makes several runs executions of one saved workflow (by default each is a new one). */
async function runNode(emulator: EmulatorUrls, parameters: INodeParameters, items: InputItem[], run: Pick<RunOptions, 'binaryMode' | 'workflowId'> = {}) {
	const result = await engine.runWorkflow({ parameters, items, credentials: credentials(emulator), ...run, ...built });
	if (result.error) throw new Error(`bench run failed: ${result.error.message}`);
	return result;
}

const phone = (index: number) => `+49151${String(index).padStart(8, '0')}`;
const lancepilotUrl = (options: INodeParameters): INodeParameters => ({
	provider: 'lancepilot',
	workspaceId: D.workspaceId,
	contactBy: 'number',
	recipient: '={{ $json.phone }}',
	source: 'url',
	videoUrl: 'https://cdn.example.com/promo.mp4',
	options,
});

/** One request with Node's own HTTP client, as lean as a hand-written integration gets. */
function directPost(url: string, headers: Record<string, string>, body: Buffer): Promise<number> {
	return new Promise((resolve, reject) => {
		const req = httpRequest(url, { method: 'POST', headers: { ...headers, 'Content-Length': String(body.length) } }, (res) => {
			res.resume();
			res.on('end', () => resolve(res.statusCode ?? 0));
		});
		req.on('error', reject);
		req.end(body);
	});
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function nodeOverhead(emulator: Emulator): Promise<void> {
	const count = scaled(200);
	const items = Array.from({ length: count }, (_, index) => ({ json: { phone: phone(index) } }));
	// Warm both paths up first, so neither pays for loading code inside the measurement.
	await runNode(emulator, lancepilotUrl({ concurrency: 1 }), items.slice(0, 5));
	// reset() also restores the emulator's starting latency, so set it afterwards.
	emulator.reset();
	emulator.setLatency(50);
	const ours = await timed(() => runNode(emulator, lancepilotUrl({ concurrency: 1, messagesPerSecond: 1000 }), items));
	const body = Buffer.from(JSON.stringify({ file: 'https://cdn.example.com/promo.mp4' }));
	const headers = { Authorization: `Bearer ${D.lancepilotToken}`, 'Content-Type': 'application/json', Accept: 'application/json' };
	const direct = await timed(async () => {
		for (let index = 0; index < count; index++) {
			const url = `${emulator.lancepilotBaseUrl}/workspaces/${D.workspaceId}/contacts/number/${encodeURIComponent(phone(index))}/messages/video`;
			const status = await directPost(url, headers, body);
			if (status !== 201) throw new Error(`direct request answered ${status}`);
		}
	});
	const ratio = ours.ms / direct.ms;
	const perItem = (ours.ms - direct.ms) / count;
	progress(`   node ${seconds(ours.ms)}, Node's http client ${seconds(direct.ms)}`);
	rows.push({
		measure: `1. ${count} URL items one at a time, 50 ms latency: node vs Node's http client (node adds ${perItem.toFixed(1)} ms/item)`,
		ours: seconds(ours.ms),
		baseline: seconds(direct.ms),
		ratio: `${ratio.toFixed(3)}×`,
		target: '≤ 1.15×',
		met: ratio <= 1.15,
	});
}

const median = (values: number[]) => {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function concurrency(): Promise<void> {
	const rounds = 5;
	const perRound = scaled(200);
	const limit = 250;
	const items = Array.from({ length: perRound }, (_, index) => ({ json: { phone: phone(index) } }));
	// The provider is another machine: give the emulator its own process, or its CPU time would
	// queue on the node's event loop and cap the speedup of requests in flight (see the child).
	const provider = await startRemoteEmulator();
	try {
		await runNode(provider, lancepilotUrl({ concurrency: 10 }), items.slice(0, 20));
		// Each round times both settings back to back, alternating which goes first: load elsewhere on
		// the machine then falls on both sides of a round's ratio, and the median round decides.
		const timings: Array<{ one: number; ten: number }> = [];
		let busiest = 0;
		const timeRun = async (concurrencySetting: number) => {
			await provider.reset(50);
			const run = await timed(() => runNode(provider, lancepilotUrl({ concurrency: concurrencySetting, messagesPerSecond: limit }), items));
			busiest = Math.max(busiest, busiestSecond(await provider.starts()));
			return run.ms;
		};
		for (let round = 0; round < rounds; round++) {
			const timing = { one: 0, ten: 0 };
			for (const setting of round % 2 === 0 ? [1, 10] : [10, 1]) {
				timing[setting === 1 ? 'one' : 'ten'] = await timeRun(setting);
			}
			timings.push(timing);
			progress(`   round ${round + 1}/${rounds}: Concurrency 1 ${seconds(timing.one)}, 10 ${seconds(timing.ten)}: ${(timing.one / timing.ten).toFixed(1)}×`);
		}
		const ratios = timings.map((t) => t.one / t.ten);
		const speedup = median(ratios);
		// With more runnable work than CPUs (the 1-minute load average, i.e. over the rounds), the node
		// waits for a CPU between requests rather than for the provider, and the ratio measures the
		// machine's load instead of what Concurrency does. (os.loadavg() is 0 on Windows.)
		const [load] = loadavg();
		const busy = load > cpus().length;
		const sum = (key: 'one' | 'ten') => timings.reduce((total, t) => total + t[key], 0);
		rows.push({
			measure: `2. ${rounds * perRound} URL items (${rounds} rounds of ${perRound}), 50 ms latency: Concurrency 10 vs 1`,
			ours: seconds(sum('ten')),
			baseline: seconds(sum('one')),
			ratio: `${speedup.toFixed(1)}× faster (median; rounds ${Math.min(...ratios).toFixed(1)}–${Math.max(...ratios).toFixed(1)})`,
			target: '≥ 8× unless the machine is busy',
			met: speedup >= 8,
			verdict: busy && speedup < 8 ? `busy: load ${load.toFixed(1)} on ${cpus().length} CPUs, not judged` : undefined,
		});
		rows.push({
			measure: `2b. busiest second at the emulator with Messages per Second = ${limit}`,
			ours: `${busiest} requests`,
			baseline: `limit ${limit}`,
			ratio: `${(busiest / limit).toFixed(2)} of the limit`,
			target: '≤ limit',
			met: busiest <= limit,
		});
	} finally {
		await provider.close();
	}
}

async function uploadOnce(emulator: Emulator): Promise<void> {
	const recipients = scaled(100);
	const video = paddedMp4(10 * 1024 * 1024, 1);
	// One download fanned out to the recipient list, as a Merge or Code node does in a workflow.
	const promo = { bytes: video, fileName: 'promo.mp4', mimeType: 'video/mp4' };
	const items: InputItem[] = Array.from({ length: recipients }, (_, index) => ({ json: { phone: phone(index) }, binary: { data: promo } }));
	emulator.reset();
	emulator.setLatency(50);
	const run = await runNode(emulator, { provider: 'dialog360', recipient: '={{ $json.phone }}', source: 'binary', options: {} }, items);
	// The node's own execution time, as n8n records it: the upstream node that puts 100 copies of
	// the video on the items is not the node's work, and the baseline does not pay for it either.
	const ours = { ms: run.run.data.resultData.runData['Send WhatsApp Video'][0].executionTime };
	const ourUploads = emulator.uploads();
	const ourBytes = ourUploads.reduce((sum, request) => sum + request.bodySize, 0);

	emulator.reset();
	emulator.setLatency(50);
	const headers = { 'D360-API-KEY': D.dialog360ApiKey };
	// n8n's own WhatsApp node: for each item, upload the binary to /media, then send by media id.
	const perRecipient = await timed(async () => {
		for (let index = 0; index < recipients; index++) {
			const form = new FormData();
			form.append('messaging_product', 'whatsapp');
			form.append('file', new Blob([new Uint8Array(video)], { type: 'video/mp4' }), 'promo.mp4');
			const upload = await fetch(`${emulator.dialog360BaseUrl}/media`, { method: 'POST', headers, body: form });
			const { id } = (await upload.json()) as { id: string };
			const message = { messaging_product: 'whatsapp', recipient_type: 'individual', to: phone(index).slice(1), type: 'video', video: { id } };
			const sent = await fetch(`${emulator.dialog360BaseUrl}/messages`, {
				method: 'POST',
				headers: { ...headers, 'Content-Type': 'application/json' },
				body: JSON.stringify(message),
			});
			if (sent.status !== 200) throw new Error(`baseline send answered ${sent.status}`);
		}
	});
	const baselineUploads = emulator.uploads();
	const baselineBytes = baselineUploads.reduce((sum, request) => sum + request.bodySize, 0);
	rows.push({
		measure: `3. one 10 MB video to ${recipients} recipients (360dialog): uploads`,
		ours: `${ourUploads.length} (${megabytes(ourBytes)})`,
		baseline: `${baselineUploads.length} (${megabytes(baselineBytes)})`,
		ratio: `${(baselineBytes / ourBytes).toFixed(0)}× fewer bytes`,
		target: '1 upload instead of one per recipient',
		met: ourUploads.length === 1,
	});
	const speedup = perRecipient.ms / ours.ms;
	rows.push({
		measure: `3b. same, node execution time (default options) vs upload per recipient`,
		ours: seconds(ours.ms),
		baseline: seconds(perRecipient.ms),
		ratio: `${speedup.toFixed(1)}× faster`,
		target: '≥ 10×',
		met: speedup >= 10,
	});
}

/** Async, so this process's event loop keeps serving the emulator the child talks to. */
async function peakMemory(emulator: Emulator, items: number): Promise<number> {
	progress(`   ${items} items of 5 MB in a fresh process (filesystem binary mode, ${items * 5} MB written)`);
	// The child's binary data (1 GB for 200 items) goes to its own user folder, removed right after.
	const childFolder = mkdtempSync(join(benchDir, 'memory-'));
	const { stdout: output } = await promisify(execFile)(
		process.execPath,
		[require.resolve('ts-node/dist/bin.js'), '--transpile-only', join(__dirname, 'bench-memory-child.ts'), String(items), emulator.lancepilotBaseUrl],
		{ env: { ...process.env, N8N_USER_FOLDER: childFolder }, encoding: 'utf8', maxBuffer: 1024 * 1024 },
	).finally(() => rmSync(childFolder, { recursive: true, force: true, maxRetries: 3 }));
	const match = /peakRssBytes=(\d+)/.exec(output);
	if (!match) throw new Error(`memory child printed no result: ${output}`);
	return Number(match[1]);
}

async function memory(emulator: Emulator): Promise<void> {
	emulator.reset();
	emulator.setLatency(0);
	const small = scaled(20);
	const large = scaled(200);
	const smallPeak = await peakMemory(emulator, small);
	emulator.reset();
	const largePeak = await peakMemory(emulator, large);
	const ratio = largePeak / smallPeak;
	rows.push({
		measure: `4. peak RSS, ${large} vs ${small} items of 5 MB (filesystem mode)`,
		ours: megabytes(largePeak),
		baseline: megabytes(smallPeak),
		ratio: `${ratio.toFixed(2)}×`,
		target: '≤ 1.3×',
		met: ratio <= 1.3,
	});
}

async function inspection(): Promise<void> {
	let inspector: { inspectVideo: (bytes: Uint8Array) => unknown };
	try {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		inspector = require(join(ROOT, 'dist/nodes/SendWhatsAppVideo/mp4/inspect.js'));
	} catch {
		rows.push({ measure: '5. inspection cost', ours: 'n/a', baseline: 'n/a', ratio: 'inspector not built', target: '—', met: true });
		return;
	}
	const smallFile = paddedMp4(100 * 1024, 0);
	const bigFile = paddedMp4(16 * 1024 * 1024, 0);
	const perCall = (parse: (bytes: Buffer) => unknown, bytes: Buffer, rounds: number) => {
		for (let index = 0; index < Math.ceil(rounds / 10); index++) parse(bytes);
		const start = performance.now();
		for (let index = 0; index < rounds; index++) parse(bytes);
		return (performance.now() - start) / rounds;
	};
	const smallCost = perCall(inspector.inspectVideo, smallFile, 2000);
	const bigCost = perCall(inspector.inspectVideo, bigFile, 2000);
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { parseWithMp4Box } = require('../test/nodes/SendWhatsAppVideo/mp4/helpers') as typeof import('../test/nodes/SendWhatsAppVideo/mp4/helpers');
	const mp4boxCost = perCall(parseWithMp4Box, bigFile, 20);
	rows.push({
		measure: '5. inspecting a 16 MB MP4 vs a 100 KB one',
		ours: `${(bigCost * 1000).toFixed(1)} µs`,
		baseline: `${(smallCost * 1000).toFixed(1)} µs`,
		ratio: `${(bigCost / smallCost).toFixed(2)}×`,
		target: 'about the same (≤ 1.5×)',
		met: bigCost / smallCost <= 1.5,
	});
	rows.push({
		measure: '5b. the same 16 MB MP4: this inspector vs mp4box (GPAC\'s parser in JS)',
		ours: `${(bigCost * 1000).toFixed(1)} µs`,
		baseline: `${(mp4boxCost * 1000).toFixed(1)} µs`,
		ratio: `${(mp4boxCost / bigCost).toFixed(0)}× faster`,
		target: 'reported',
		met: true,
	});
}

const dialog360Url = (options: INodeParameters): INodeParameters => ({
	provider: 'dialog360',
	recipient: '={{ $json.phone }}',
	source: 'url',
	videoUrl: 'https://cdn.example.com/promo.mp4',
	options,
});
const itemsFor = (count: number): InputItem[] => Array.from({ length: count }, (_, index) => ({ json: { phone: phone(index) } }));
// The node's limiter lives as long as n8n's process and counts a send for up to 1.1 s: a pause
// between runs starts each with an empty window at both ends.
const settle = () => new Promise((resolve) => setTimeout(resolve, 1200));
/** The messages the provider accepted, from its records of one run. */
const acceptedSends = (records: ProcessRecord[]) =>
	records.filter((record) => record.method === 'POST' && record.path === '/messages' && record.created?.kind === 'message');

/** What the provider saw of one run: its accepted sends on its own clock, and what it refused. */
interface LimitRun {
	ms: number;
	accepted: number;
	recipients: number;
	throttled: number;
	/** (accepted − 1) / (last accepted arrival − first accepted arrival), per second. */
	rate: number;
	busiest: number;
}

async function providerLimit(): Promise<void> {
	const limit = 80;
	const latencyMs = 500;
	const counts = [scaled(300), scaled(1000)];
	// The provider is another machine, with its own clock for what arrived when (see row 2).
	const provider = await startEmulatorProcess({ latencyMs, rateLimits: { dialog360: limit } });
	const measure = async (count: number, options: INodeParameters): Promise<LimitRun> => {
		await provider.reset();
		const run = await timed(() => runNode(provider, dialog360Url(options), itemsFor(count)));
		const records = await provider.requests();
		const sends = records.filter((record) => record.method === 'POST' && record.path === '/messages');
		const accepted = acceptedSends(records);
		const arrivals = accepted.map((record) => record.startedAt).sort((a, b) => a - b);
		const span = (arrivals[arrivals.length - 1] - arrivals[0]) / 1000;
		const recipientOf = (record: ProcessRecord) => (record.created?.kind === 'message' ? record.created.recipient : '');
		await settle();
		return {
			ms: run.ms,
			accepted: accepted.length,
			recipients: new Set(accepted.map(recipientOf)).size,
			throttled: sends.filter((record) => record.throttled).length,
			rate: span > 0 ? (accepted.length - 1) / span : 0,
			busiest: busiestSecond(accepted),
		};
	};
	const describe = (run: LimitRun) => `${run.rate.toFixed(1)}/s in ${seconds(run.ms)}`;
	try {
		// Loads the code paths once; the warm-up's sends then leave the limiter's window.
		await runNode(provider, dialog360Url({}), itemsFor(10));
		await settle();
		const ours: LimitRun[] = [];
		const baselines: LimitRun[] = [];
		for (const [index, count] of counts.entries()) {
			const run = await measure(count, {});
			progress(`   ${count} items, default options: ${describe(run)} (${(run.rate / limit).toFixed(2)} of ${limit}/s), ${run.throttled} throttled, busiest second ${run.busiest}, load ${loadavg()[0].toFixed(1)}`);
			const baseline = await measure(count, { concurrency: 5 });
			progress(`   ${count} items, Concurrency 5: ${describe(baseline)}, ${baseline.throttled} throttled, busiest second ${baseline.busiest}, load ${loadavg()[0].toFixed(1)}`);
			ours.push(run);
			baselines.push(baseline);
			const share = run.rate / limit;
			const complete = run.accepted === count && run.recipients === count;
			rows.push({
				measure: `6${index === 0 ? '' : 'b'}. ${count} URL items (360dialog), 500 ms latency, provider refusing > ${limit}/s: messages/s at the provider, default options vs Concurrency 5`,
				ours: `${describe(run)} = ${share.toFixed(2)} of ${limit}`,
				baseline: describe(baseline),
				ratio: `${(run.rate / baseline.rate).toFixed(1)}× faster`,
				target: `≥ 0.9 of the limit${complete ? '' : `; ${count} messages, got ${run.accepted} to ${run.recipients} recipients`}`,
				met: share >= 0.9 && complete,
			});
		}
		const list = (runs: LimitRun[], key: 'throttled' | 'busiest') => runs.map((run) => String(run[key])).join(' + ');
		rows.push({
			measure: `6c. same, throttled sends (130429) at the provider, ${counts.join(' and ')} items`,
			ours: list(ours, 'throttled'),
			baseline: list(baselines, 'throttled'),
			ratio: '—',
			target: '0',
			met: ours.every((run) => run.throttled === 0),
		});
		const busiest = Math.max(...ours.map((run) => run.busiest));
		rows.push({
			measure: `6d. same, busiest second of accepted sends, ${counts.join(' and ')} items`,
			ours: ours.map((run) => String(run.busiest)).join(', '),
			baseline: baselines.map((run) => String(run.busiest)).join(', '),
			ratio: `${(busiest / limit).toFixed(2)} of the limit`,
			target: `≤ ${limit}`,
			met: busiest <= limit,
		});
	} finally {
		await provider.close();
	}
}

/** One run of the Send Once measurement, as the provider and n8n's store saw it. */
interface OnceRun {
	ms: number;
	accepted: number;
	skipped: number;
	/** checkProcessedAndRecord and removeProcessed calls, i.e. round trips to n8n's database. */
	storeCalls: number;
	/** Time spent inside the store's calls (the harness's copy of n8n's, in this process). */
	storeMs: number;
}

/** A first run each way (each a new workflow), then the Send Once workflow run again. */
interface OnceRound {
	off: OnceRun;
	on: OnceRun;
	rerun: OnceRun;
	/** The Send Once workflow's row after its first run, and after the re-run. */
	stored: string;
	storedAfterRerun: string | undefined;
	/** The row of the workflow without Send Once: there should be none. */
	storedWithoutSendOnce: string | undefined;
}

async function sendOnceCost(): Promise<void> {
	const latencyMs = 50;
	// The default 80 a second would make 10,000 sends take two minutes a run; both sides get the
	// same limit, so the difference is still what Send Once costs.
	const perSecond = 1000;
	const rounds = 3;
	const counts = [scaled(1000), scaled(10000)];
	// The store works in this process, on n8n's event loop as it does in n8n: its time is part of
	// the run's, and counted apart to say where the difference goes.
	let storeMs = 0;
	const timedStore = <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
		async (...args: A): Promise<R> => {
			const start = performance.now();
			try {
				return await call(...args);
			} finally {
				storeMs += performance.now() - start;
			}
		};
	processedData.checkProcessedAndRecord = timedStore(processedData.checkProcessedAndRecord.bind(processedData));
	processedData.removeProcessed = timedStore(processedData.removeProcessed.bind(processedData));
	const storeCalls = () => processedData.calls.record + processedData.calls.remove;
	const storedRow = (workflowId: string) => processedData.storedValue(workflowId, 'send');

	const provider = await startEmulatorProcess({ latencyMs });
	let workflows = 0;
	const newWorkflow = () => `bench-send-once-${++workflows}`;
	const measure = async (workflowId: string, count: number, sendOnce: boolean): Promise<OnceRun> => {
		await provider.reset();
		const [callsBefore, storeMsBefore] = [storeCalls(), storeMs];
		const run = await timed(() => runNode(provider, dialog360Url({ messagesPerSecond: perSecond, sendOnce }), itemsFor(count), { workflowId }));
		const accepted = acceptedSends(await provider.requests()).length;
		await settle();
		return {
			ms: run.ms,
			accepted,
			skipped: run.value.items.filter((item) => item.json.status === 'skipped').length,
			storeCalls: storeCalls() - callsBefore,
			storeMs: storeMs - storeMsBefore,
		};
	};
	// Like row 2: the two first runs of a round alternate which goes first, so load elsewhere on the
	// machine falls on both sides of a round's ratio, and the median round decides.
	const measureRound = async (count: number, round: number): Promise<OnceRound> => {
		const workflowIds = { off: newWorkflow(), on: newWorkflow() };
		const first: Partial<Record<'off' | 'on', OnceRun>> = {};
		for (const side of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
			first[side] = await measure(workflowIds[side], count, side === 'on');
		}
		const stored = storedRow(workflowIds.on) ?? '';
		const rerun = await measure(workflowIds.on, count, true);
		return {
			off: first.off as OnceRun,
			on: first.on as OnceRun,
			rerun,
			stored,
			storedAfterRerun: storedRow(workflowIds.on),
			storedWithoutSendOnce: storedRow(workflowIds.off),
		};
	};
	const describe = (run: OnceRun) => `${seconds(run.ms)} (${run.storeCalls} store calls, ${Math.round(run.storeMs)} ms in the store)`;
	/** The median round by `ratio`, whose own times are shown, and the range over all rounds. */
	const medianRound = (results: OnceRound[], ratio: (result: OnceRound) => number) => {
		const sorted = [...results].sort((a, b) => ratio(a) - ratio(b));
		const chosen = sorted[Math.floor(sorted.length / 2)];
		const range = `${ratio(sorted[0]).toFixed(2)}–${ratio(sorted[sorted.length - 1]).toFixed(2)}`;
		return { chosen, ratio: `${ratio(chosen).toFixed(2)}× (median round; rounds ${range})` };
	};
	const labels = ['', 'b', 'c', 'd', 'e', 'f'];
	try {
		// Loads the code paths once, Send Once's included.
		await measure(newWorkflow(), 10, true);
		for (const [index, count] of counts.entries()) {
			const label = (row: number) => `7${labels[index * 3 + row]}`;
			const results: OnceRound[] = [];
			for (let round = 0; round < rounds; round++) {
				const result = await measureRound(count, round);
				results.push(result);
				progress(
					`   ${count} items, round ${round + 1}/${rounds}: off ${seconds(result.off.ms)}, on ${seconds(result.on.ms)} (${Math.round(result.on.storeMs)} ms in the store), ` +
						`again ${seconds(result.rerun.ms)} (${Math.round(result.rerun.storeMs)} ms in the store), load ${loadavg()[0].toFixed(1)}`,
				);
			}
			const { stored } = results[0];
			const entries = stored ? (JSON.parse(stored) as { data: string[] }).data.length : 0;
			const first = medianRound(results, (result) => result.on.ms / result.off.ms);
			rows.push({
				measure: `${label(0)}. ${count} URL items (360dialog), ${latencyMs} ms latency, Messages per Second ${perSecond} on both sides: first run, Send Once on vs off (${rounds} rounds)`,
				ours: describe(first.chosen.on),
				baseline: seconds(first.chosen.off.ms),
				ratio: first.ratio,
				target: `reported; ${count} messages each way`,
				met: results.every((result) => result.on.accepted === count && result.off.accepted === count && result.storedWithoutSendOnce === undefined),
			});
			const again = medianRound(results, (result) => result.rerun.ms / result.off.ms);
			rows.push({
				measure: `${label(1)}. same, the Send Once workflow run again (every item skipped) vs the first run off`,
				ours: describe(again.chosen.rerun),
				baseline: seconds(again.chosen.off.ms),
				ratio: again.ratio,
				target: 'none sent, the stored row unchanged',
				met: results.every((result) => result.rerun.accepted === 0 && result.rerun.skipped === count && result.storedAfterRerun === result.stored),
			});
			rows.push({
				measure: `${label(2)}. same, what n8n stores after the first run (processed_data.value of the node's row)`,
				ours: `${(stored.length / 1024).toFixed(0)} KB, ${entries} entries`,
				baseline: 'nothing (off)',
				ratio: `${(stored.length / entries).toFixed(1)} bytes/entry`,
				target: 'one entry per recipient',
				met: entries === count,
			});
		}
	} finally {
		await provider.close();
	}
}

function printTable(): void {
	type Column = 'measure' | 'ours' | 'baseline' | 'ratio' | 'target' | 'mark';
	const mark = (row: Row) => row.verdict ?? (row.met ? 'yes' : 'NO');
	const header: Record<Column, string> = { measure: 'measure', ours: 'this node', baseline: 'baseline', ratio: 'ratio', target: 'target', mark: 'met' };
	const table = [header, ...rows.map((row) => ({ ...row, mark: mark(row) }))];
	const columns: Column[] = ['measure', 'ours', 'baseline', 'ratio', 'target', 'mark'];
	const width = (column: Column) => Math.max(...table.map((row) => row[column].length));
	const line = (row: Record<Column, string>) => `| ${columns.map((column) => row[column].padEnd(width(column))).join(' | ')} |`;
	const [load] = loadavg();
	console.log(
		`\nn8n-nodes-whatsapp-video benchmark, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ` +
			`${(totalmem() / 2 ** 30).toFixed(0)} GiB${load > 0 ? `, load average ${load.toFixed(1)} at the end` : ''}${SCALE !== 1 ? `, BENCH_SCALE=${SCALE}` : ''}\n`,
	);
	console.log(line(header));
	console.log(`|${columns.map((column) => '-'.repeat(width(column) + 2)).join('|')}|`);
	for (const row of table.slice(1)) console.log(line(row));
}

async function main(): Promise<void> {
	const emulator = await emulatorModule.startEmulator();
	try {
		const sections: Array<[title: string, run: () => Promise<void>]> = [
			[`1. ${scaled(200)} URL items one at a time: the node vs Node's http client (about ${Math.ceil(scaled(200) * 0.11)} s)`, () => nodeOverhead(emulator)],
			[`2. Concurrency 10 vs 1, five rounds of ${scaled(200)} URL items (about ${Math.ceil(scaled(200) * 0.3)} s)`, () => concurrency()],
			[`3. one 10 MB video to ${scaled(100)} recipients: upload once vs upload per recipient (about ${Math.ceil(scaled(100) * 0.2)} s)`, () => uploadOnce(emulator)],
			[`4. peak memory, ${scaled(20)} vs ${scaled(200)} items of 5 MB (about ${Math.ceil(scaled(220) * 0.15)} s)`, () => memory(emulator)],
			['5. inspection cost of a 16 MB vs a 100 KB MP4 (a few seconds)', () => inspection()],
			[
				`6. throughput at the provider's limit of 80/s, ${scaled(300)} and ${scaled(1000)} URL items at 500 ms latency, default options vs Concurrency 5 (about ${Math.ceil((scaled(300) + scaled(1000)) * 0.12) + 10} s)`,
				() => providerLimit(),
			],
			[
				`7. Send Once on vs off, three rounds of ${scaled(1000)} and of ${scaled(10000)} URL items at 50 ms latency, each with a re-run that skips every item (about ${Math.ceil((scaled(1000) + scaled(10000)) * 0.008) + 30} s)`,
				() => sendOnceCost(),
			],
		];
		const chosen = sections.filter((_, index) => ONLY.length === 0 || ONLY.includes(index + 1));
		progress(`${chosen.length} measurement${chosen.length === 1 ? '' : 's'}${SCALE !== 1 ? `, BENCH_SCALE=${SCALE}` : ''}; temporary files in ${benchDir}`);
		for (const [title, section] of chosen) {
			const sectionStarted = performance.now();
			progress(title);
			await section();
			progress(`   done in ${seconds(performance.now() - sectionStarted)}`);
		}
	} finally {
		await emulator.close();
		removeBenchDir();
	}
	printTable();
}

main().then(
	() => process.exit(0),
	(error: unknown) => {
		console.error(error);
		process.exit(1);
	},
);
