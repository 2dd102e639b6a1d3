/**
 * `npm run bench`: measures the built node against baselines taken in the same run, against the
 * bundled emulator with injected latency, and prints ratios (never absolute pass/fail times:
 * machines are noisy, ratios from one run are comparable).
 *
 *  1. node overhead: N URL items sent one at a time by the node vs. the same N requests made
 *     directly with Node's own HTTP client;
 *  2. concurrency: 1,000 URL items at 50 ms latency with Concurrency 10 vs. 1, and the busiest
 *     second seen by the emulator against the configured limit (the emulator in its own process);
 *  3. one 10 MB video to 100 recipients on 360dialog vs. uploading it per recipient as n8n's own
 *     WhatsApp node does (bytes uploaded and wall time);
 *  4. peak memory (RSS) of 20 vs. 200 items of 5 MB in filesystem binary mode, each run in a
 *     fresh child process;
 *  5. the inspection cost of a 16 MB file against a 100 KB one, when the inspector is present.
 *
 * BENCH_SCALE (default 1) scales the item counts down for a quick look, e.g. BENCH_SCALE=0.1;
 * BENCH_ONLY picks measurements by number, e.g. BENCH_ONLY=2,3.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

import type { ICredentialType, INodeParameters, INodeType } from 'n8n-workflow';

import { busiestSecond } from '../test/emulator/rates';
import type { Emulator } from '../test/emulator/server';
import type { InputItem } from '../test/harness/engine';
import { startRemoteEmulator } from './bench-emulator';
import { paddedMp4 } from './bench-videos';

const ROOT = join(__dirname, '..');
const userFolder = mkdtempSync(join(tmpdir(), 'wa-video-bench-'));
process.env.N8N_USER_FOLDER = userFolder;
process.env.N8N_LOG_LEVEL = 'silent';

/* eslint-disable @typescript-eslint/no-require-imports */
const engine = require('../test/harness/engine') as typeof import('../test/harness/engine');
const emulatorModule = require('../test/emulator/server') as typeof import('../test/emulator/server');
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

async function runNode(emulator: EmulatorUrls, parameters: INodeParameters, items: InputItem[], binaryMode: 'memory' | 'filesystem' = 'memory') {
	const result = await engine.runWorkflow({ parameters, items, credentials: credentials(emulator), binaryMode, ...built });
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
	rows.push({
		measure: `1. ${count} URL items one at a time, 50 ms latency: node vs Node's http client (node adds ${perItem.toFixed(1)} ms/item)`,
		ours: seconds(ours.ms),
		baseline: seconds(direct.ms),
		ratio: `${ratio.toFixed(3)}×`,
		target: '≤ 1.15×',
		met: ratio <= 1.15,
	});
}

async function concurrency(): Promise<void> {
	const count = scaled(1000);
	const limit = 250;
	const items = Array.from({ length: count }, (_, index) => ({ json: { phone: phone(index) } }));
	// The provider is another machine: give the emulator its own process, or its CPU time would
	// queue on the node's event loop and cap the speedup of requests in flight (see the child).
	const provider = await startRemoteEmulator();
	try {
		await runNode(provider, lancepilotUrl({ concurrency: 10 }), items.slice(0, 20));
		await provider.reset(50);
		const one = await timed(() => runNode(provider, lancepilotUrl({ concurrency: 1, messagesPerSecond: limit }), items));
		await provider.reset(50);
		const ten = await timed(() => runNode(provider, lancepilotUrl({ concurrency: 10, messagesPerSecond: limit }), items));
		const busiest = busiestSecond(await provider.starts());
		const speedup = one.ms / ten.ms;
		rows.push({
			measure: `2. ${count} URL items, 50 ms latency: Concurrency 10 vs 1`,
			ours: seconds(ten.ms),
			baseline: seconds(one.ms),
			ratio: `${speedup.toFixed(1)}× faster`,
			target: '≥ 8×',
			met: speedup >= 8,
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
	const { stdout: output } = await promisify(execFile)(
		process.execPath,
		[require.resolve('ts-node/dist/bin.js'), '--transpile-only', join(__dirname, 'bench-memory-child.ts'), String(items), emulator.lancepilotBaseUrl],
		{ env: { ...process.env, N8N_USER_FOLDER: mkdtempSync(join(tmpdir(), 'wa-video-bench-mem-')) }, encoding: 'utf8', maxBuffer: 1024 * 1024 },
	);
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

function printTable(): void {
	const header: Row = { measure: 'measure', ours: 'this node', baseline: 'baseline', ratio: 'ratio', target: 'target', met: true };
	const all = [header, ...rows];
	const width = (key: keyof Omit<Row, 'met'>) => Math.max(...all.map((row) => row[key].length));
	const keys: Array<keyof Omit<Row, 'met'>> = ['measure', 'ours', 'baseline', 'ratio', 'target'];
	const line = (row: Row, mark: string) => `| ${keys.map((key) => row[key].padEnd(width(key))).join(' | ')} | ${mark} |`;
	console.log(`\nn8n-nodes-whatsapp-video benchmark, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB${SCALE !== 1 ? `, BENCH_SCALE=${SCALE}` : ''}\n`);
	console.log(line(header, 'met'));
	console.log(`|${keys.map((key) => '-'.repeat(width(key) + 2)).join('|')}|-----|`);
	for (const row of rows) console.log(line(row, row.met ? 'yes' : 'NO'));
}

async function main(): Promise<void> {
	const emulator = await emulatorModule.startEmulator();
	try {
		const sections = [
			() => nodeOverhead(emulator),
			() => concurrency(),
			() => uploadOnce(emulator),
			() => memory(emulator),
			() => inspection(),
		];
		for (const [index, section] of sections.entries()) {
			if (ONLY.length === 0 || ONLY.includes(index + 1)) await section();
		}
	} finally {
		await emulator.close();
		rmSync(userFolder, { recursive: true, force: true });
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
