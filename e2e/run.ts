/**
 * `npm run test:e2e`: the packed package inside a real n8n, driven only by n8n's own CLI.
 *
 * 1. `npm run build`, `npm pack` into a temporary folder (a file missing from `files` fails here).
 * 2. For each pinned n8n (e2e/versions.env; E2E_N8N=old|current|old,current, default both):
 *    install it into the cache outside the repository (e2e/install-n8n.sh), make a fresh user folder
 *    with the unpacked package in `.n8n/custom/`, `n8n import:credentials` (plain JSON, fixed
 *    N8N_ENCRYPTION_KEY; base URLs pointing at the emulator), `n8n import:workflow`, then
 *    `n8n execute --id … --rawOutput` for each workflow.
 * 3. The provider emulator runs in this process, so every check reads what it received (paths,
 *    multipart parts, JSON bodies, message counts) next to n8n's own output.
 *
 * Offline: N8N_DIAGNOSTICS_ENABLED=false, N8N_VERSION_NOTIFICATIONS_ENABLED=false; the only
 * network use is the one-time npm install of n8n into the cache.
 * Env: N8N_E2E_CACHE (cache folder), E2E_N8N (which versions), E2E_KEEP=1 (keep the temp folder).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { EMULATOR_DEFAULTS as D, startEmulator, type Emulator, type RecordedRequest } from '../test/emulator/server';
import { Checks } from './lib/checks';
import {
	buildAndPack,
	ensureN8n,
	log,
	makeUserFolder,
	makeWorkDir,
	n8nEnv,
	removeDir,
	ROOT,
	runN8n,
	writeJson,
	type CliResult,
	type N8nInstall,
	type PackedPackage,
	type Which,
} from './lib/n8n';
import {
	buildWorkflows,
	credentialsFile,
	BAD_FIRST_RECIPIENTS,
	MIXED_RECIPIENTS,
	RECIPIENTS,
	VIDEO_URL,
	type Workflow,
	type Workflows,
} from './lib/workflows';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'videos', 'baseline-aac-faststart.mp4');
const fixtureBytes = readFileSync(FIXTURE);
const fixtureSha = createHash('sha256').update(fixtureBytes).digest('hex');
const SEND = 'Send WhatsApp Video';

interface OutputItem {
	json: Record<string, unknown>;
	pairedItem?: unknown;
	binary?: unknown;
}

interface Timing {
	label: string;
	ms: number;
}

/** `n8n execute --rawOutput` prints the run as pretty JSON: the block from a lone `{` to the last lone `}`. */
export function parseRun(stdout: string): Record<string, unknown> | undefined {
	const lines = stdout.split('\n');
	const start = lines.findIndex((line) => line === '{');
	let end = -1;
	for (let i = lines.length - 1; i >= 0; i--) {
		if (lines[i] === '}') {
			end = i;
			break;
		}
	}
	if (start === -1 || end < start) return undefined;
	try {
		return JSON.parse(lines.slice(start, end + 1).join('\n')) as Record<string, unknown>;
	} catch {
		return undefined;
	}
}

function nodeOutput(run: Record<string, unknown> | undefined, nodeName: string): OutputItem[] | undefined {
	const runData = (run as { data?: { resultData?: { runData?: Record<string, unknown> } } } | undefined)?.data?.resultData
		?.runData;
	const taskData = runData?.[nodeName] as Array<{ data?: { main?: OutputItem[][] } }> | undefined;
	return taskData?.[0]?.data?.main?.[0];
}

function header(request: RecordedRequest, name: string): unknown {
	return request.headers[name];
}

/** Sorted by their JSON text: for comparing what arrived without depending on arrival order. */
function sorted<T>(values: T[]): T[] {
	return [...values].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

function lancepilotPath(digits: string): string {
	return `/workspaces/${D.workspaceId}/contacts/number/%2B${digits}/messages/video`;
}

function describeResult(result: CliResult): string {
	const tail = (text: string): string => text.split('\n').slice(-25).join('\n');
	return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}${result.timedOut ? ' TIMED OUT' : ''} after ${result.ms} ms\n--- stdout (tail)\n${tail(result.stdout)}\n--- stderr (tail)\n${tail(result.stderr)}`;
}

function checkPackage(checks: Checks, pkg: PackedPackage): void {
	checks.section(`Packed package ${pkg.name}@${pkg.version}`);
	const manifest = JSON.parse(readFileSync(join(pkg.dir, 'package.json'), 'utf8')) as {
		n8n: { nodes: string[]; credentials: string[] };
		dependencies?: Record<string, string>;
		scripts?: Record<string, string>;
	};
	for (const path of [...manifest.n8n.nodes, ...manifest.n8n.credentials]) {
		checks.ok(`ships ${path} (listed in package.json "n8n")`, pkg.files.includes(path));
	}
	checks.ok('has no runtime dependencies', !manifest.dependencies || Object.keys(manifest.dependencies).length === 0, manifest.dependencies);
	const forbidden = ['preinstall', 'install', 'postinstall', 'prepare'].filter((s) => manifest.scripts?.[s]);
	checks.equal('has no install-time scripts', forbidden, []);
	const outside = pkg.files.filter((f) => !f.startsWith('dist/') && !/^(package\.json|README\.md|LICENSE(\.md)?)$/i.test(f));
	checks.equal('ships nothing but dist/, package.json, README and LICENSE', outside, []);
	checks.ok('ships no tests or source maps of tests', !pkg.files.some((f) => /\.test\.|\/test\//.test(f)), pkg.files);
	// Every `file:` icon the built node and credentials reference must be next to them.
	for (const jsPath of [...manifest.n8n.nodes, ...manifest.n8n.credentials]) {
		const js = readFileSync(join(pkg.dir, jsPath), 'utf8');
		const icons = [...js.matchAll(/['"]file:([^'"]+)['"]/g)].map((m) => m[1]);
		checks.ok(`${jsPath} references an icon`, icons.length > 0);
		for (const icon of icons) {
			const iconPath = join(jsPath, '..', icon);
			checks.ok(`ships its icon ${iconPath}`, pkg.files.includes(iconPath));
		}
	}
	const codex = manifest.n8n.nodes.map((p) => p.replace(/\.js$/, '.json'));
	for (const path of codex) checks.ok(`ships the codex file ${path}`, pkg.files.includes(path));
}

/** e2e/scan-lint.mjs: n8n's scanner rule set over the working tree and this packed tarball. */
function scanLint(checks: Checks, pkg: PackedPackage, timings: Timing[]): void {
	checks.section('Lint as @n8n/scan-community-package does (e2e/scan-lint.mjs)');
	const started = Date.now();
	const result = spawnSync(process.execPath, [join(ROOT, 'e2e', 'scan-lint.mjs'), '--package-dir', pkg.dir], {
		cwd: ROOT,
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	timings.push({ label: 'scan-lint', ms: Date.now() - started });
	const report = `${result.stdout}${result.stderr}`;
	checks.ok('the scanner rule set reports nothing on the source and on the packed tarball', result.status === 0, report);
}

async function execute(
	install: N8nInstall,
	env: NodeJS.ProcessEnv,
	emulator: Emulator,
	workflow: Workflow,
	timings: Timing[],
): Promise<{ result: CliResult; run?: Record<string, unknown>; output?: OutputItem[] }> {
	emulator.reset();
	const result = await runN8n(install, env, ['execute', `--id=${workflow.id}`, '--rawOutput']);
	timings.push({ label: `n8n ${install.version} execute "${workflow.name}"`, ms: result.ms });
	const run = parseRun(result.stdout);
	return { result, run, output: nodeOutput(run, SEND) };
}

function expectSuccess(checks: Checks, what: { result: CliResult; run?: Record<string, unknown> }): boolean {
	const ok = checks.ok('n8n execute exits 0 and prints the run as JSON', what.result.code === 0 && what.run !== undefined, describeResult(what.result));
	if (what.run) {
		const error = (what.run as { data?: { resultData?: { error?: unknown } } }).data?.resultData?.error;
		checks.equal('the run has no workflow error', error, undefined);
	}
	return ok;
}

async function checkLancepilotBinary(checks: Checks, ctx: Context, wf: Workflow): Promise<void> {
	checks.section(`[n8n ${ctx.install.version}] ${wf.name}`);
	const what = await execute(ctx.install, ctx.env, ctx.emulator, wf, ctx.timings);
	expectSuccess(checks, what);
	const requests = ctx.emulator.requests;
	checks.equal('the emulator got exactly one request', requests.length, 1);
	const request = requests[0];
	if (!request) return;
	checks.equal('POST to the by-number path with %2B and the digits', [request.provider, request.method, request.path], [
		'lancepilot',
		'POST',
		lancepilotPath('4915123456789'),
	]);
	checks.equal('Bearer token from the imported credential', header(request, 'authorization'), `Bearer ${D.lancepilotToken}`);
	checks.ok('multipart/form-data', (request.contentType ?? '').startsWith('multipart/form-data; boundary='), request.contentType);
	const parts = (request.multipart ?? []).map((p) => ({ name: p.name, filename: p.filename, contentType: p.contentType, size: p.size, sha256: p.sha256, value: p.value }));
	checks.equal(
		'parts: the file read from disk (same bytes, name, video/mp4) and the caption',
		[...parts].sort((a, b) => a.name.localeCompare(b.name)),
		[
			{ name: 'caption', filename: undefined, contentType: undefined, size: 18, sha256: createHash('sha256').update('Your weekly update').digest('hex'), value: 'Your weekly update' },
			{ name: 'file', filename: 'baseline-aac-faststart.mp4', contentType: 'video/mp4', size: fixtureBytes.length, sha256: fixtureSha, value: undefined },
		],
	);
	checks.equal('Lancepilot answered 201 and created one message', [request.status, ctx.emulator.messagesCreated('lancepilot').length], [201, 1]);
	const out = what.output ?? [];
	checks.equal('n8n output: one item, paired with the input item', out.map((i) => i.pairedItem), [{ item: 0 }]);
	const json = out[0]?.json ?? {};
	const data = (request.responseBody as { data?: { id?: string } }).data;
	checks.equal('n8n output json: provider, recipient, status, messageId', [json.provider, json.recipient, json.status, json.messageId], [
		'lancepilot',
		'4915123456789',
		'created',
		data?.id ?? null,
	]);
	checks.equal('n8n output json.response is the provider body', json.response, request.responseBody);
	checks.ok('n8n output carries no binary data', out[0]?.binary === undefined);
}

async function checkDialog360Binary(checks: Checks, ctx: Context, wf: Workflow): Promise<void> {
	checks.section(`[n8n ${ctx.install.version}] ${wf.name}`);
	const what = await execute(ctx.install, ctx.env, ctx.emulator, wf, ctx.timings);
	expectSuccess(checks, what);
	const requests = ctx.emulator.requests;
	checks.equal('the emulator got POST /media, then POST /messages', requests.map((r) => `${r.provider} ${r.method} ${r.path} ${r.status}`), [
		'dialog360 POST /media 200',
		'dialog360 POST /messages 200',
	]);
	for (const r of requests) checks.equal(`${r.path}: D360-API-KEY from the imported credential`, header(r, 'd360-api-key'), D.dialog360ApiKey);
	const [upload, message] = requests;
	if (!upload || !message) return;
	const parts = (upload.multipart ?? []).map((p) => ({ name: p.name, filename: p.filename, contentType: p.contentType, sha256: p.sha256, value: p.value }));
	checks.equal(
		'upload parts: messaging_product=whatsapp and the file (same bytes, File Name option, video/mp4)',
		[...parts].sort((a, b) => a.name.localeCompare(b.name)),
		[
			{ name: 'file', filename: 'clip.mp4', contentType: 'video/mp4', sha256: fixtureSha, value: undefined },
			{ name: 'messaging_product', filename: undefined, contentType: undefined, sha256: createHash('sha256').update('whatsapp').digest('hex'), value: 'whatsapp' },
		],
	);
	const mediaId = (upload.responseBody as { id?: string }).id;
	checks.equal('message JSON sends the uploaded media id', message.json, {
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		to: '4915123456789',
		type: 'video',
		video: { id: mediaId, caption: 'Uploaded, then sent by media ID' },
		biz_opaque_callback_data: 'order-42',
	});
	const out = what.output ?? [];
	checks.equal('n8n output: one item, paired with the input item', out.map((i) => i.pairedItem), [{ item: 0 }]);
	const json = out[0]?.json ?? {};
	const wamid = (message.responseBody as { messages?: Array<{ id: string }> }).messages?.[0]?.id;
	checks.equal('n8n output json: provider, recipient, status, messageId, mediaId', [json.provider, json.recipient, json.status, json.messageId, json.mediaId], [
		'dialog360',
		'4915123456789',
		'accepted',
		wamid,
		mediaId,
	]);
}

async function checkLancepilotUrlList(checks: Checks, ctx: Context, wf: Workflow): Promise<void> {
	checks.section(`[n8n ${ctx.install.version}] ${wf.name}`);
	const what = await execute(ctx.install, ctx.env, ctx.emulator, wf, ctx.timings);
	expectSuccess(checks, what);
	const requests = ctx.emulator.requests;
	// The node may send several items at once, so the emulator's order is not the items' order.
	checks.equal(
		'one POST per recipient, by number with %2B; JSON bodies with the URL and the caption evaluated per item',
		sorted(requests.map((r) => ({ request: `${r.method} ${r.path} ${r.status}`, json: r.json }))),
		sorted(RECIPIENTS.map((r) => ({ request: `POST ${lancepilotPath(r.digits)} 201`, json: { file: VIDEO_URL, caption: `Hi ${r.name}, here is your welcome video!` } }))),
	);
	checks.equal('three messages created', ctx.emulator.messagesCreated('lancepilot').length, 3);
	const out = what.output ?? [];
	checks.equal('n8n output: three items, each paired with its input item', out.map((i) => i.pairedItem), [{ item: 0 }, { item: 1 }, { item: 2 }]);
	checks.equal('n8n output: recipients and status, in the order of the input items', out.map((i) => [i.json.recipient, i.json.status]), RECIPIENTS.map((r) => [r.digits, 'created']));
}

async function checkDialog360ContinueOnFail(checks: Checks, ctx: Context, wf: Workflow): Promise<void> {
	checks.section(`[n8n ${ctx.install.version}] ${wf.name}`);
	const what = await execute(ctx.install, ctx.env, ctx.emulator, wf, ctx.timings);
	expectSuccess(checks, what);
	const good = MIXED_RECIPIENTS.filter((r) => r.digits !== null);
	const requests = ctx.emulator.requests;
	checks.equal('only the two good items were sent', requests.map((r) => `${r.method} ${r.path} ${r.status}`), good.map(() => 'POST /messages 200'));
	checks.equal(
		'message JSON: link and caption per item',
		sorted(requests.map((r) => r.json)),
		sorted(good.map((r) => ({
			messaging_product: 'whatsapp',
			recipient_type: 'individual',
			to: r.digits,
			type: 'video',
			video: { link: VIDEO_URL, caption: `For ${r.name}` },
		}))),
	);
	const out = what.output ?? [];
	checks.equal('n8n output: three items, each paired with its input item', out.map((i) => i.pairedItem), [{ item: 0 }, { item: 1 }, { item: 2 }]);
	checks.equal('items 0 and 2 accepted', [out[0]?.json.status, out[2]?.json.status], ['accepted', 'accepted']);
	const error = String(out[1]?.json.error ?? '');
	checks.ok('item 1 is an error naming the field and the item', /Phone Number/.test(error) && /item 1/.test(error), out[1]?.json);
	checks.ok('item 1 has a description saying how to fix it', typeof out[1]?.json.description === 'string' && String(out[1]?.json.description).length > 0, out[1]?.json);
}

async function checkRetryOnFail(checks: Checks, ctx: Context, wf: Workflow): Promise<void> {
	checks.section(`[n8n ${ctx.install.version}] ${wf.name}`);
	const what = await execute(ctx.install, ctx.env, ctx.emulator, wf, ctx.timings);
	expectSuccess(checks, what);
	const good = BAD_FIRST_RECIPIENTS.filter((r) => r.digits !== null);
	const sentTo = ctx.emulator.messagesCreated().map((r) => (r.json as { to: string }).to);
	checks.equal('each good recipient got exactly one message over n8n\'s tries', sorted(sentTo), sorted(good.map((r) => r.digits)));
	const out = what.output ?? [];
	checks.ok('item 0 is the error that made n8n try again', /Phone Number/.test(String(out[0]?.json.error ?? '')), out[0]?.json);
	checks.equal('the other items are accepted, in order', out.slice(1).map((i) => [i.json.recipient, i.json.status]), good.map((r) => [r.digits, 'accepted']));
}

async function checkWrongToken(checks: Checks, ctx: Context, wf: Workflow): Promise<void> {
	checks.section(`[n8n ${ctx.install.version}] ${wf.name}`);
	const what = await execute(ctx.install, ctx.env, ctx.emulator, wf, ctx.timings);
	checks.ok('n8n execute fails (exit code not 0)', what.result.code !== 0 && !what.result.timedOut, describeResult(what.result));
	const text = `${what.result.stdout}\n${what.result.stderr}`;
	checks.ok("n8n reports the node's message", text.includes('Lancepilot rejected the API token (401 Unauthenticated.)'), describeResult(what.result));
	checks.ok('the wrong token does not appear in what n8n printed', !text.includes('lp_wrong_token_for_the_e2e_test'));
	const requests = ctx.emulator.requests;
	checks.equal('one request, answered 401, no message created', [requests.map((r) => `${r.method} ${r.path} ${r.status}`), ctx.emulator.messagesCreated().length], [
		[`POST /workspaces/${D.workspaceId}/contacts/${D.contactId}/messages/video 401`],
		0,
	]);
}

interface Context {
	install: N8nInstall;
	env: NodeJS.ProcessEnv;
	emulator: Emulator;
	timings: Timing[];
}

async function runAgainst(checks: Checks, which: Which, pkg: PackedPackage, workDir: string, emulator: Emulator, timings: Timing[]): Promise<N8nInstall | undefined> {
	const installStarted = Date.now();
	let install: N8nInstall;
	try {
		install = await ensureN8n(which);
	} catch (error) {
		checks.section(`n8n (${which})`);
		checks.ok('installs', false, (error as Error).message);
		return undefined;
	}
	timings.push({ label: `n8n ${install.version} ${install.installedNowSeconds !== undefined ? 'install' : 'from cache'}`, ms: Date.now() - installStarted });
	log(`n8n ${install.version} on node ${install.nodeVersion} from ${install.dir}`);

	const userFolder = makeUserFolder(workDir, pkg, which);
	const env = await n8nEnv(install, userFolder);
	// Read/Write Files from Disk may only read inside N8N_RESTRICT_FILE_ACCESS_TO (<user folder>/files).
	const video = join(userFolder, 'files', 'baseline-aac-faststart.mp4');
	copyFileSync(FIXTURE, video);
	const workflows: Workflows = buildWorkflows(video);
	const credentialsPath = join(workDir, `credentials-${which}.json`);
	const workflowsPath = join(workDir, `workflows-${which}.json`);
	writeJson(credentialsPath, credentialsFile(emulator.lancepilotBaseUrl, emulator.dialog360BaseUrl));
	writeJson(workflowsPath, Object.values(workflows));

	checks.section(`[n8n ${install.version}, node ${install.nodeVersion}] import`);
	const creds = await runN8n(install, env, ['import:credentials', `--input=${credentialsPath}`]);
	timings.push({ label: `n8n ${install.version} import:credentials`, ms: creds.ms });
	checks.ok('n8n import:credentials (plain JSON, encrypted with the fixed key)', creds.code === 0, describeResult(creds));
	const wfs = await runN8n(install, env, ['import:workflow', `--input=${workflowsPath}`]);
	timings.push({ label: `n8n ${install.version} import:workflow`, ms: wfs.ms });
	checks.ok(`n8n import:workflow (${Object.keys(workflows).length} workflows)`, wfs.code === 0, describeResult(wfs));
	if (creds.code !== 0 || wfs.code !== 0) return install;

	const ctx: Context = { install, env, emulator, timings };
	await checkLancepilotBinary(checks, ctx, workflows.lancepilotBinary);
	await checkDialog360Binary(checks, ctx, workflows.dialog360Binary);
	await checkLancepilotUrlList(checks, ctx, workflows.lancepilotUrlList);
	await checkDialog360ContinueOnFail(checks, ctx, workflows.dialog360UrlContinueOnFail);
	await checkWrongToken(checks, ctx, workflows.lancepilotWrongToken);
	await checkRetryOnFail(checks, ctx, workflows.dialog360RetryOnFail);
	return install;
}

async function main(): Promise<number> {
	const targets = (process.env.E2E_N8N ?? 'old,current').split(',').map((s) => s.trim()).filter(Boolean) as Which[];
	for (const t of targets) if (t !== 'old' && t !== 'current') throw new Error(`E2E_N8N: unknown "${t}" (old, current)`);
	const started = Date.now();
	const checks = new Checks();
	const timings: Timing[] = [];
	const workDir = makeWorkDir('wa-video-e2e-');
	const emulator = await startEmulator({ host: '127.0.0.1' });
	const tested: string[] = [];
	try {
		const packStarted = Date.now();
		const pkg = buildAndPack(workDir, { build: process.env.E2E_SKIP_BUILD !== '1' });
		timings.push({ label: 'build + npm pack', ms: Date.now() - packStarted });
		checkPackage(checks, pkg);
		scanLint(checks, pkg, timings);
		for (const which of targets) {
			const install = await runAgainst(checks, which, pkg, workDir, emulator, timings);
			if (install) tested.push(`n8n ${install.version} on Node ${install.nodeVersion}`);
		}
	} finally {
		await emulator.close();
		// A failed run keeps its user folders (n8n's database and logs) for a look afterwards.
		if (process.env.E2E_KEEP === '1' || checks.failures.length > 0) log(`kept ${workDir}`);
		else removeDir(workDir);
	}
	process.stdout.write('\nTimings\n');
	for (const t of timings) process.stdout.write(`  ${(t.ms / 1000).toFixed(1).padStart(7)} s  ${t.label}\n`);
	process.stdout.write(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(7)} s  total\n`);
	process.stdout.write(`\nTested: ${tested.join('; ') || 'nothing'}\n`);
	return checks.summary();
}

if (require.main === module) {
	main().then(
		(code) => process.exit(code),
		(error: unknown) => {
			process.stderr.write(`e2e failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
			process.exit(1);
		},
	);
}
