/**
 * `npm run test:e2e`: the packed package inside a real n8n, driven by n8n's own CLI, then by
 * `n8n start` and its REST API.
 *
 * 1. `npm run build`, `npm pack` into a temporary folder (a file missing from `files` fails here).
 * 2. For each pinned n8n (e2e/versions.env; E2E_N8N=old|current|old,current, default both):
 *    install it into the cache outside the repository (e2e/install-n8n.sh), make a fresh user folder
 *    with the unpacked package in `.n8n/custom/`, `n8n import:credentials` (plain JSON, fixed
 *    N8N_ENCRYPTION_KEY; base URLs pointing at the emulator), `n8n import:workflow`, then
 *    `n8n execute --id … --rawOutput` for each workflow, once per binary data mode n8n 3.0 keeps
 *    (N8N_DEFAULT_BINARY_DATA_MODE=filesystem, then database). Then `n8n start` in the same user
 *    folder for the status trigger and the README's example pair (e2e/statusTrigger.ts); Send Once
 *    across runs and n8n's Retry (e2e/sendOnce.ts); in n8n 2.41 the SSRF protection part (e2e/ssrf.ts).
 * 3. The provider emulator runs in this process, so every check reads what it received (paths,
 *    multipart parts, JSON bodies, message counts) next to n8n's own output.
 *
 * Offline: N8N_DIAGNOSTICS_ENABLED=false, N8N_VERSION_NOTIFICATIONS_ENABLED=false; the only
 * network use is the one-time npm install of n8n into the cache.
 * Env: N8N_E2E_CACHE (cache folder), E2E_N8N (which versions), E2E_KEEP=1 (keep the temp folder),
 * E2E_ONLY=cli,ai-agent,start,send-once,ssrf (only those parts after the import: the `n8n execute`
 * workflows in each binary data mode, the AI Agent workflow of e2e/aiAgent.ts, the `n8n start` part,
 * the Send Once part of e2e/sendOnce.ts, the SSRF part of e2e/ssrf.ts), E2E_START_ONLY=1
 * (= E2E_ONLY=start).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import { EMULATOR_DEFAULTS as D, EMULATOR_TEMPLATES, startEmulator, type Emulator, type RecordedRequest } from '../test/emulator/server';
import type { MediaHost } from '../test/harness/mediaServer';
import { BINARY_MODES, ID_PREFIX, readStoredBinary, type BinaryMode } from './lib/binaryStorage';
import { Checks } from './lib/checks';
import { describeResult, nodeOutput, parseRun, type OutputItem } from './lib/cli';
import { loadInstallWorkflow, scanRuntimeImports } from './lib/imports';
import { buildStatusWorkflows, type StatusWorkflows } from './lib/statusWorkflows';
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
	CREDENTIALS,
	AUTUMN_TEASER,
	BAD_FIRST_RECIPIENTS,
	BINARY_OPTION_NODES,
	BSUID_ITEMS,
	BSUID_NODES,
	CONCURRENCY,
	CONCURRENT_ITEMS,
	CUSTOMERS,
	LINK_CHECK_ITEMS,
	MIXED_RECIPIENTS,
	PROMO_VIDEO_URL,
	RECIPIENTS,
	REFUSED_TEMPLATE_NODES,
	SCHEDULE_TRIGGER,
	SEND,
	SPRING_PROMO,
	TEMPLATE_NODES,
	TRIGGER,
	UPLOAD_ITEMS,
	VIDEO_URL,
	VIDEOS,
	type Workflow,
	type Workflows,
} from './lib/workflows';
import { checkAiAgent } from './aiAgent';
import { checkSendOnce } from './sendOnce';
import { checkSsrf } from './ssrf';
import { checkStatusTrigger } from './statusTrigger';

type Part = 'cli' | 'ai-agent' | 'start' | 'send-once' | 'ssrf';
const PARTS: Part[] = ['cli', 'ai-agent', 'start', 'send-once', 'ssrf'];

/** The parts of a run for each n8n; all of them unless E2E_ONLY (or E2E_START_ONLY=1) picks some. */
function selectedParts(): Set<Part> {
	const only = process.env.E2E_START_ONLY === '1' ? 'start' : process.env.E2E_ONLY;
	if (!only) return new Set(PARTS);
	const picked = only.split(',').map((s) => s.trim()).filter(Boolean) as Part[];
	for (const p of picked) if (!PARTS.includes(p)) throw new Error(`E2E_ONLY: unknown part "${p}" (${PARTS.join(', ')})`);
	return new Set(picked);
}

const parts = selectedParts();

const FIXTURES = join(ROOT, 'test', 'fixtures', 'videos');
const FIXTURE = join(FIXTURES, VIDEOS.faststart);
const fixtureBytes = readFileSync(FIXTURE);
const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
const fixtureSha = sha256(fixtureBytes);
const video = (name: string): Buffer => readFileSync(join(FIXTURES, name));

interface Timing {
	label: string;
	ms: number;
}

export { parseRun };

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

/**
 * Every runtime import from n8n-workflow in the packed JS must exist in this install's own
 * n8n-workflow: the package runs against whichever one the user's n8n ships.
 */
async function checkRuntimeImports(checks: Checks, pkg: PackedPackage, install: N8nInstall, timings: Timing[]): Promise<void> {
	const started = Date.now();
	const scan = scanRuntimeImports(pkg.dir);
	const names = [...new Set(scan.imports.map((i) => i.name))].sort();
	let loaded;
	try {
		loaded = await loadInstallWorkflow(install, names);
	} catch (error) {
		checks.section(`[n8n ${install.version}] runtime imports from n8n-workflow`);
		checks.ok("loads the install's own n8n-workflow", false, (error as Error).message);
		return;
	}
	timings.push({ label: `n8n ${install.version} runtime import check`, ms: Date.now() - started });
	checks.section(`[n8n ${install.version}] runtime imports from n8n-workflow ${loaded.version} (${loaded.path})`);
	checks.ok(`the scan found the package's imports (${names.join(', ')}) in ${scan.files.length} JS files`, names.length > 0 && loaded.exportCount > 0, scan);
	checks.equal('every use of n8n-workflow in the JS is one the scan can read name by name', scan.unreadable, []);
	const missing = scan.imports.filter((i) => loaded.missing.includes(i.name)).map((i) => `${i.name} (used in ${i.file})`);
	checks.equal(`every name the package takes from n8n-workflow exists in n8n ${install.version}'s n8n-workflow ${loaded.version}`, missing, []);
}

interface Execution {
	result: CliResult;
	run?: Record<string, unknown>;
	output?: OutputItem[];
	/** The output of any node of the workflow, by name. */
	of(nodeName: string): OutputItem[];
}

async function execute(ctx: Context, workflow: Workflow, prepare?: () => void): Promise<Execution> {
	ctx.emulator.reset();
	ctx.media.requests.length = 0;
	prepare?.();
	const result = await runN8n(ctx.install, ctx.env, ['execute', `--id=${workflow.id}`, '--rawOutput']);
	ctx.timings.push({ label: `${where(ctx)}: execute "${workflow.name}"`, ms: result.ms });
	const run = parseRun(result.stdout);
	return { result, run, output: nodeOutput(run, SEND), of: (nodeName) => nodeOutput(run, nodeName) ?? [] };
}

function expectSuccess(checks: Checks, what: { result: CliResult; run?: Record<string, unknown> }): boolean {
	const ok = checks.ok('n8n execute exits 0 and prints the run as JSON', what.result.code === 0 && what.run !== undefined, describeResult(what.result));
	if (what.run) {
		const error = (what.run as { data?: { resultData?: { error?: unknown } } }).data?.resultData?.error;
		checks.equal('the run has no workflow error', error, undefined);
	}
	return ok;
}

/**
 * The file Read/Write Files from Disk read went through n8n's storage of this pass's mode: n8n's
 * output names it by an id of that mode, and the bytes under that id (a file below the storage
 * folder, or a row of the binary_data table) are the fixture's. The node read them from there.
 */
async function checkStoredBinary(checks: Checks, ctx: Context, readOutput: OutputItem[]): Promise<void> {
	const binary = (readOutput[0]?.binary as { data?: { id?: string; data?: string } } | undefined)?.data;
	const id = binary?.id ?? '';
	checks.ok(`n8n keeps the file read from disk as "${ID_PREFIX[ctx.mode]}…" (its ${ctx.mode} mode), only a reference in the item`, id.startsWith(ID_PREFIX[ctx.mode]), binary);
	const stored = id ? await readStoredBinary(ctx.install, ctx.userFolder, id) : undefined;
	const place = ctx.mode === 'database' ? "a row of n8n's binary_data table (SQLite)" : "a file below n8n's storage folder";
	checks.equal(`under that id, ${place} holds the fixture's bytes`, stored ? sha256(stored) : 'nothing stored', fixtureSha);
}

async function checkLancepilotBinary(checks: Checks, ctx: Context, wf: Workflow): Promise<void> {
	checks.section(`[${where(ctx)}] ${wf.name}`);
	const what = await execute(ctx, wf);
	expectSuccess(checks, what);
	await checkStoredBinary(checks, ctx, what.of('Read Video File'));
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
	checks.section(`[${where(ctx)}] ${wf.name}`);
	const what = await execute(ctx, wf);
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

/** Meta's paths below the emulator's mount: `/{version}/{phone-number-id}/media|messages`. */
function metaPath(edge: 'media' | 'messages'): string {
	return `/${D.metaGraphApiVersion}/${D.metaPhoneNumberId}/${edge}`;
}

async function checkMetaBinary(checks: Checks, ctx: Context, wf: Workflow): Promise<void> {
	checks.section(`[${where(ctx)}] ${wf.name}`);
	const what = await execute(ctx, wf);
	expectSuccess(checks, what);
	const requests = ctx.emulator.requests;
	checks.equal(
		"Meta got POST …/media, then POST …/messages, below the credential's Graph API version and Phone Number ID",
		requests.map((r) => `${r.provider} ${r.method} ${r.path} ${r.status}`),
		[`whatsappCloud POST ${metaPath('media')} 200`, `whatsappCloud POST ${metaPath('messages')} 200`],
	);
	for (const r of requests) checks.equal(`${r.path}: Bearer token from the imported credential`, header(r, 'authorization'), `Bearer ${D.metaAccessToken}`);
	const [upload, message] = requests;
	if (!upload || !message) return;
	const parts = (upload.multipart ?? []).map((p) => ({ name: p.name, filename: p.filename, contentType: p.contentType, size: p.size, sha256: p.sha256, value: p.value }));
	checks.equal(
		'upload parts: messaging_product=whatsapp and the file read from disk (same bytes, its own name, video/mp4)',
		[...parts].sort((a, b) => a.name.localeCompare(b.name)),
		[
			{ name: 'file', filename: VIDEOS.faststart, contentType: 'video/mp4', size: fixtureBytes.length, sha256: fixtureSha, value: undefined },
			{ name: 'messaging_product', filename: undefined, contentType: undefined, size: 8, sha256: sha256('whatsapp'), value: 'whatsapp' },
		],
	);
	const mediaId = (upload.responseBody as { id?: string }).id;
	checks.equal('Meta stored the uploaded bytes under the media id it answered', sha256(ctx.emulator.storedMedia().find((m) => m.id === mediaId)?.data ?? ''), fixtureSha);
	checks.equal('message JSON sends the uploaded media id, the caption and the callback data', message.json, {
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		to: '4915123456789',
		type: 'video',
		video: { id: mediaId, caption: 'Straight from Meta' },
		biz_opaque_callback_data: 'order-43',
	});
	checks.equal('one message created at Meta', ctx.emulator.messagesCreated('whatsappCloud').length, 1);
	const out = what.output ?? [];
	checks.equal('n8n output: one item, paired with the input item', out.map((i) => i.pairedItem), [{ item: 0 }]);
	const json = out[0]?.json ?? {};
	const wamid = (message.responseBody as { messages?: Array<{ id: string }> }).messages?.[0]?.id;
	checks.ok("Meta's answer has a wamid", typeof wamid === 'string' && wamid.startsWith('wamid.'), message.responseBody);
	checks.equal('n8n output json: provider, recipient, status, messageId, mediaId', [json.provider, json.recipient, json.status, json.messageId, json.mediaId], [
		'whatsappCloud',
		'4915123456789',
		'accepted',
		wamid,
		mediaId,
	]);
	checks.equal('n8n output json.response is the provider body', json.response, message.responseBody);
	checks.ok('n8n output carries no binary data', out[0]?.binary === undefined);
}

async function checkBsuidRecipients(checks: Checks, ctx: Context, wf: Workflow): Promise<void> {
	checks.section(`[${where(ctx)}] ${wf.name}`);
	const what = await execute(ctx, wf);
	expectSuccess(checks, what);
	const cloudApis = [
		{ provider: 'whatsappCloud' as const, node: BSUID_NODES.whatsappCloud, messagesPath: metaPath('messages') },
		{ provider: 'dialog360' as const, node: BSUID_NODES.dialog360, messagesPath: '/messages' },
	];
	for (const { provider, node, messagesPath } of cloudApis) {
		const requests = ctx.emulator.requests.filter((r) => r.provider === provider);
		checks.equal(
			`${node}: one message per item; a BSUID goes as "recipient" with no "to", the phone number as "to"`,
			sorted(requests.map((r) => ({ request: `${r.method} ${r.path} ${r.status}`, json: r.json }))),
			sorted(
				BSUID_ITEMS.map((r) => ({
					request: `POST ${messagesPath} 200`,
					json: { messaging_product: 'whatsapp', recipient_type: 'individual', ...r.sentAs, type: 'video', video: { link: VIDEO_URL, caption: `For ${r.name}` } },
				})),
			),
		);
		const out = what.of(node);
		checks.equal(
			`${node}: n8n output: three items in input order, recipients as sent (the BSUIDs as typed), accepted, with a messageId`,
			out.map((i) => [i.pairedItem, i.json.provider, i.json.recipient, i.json.status, typeof i.json.messageId === 'string']),
			BSUID_ITEMS.map((r, item) => [{ item }, provider, r.output, 'accepted', true]),
		);
	}
	const lancepilot = ctx.emulator.requests.filter((r) => r.provider === 'lancepilot');
	const phoneOnly = BSUID_ITEMS.filter((r) => r.lancepilot);
	checks.equal(
		`${BSUID_NODES.lancepilot}: only the phone number was sent; nothing went out for the BSUIDs`,
		lancepilot.map((r) => ({ request: `${r.method} ${r.path} ${r.status}`, json: r.json })),
		phoneOnly.map((r) => ({ request: `POST ${lancepilotPath(r.output)} 201`, json: { file: VIDEO_URL, caption: `For ${r.name}` } })),
	);
	const out = what.of(BSUID_NODES.lancepilot);
	checks.equal(`${BSUID_NODES.lancepilot}: n8n output: three items, each paired with its input item`, out.map((i) => i.pairedItem), BSUID_ITEMS.map((_, item) => ({ item })));
	BSUID_ITEMS.forEach((r, item) => {
		const json = out[item]?.json ?? {};
		if (r.lancepilot) {
			checks.equal(`${BSUID_NODES.lancepilot}: item ${item} (phone number) created`, [json.provider, json.recipient, json.status], ['lancepilot', r.output, 'created']);
			return;
		}
		checks.equal(
			`${BSUID_NODES.lancepilot}: item ${item} (${r.recipient}) is an error naming Phone Number, the item and the BSUID`,
			json.error,
			`Invalid "Phone Number" in item ${item}: "${r.recipient}" is a business-scoped user ID (BSUID), which Lancepilot cannot send to`,
		);
		checks.ok(
			`${BSUID_NODES.lancepilot}: item ${item}: the description says Lancepilot sends to phone numbers or contact IDs`,
			/Lancepilot sends to phone numbers or contact IDs/.test(String(json.description ?? '')),
			json,
		);
	});
}

/** Where each provider lists the account's templates (below the emulator's mount). */
const TEMPLATE_LISTINGS = {
	whatsappCloud: `/${D.metaGraphApiVersion}/${D.metaBusinessAccountId}/message_templates`,
	lancepilot: `/workspaces/${D.workspaceId}/templates`,
	dialog360: '/v1/configs/templates',
} as const;

type ListingProvider = keyof typeof TEMPLATE_LISTINGS;

/** The templates one listing answer carries, in each provider's own shape. */
function listedTemplates(request: RecordedRequest): unknown[] {
	const body = (request.responseBody ?? {}) as { data?: unknown[]; waba_templates?: unknown[] };
	return (request.provider === 'dialog360' ? body.waba_templates : body.data) ?? [];
}

/**
 * The node read the provider's template listing exactly once for the whole run: however many
 * pages it took, no page twice, and the pages together hold every template of the account.
 */
function checkListingReadOnce(checks: Checks, ctx: Context, provider: ListingProvider, node: string): void {
	const reads = ctx.emulator.requests.filter((r) => r.provider === provider && r.method === 'GET' && r.path === TEMPLATE_LISTINGS[provider]);
	const queries = reads.map((r) => JSON.stringify(r.query));
	checks.equal(
		`${node}: the template listing (GET ${TEMPLATE_LISTINGS[provider]}) was read once for the three items: ${reads.length} page(s), none twice, ${EMULATOR_TEMPLATES.length} templates in all, answered 200`,
		[reads.length > 0, new Set(queries).size === queries.length, reads.reduce((sum, r) => sum + listedTemplates(r).length, 0), reads.every((r) => r.status === 200)],
		[true, true, EMULATOR_TEMPLATES.length, true],
	);
}

/** What the emulator recorded as sent for each template message (`created.template`), in arrival order. */
function sentTemplates(requests: RecordedRequest[]): unknown[] {
	return requests.map((r) => (r.created?.kind === 'message' ? r.created.template : undefined));
}

function nodesThatRan(run: Record<string, unknown> | undefined): string[] {
	const runData = (run as { data?: { resultData?: { runData?: Record<string, unknown> } } } | undefined)?.data?.resultData?.runData;
	return Object.keys(runData ?? {}).sort();
}

/** spring_promo as the Cloud API sends it: the header video, the name and the discount, the coupon in the URL button. */
function springPromoCloudApiMessage(customer: (typeof CUSTOMERS)[number], video: Record<string, string>): Record<string, unknown> {
	return {
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		to: customer.digits,
		type: 'template',
		template: {
			name: SPRING_PROMO.name,
			language: { code: SPRING_PROMO.language },
			components: [
				{ type: 'header', parameters: [{ type: 'video', video }] },
				{ type: 'body', parameters: [{ type: 'text', text: customer.name }, { type: 'text', text: SPRING_PROMO.discount }] },
				{ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: customer.coupon }] },
			],
		},
	};
}

function springPromoSent(customer: (typeof CUSTOMERS)[number], id?: number): Record<string, unknown> {
	return {
		...(id !== undefined ? { id } : {}),
		name: SPRING_PROMO.name,
		language: SPRING_PROMO.language,
		bodyParameters: [customer.name, SPRING_PROMO.discount],
		buttonParameter: customer.coupon,
	};
}

async function checkTemplateCampaign(checks: Checks, ctx: Context, wf: Workflow): Promise<void> {
	checks.section(`[${where(ctx)}] ${wf.name}`);
	const what = await execute(ctx, wf);
	expectSuccess(checks, what);
	const ran = nodesThatRan(what.run);
	const fired = what.of(SCHEDULE_TRIGGER);
	// Outside the editor's manual mode n8n runs no trigger's own code: the start node passes one empty item on.
	checks.ok(
		`n8n execute started at the Schedule Trigger ("${SCHEDULE_TRIGGER}", the first trigger in the node list), which passed one empty item on; the Manual Trigger did not run`,
		ran.includes(SCHEDULE_TRIGGER) && !ran.includes(TRIGGER) && isDeepStrictEqual(fired.map((i) => i.json), [{}]),
		{ ran, fired: fired.map((i) => i.json) },
	);
	checks.equal('the Code node made one item per customer', what.of('Customers').map((i) => i.json), CUSTOMERS.map((c) => ({ name: c.name, phone: c.phone, coupon: c.coupon })));

	// Meta: the video read from disk, uploaded once, the header of all three messages.
	const meta = ctx.emulator.requests.filter((r) => r.provider === 'whatsappCloud');
	checkListingReadOnce(checks, ctx, 'whatsappCloud', TEMPLATE_NODES.whatsappCloud);
	const uploads = meta.filter((r) => r.method === 'POST' && r.path === metaPath('media'));
	checks.equal(`${TEMPLATE_NODES.whatsappCloud}: exactly one upload for the three customers (POST ${metaPath('media')} 200)`, uploads.map((r) => r.status), [200]);
	const mediaId = (uploads[0]?.responseBody as { id?: string } | undefined)?.id ?? '(no upload)';
	checks.equal(
		`${TEMPLATE_NODES.whatsappCloud}: the upload is the fixture read from disk (bytes, name, video/mp4)`,
		filePart(uploads[0]),
		{ filename: VIDEOS.faststart, contentType: 'video/mp4', size: fixtureBytes.length, sha256: fixtureSha },
	);
	const metaMessages = meta.filter((r) => r.method === 'POST' && r.path === metaPath('messages'));
	checks.equal(
		`${TEMPLATE_NODES.whatsappCloud}: one template message per customer with that media id as the header, the name and 20% in the body, the coupon in the URL button`,
		sorted(metaMessages.map((r) => ({ status: r.status, json: r.json }))),
		sorted(CUSTOMERS.map((c) => ({ status: 200, json: springPromoCloudApiMessage(c, { id: mediaId }) }))),
	);
	checks.equal(`${TEMPLATE_NODES.whatsappCloud}: the emulator created one template message per customer`, sorted(sentTemplates(ctx.emulator.messagesCreated('whatsappCloud'))), sorted(CUSTOMERS.map((c) => springPromoSent(c))));
	checks.equal(
		`${TEMPLATE_NODES.whatsappCloud}: nothing else reached Meta`,
		meta.length,
		uploads.length + metaMessages.length + meta.filter((r) => r.path === TEMPLATE_LISTINGS.whatsappCloud).length,
	);
	const metaOut = what.of(TEMPLATE_NODES.whatsappCloud);
	checks.equal(
		`${TEMPLATE_NODES.whatsappCloud}: n8n output: three items in input order, accepted, the shared media id, json.template { name, language }`,
		metaOut.map((i) => [i.pairedItem, i.json.provider, i.json.recipient, i.json.status, i.json.mediaId, i.json.template]),
		CUSTOMERS.map((c, item) => [{ item }, 'whatsappCloud', c.digits, 'accepted', mediaId, { name: SPRING_PROMO.name, language: SPRING_PROMO.language }]),
	);

	// Lancepilot: the template by its id, the header video as a link in JSON.
	checkListingReadOnce(checks, ctx, 'lancepilot', TEMPLATE_NODES.lancepilot);
	const lancepilotSends = ctx.emulator.requests.filter((r) => r.provider === 'lancepilot' && r.method === 'POST');
	checks.equal(
		`${TEMPLATE_NODES.lancepilot}: one POST …/template-messages per customer, JSON with template_id ${SPRING_PROMO.lancepilotId}, the video URL as template_data.header.file, body variables and the button's coupon`,
		sorted(lancepilotSends.map((r) => ({ request: `${r.method} ${r.path} ${r.status}`, json: r.json }))),
		sorted(
			CUSTOMERS.map((c) => ({
				request: `POST /workspaces/${D.workspaceId}/contacts/number/%2B${c.digits}/template-messages 201`,
				json: {
					template_id: SPRING_PROMO.lancepilotId,
					template_data: {
						header: { file: PROMO_VIDEO_URL },
						body: { variables: [c.name, SPRING_PROMO.discount] },
						buttons: [{ type: 'URL', variables: [c.coupon] }],
					},
				},
			})),
		),
	);
	checks.equal(
		`${TEMPLATE_NODES.lancepilot}: the emulator created one template message per customer`,
		sorted(sentTemplates(ctx.emulator.messagesCreated('lancepilot'))),
		sorted(CUSTOMERS.map((c) => springPromoSent(c, SPRING_PROMO.lancepilotId))),
	);
	const lancepilotOut = what.of(TEMPLATE_NODES.lancepilot);
	checks.equal(
		`${TEMPLATE_NODES.lancepilot}: n8n output: three items in input order, created, json.template { id, name, language }`,
		lancepilotOut.map((i) => [i.pairedItem, i.json.provider, i.json.recipient, i.json.status, i.json.template]),
		CUSTOMERS.map((c, item) => [
			{ item },
			'lancepilot',
			c.digits,
			'created',
			{ id: SPRING_PROMO.lancepilotId, name: SPRING_PROMO.name, language: SPRING_PROMO.language },
		]),
	);

	// 360dialog: the Cloud API's template message with the header video by link.
	checkListingReadOnce(checks, ctx, 'dialog360', TEMPLATE_NODES.dialog360);
	const dialog360Sends = ctx.emulator.requests.filter((r) => r.provider === 'dialog360' && r.method === 'POST');
	checks.equal(
		`${TEMPLATE_NODES.dialog360}: one POST /messages per customer, the video link as the header`,
		sorted(dialog360Sends.map((r) => ({ request: `${r.method} ${r.path} ${r.status}`, json: r.json }))),
		sorted(CUSTOMERS.map((c) => ({ request: 'POST /messages 200', json: springPromoCloudApiMessage(c, { link: PROMO_VIDEO_URL }) }))),
	);
	checks.equal(`${TEMPLATE_NODES.dialog360}: the emulator created one template message per customer`, sorted(sentTemplates(ctx.emulator.messagesCreated('dialog360'))), sorted(CUSTOMERS.map((c) => springPromoSent(c))));
	const dialog360Out = what.of(TEMPLATE_NODES.dialog360);
	checks.equal(
		`${TEMPLATE_NODES.dialog360}: n8n output: three items in input order, accepted, json.template { name, language }`,
		dialog360Out.map((i) => [i.pairedItem, i.json.provider, i.json.recipient, i.json.status, i.json.template]),
		CUSTOMERS.map((c, item) => [{ item }, 'dialog360', c.digits, 'accepted', { name: SPRING_PROMO.name, language: SPRING_PROMO.language }]),
	);
}

async function checkTemplatesRefused(checks: Checks, ctx: Context, wf: Workflow): Promise<void> {
	checks.section(`[${where(ctx)}] ${wf.name}`);
	const what = await execute(ctx, wf);
	expectSuccess(checks, what);
	checks.equal(
		'the providers were only asked for their template listings: no upload, no message',
		[...new Set(ctx.emulator.requests.map((r) => `${r.provider} ${r.method} ${r.path} ${r.status}`))].sort(),
		[`lancepilot GET ${TEMPLATE_LISTINGS.lancepilot} 200`, `whatsappCloud GET ${TEMPLATE_LISTINGS.whatsappCloud} 200`],
	);
	checks.equal('no message was created and nothing was uploaded', [ctx.emulator.messagesCreated().length, ctx.emulator.uploads().length], [0, 0]);
	checkListingReadOnce(checks, ctx, 'whatsappCloud', REFUSED_TEMPLATE_NODES.whatsappCloud);
	checkListingReadOnce(checks, ctx, 'lancepilot', REFUSED_TEMPLATE_NODES.lancepilot);

	const meta = what.of(REFUSED_TEMPLATE_NODES.whatsappCloud);
	checks.equal(
		`${REFUSED_TEMPLATE_NODES.whatsappCloud}: three error items, in input order, naming Body Parameters, the item and the count`,
		meta.map((i) => [i.pairedItem, i.json.error]),
		CUSTOMERS.map((_, item) => [{ item }, `Invalid "Body Parameters" in item ${item}: ${SPRING_PROMO.name} expects 2 body parameters, got 1`]),
	);
	checks.ok(
		`${REFUSED_TEMPLATE_NODES.whatsappCloud}: the description quotes the template text to fill in`,
		meta.length > 0 && meta.every((i) => String(i.json.description ?? '').includes('Hi {{1}}, our spring sale gives you {{2}} off.')),
		meta.map((i) => i.json),
	);
	const lancepilot = what.of(REFUSED_TEMPLATE_NODES.lancepilot);
	checks.equal(
		`${REFUSED_TEMPLATE_NODES.lancepilot}: three error items, in input order, naming Template, the item and the status`,
		lancepilot.map((i) => [i.pairedItem, i.json.error]),
		CUSTOMERS.map((_, item) => [{ item }, `Invalid "Template" in item ${item}: template "${AUTUMN_TEASER.name}" (${AUTUMN_TEASER.language}) is PENDING, not approved`]),
	);
	checks.ok(
		`${REFUSED_TEMPLATE_NODES.lancepilot}: the description says to wait for Meta's review`,
		lancepilot.length > 0 && lancepilot.every((i) => /wait for the review/.test(String(i.json.description ?? ''))),
		lancepilot.map((i) => i.json),
	);
}

async function checkLancepilotUrlList(checks: Checks, ctx: Context, wf: Workflow): Promise<void> {
	checks.section(`[${where(ctx)}] ${wf.name}`);
	const what = await execute(ctx, wf);
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
	checks.section(`[${where(ctx)}] ${wf.name}`);
	const what = await execute(ctx, wf);
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
	checks.section(`[${where(ctx)}] ${wf.name}`);
	const what = await execute(ctx, wf);
	expectSuccess(checks, what);
	const good = BAD_FIRST_RECIPIENTS.filter((r) => r.digits !== null);
	const sentTo = ctx.emulator.messagesCreated().map((r) => (r.json as { to: string }).to);
	checks.equal('each good recipient got exactly one message over n8n\'s tries', sorted(sentTo), sorted(good.map((r) => r.digits)));
	const out = what.output ?? [];
	checks.ok('item 0 is the error that made n8n try again', /Phone Number/.test(String(out[0]?.json.error ?? '')), out[0]?.json);
	checks.equal('the other items are accepted, in order', out.slice(1).map((i) => [i.json.recipient, i.json.status]), good.map((r) => [r.digits, 'accepted']));
}

async function checkWrongToken(checks: Checks, ctx: Context, wf: Workflow): Promise<void> {
	checks.section(`[${where(ctx)}] ${wf.name}`);
	const what = await execute(ctx, wf);
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

/** Top-level boxes of an MP4: type, offset and size (32-bit, 64-bit `largesize`, or 0 = to the end). */
function topLevelBoxes(bytes: Buffer): Array<{ type: string; offset: number; size: number }> {
	const boxes: Array<{ type: string; offset: number; size: number }> = [];
	let offset = 0;
	while (offset + 8 <= bytes.length) {
		let size = bytes.readUInt32BE(offset);
		const type = bytes.toString('latin1', offset + 4, offset + 8);
		if (size === 1) size = Number(bytes.readBigUInt64BE(offset + 8));
		else if (size === 0) size = bytes.length - offset;
		if (size < 8 || offset + size > bytes.length) break;
		boxes.push({ type, offset, size });
		offset += size;
	}
	return boxes;
}

function box(bytes: Buffer, type: string): Buffer | undefined {
	const found = topLevelBoxes(bytes).find((b) => b.type === type);
	return found && bytes.subarray(found.offset, found.offset + found.size);
}

/**
 * The bytes that reached the provider are the moov-at-end fixture made faststart: moov now before
 * mdat, the same size, and the media data (every sample) byte for byte the original's.
 */
function checkFaststarted(checks: Checks, label: string, uploaded: Buffer | undefined): void {
	const original = video(VIDEOS.moovAtEnd);
	const order = (bytes: Buffer): string[] => topLevelBoxes(bytes).map((b) => b.type).filter((t) => t === 'moov' || t === 'mdat');
	checks.equal(`${label}: the fixture has moov after mdat`, order(original), ['mdat', 'moov']);
	if (!uploaded) {
		checks.ok(`${label}: the provider stored the uploaded bytes`, false);
		return;
	}
	checks.equal(`${label}: the uploaded file has moov before mdat`, order(uploaded), ['moov', 'mdat']);
	checks.equal(`${label}: the uploaded file is as long as the original (${original.length} bytes), every top-level box too`, [uploaded.length, sorted(topLevelBoxes(uploaded).map((b) => [b.type, b.size]))], [original.length, sorted(topLevelBoxes(original).map((b) => [b.type, b.size]))]);
	checks.equal(`${label}: the media data (mdat) is byte for byte the original's`, sha256(box(uploaded, 'mdat') ?? ''), sha256(box(original, 'mdat') ?? 'missing'));
	checks.ok(`${label}: the file itself changed (it is not the original sent as is)`, sha256(uploaded) !== sha256(original));
}

/** Most requests the emulator was handling at the same moment. */
function peakInFlight(requests: RecordedRequest[]): number {
	const events = requests.flatMap((r) => [
		{ at: r.startedAt, delta: 1 },
		{ at: r.finishedAt, delta: -1 },
	]);
	events.sort((a, b) => a.at - b.at || a.delta - b.delta);
	let now = 0;
	let peak = 0;
	for (const event of events) {
		now += event.delta;
		peak = Math.max(peak, now);
	}
	return peak;
}

function filePart(request: RecordedRequest | undefined): { filename?: string; contentType?: string; size: number; sha256: string } | undefined {
	const part = request?.multipart?.find((p) => p.name === 'file');
	return part && { filename: part.filename, contentType: part.contentType, size: part.size, sha256: part.sha256 };
}

async function checkUrlUpload(checks: Checks, ctx: Context, wf: Workflow): Promise<void> {
	checks.section(`[${where(ctx)}] ${wf.name}`);
	const what = await execute(ctx, wf);
	expectSuccess(checks, what);
	const main = UPLOAD_ITEMS[0].file;
	checks.equal(
		'the node downloaded each video from the media host, following the redirects',
		sorted(ctx.media.requests.map((r) => `${r.method} ${r.path}`)),
		sorted([`GET /redirect/2/${main}`, `GET /redirect/1/${main}`, `GET /files/${main}`, `GET /files/${VIDEOS.moovAtEnd}`]),
	);
	const requests = ctx.emulator.requests;
	checks.equal(
		'the emulator got an upload and a message per item, all answered 200',
		sorted(requests.map((r) => `${r.method} ${r.path} ${r.status}`)),
		sorted(UPLOAD_ITEMS.flatMap(() => ['POST /media 200', 'POST /messages 200'])),
	);
	const out = what.output ?? [];
	checks.equal('n8n output: two items, each paired with its input item', out.map((i) => i.pairedItem), [{ item: 0 }, { item: 1 }]);
	const stored = ctx.emulator.storedMedia();
	UPLOAD_ITEMS.forEach((item, index) => {
		const message = ctx.emulator.messagesCreated().find((r) => (r.json as { to?: string }).to === item.digits);
		const mediaId = (message?.json as { video?: { id?: string } } | undefined)?.video?.id;
		const upload = ctx.emulator.uploads().find((r) => (r.responseBody as { id?: string }).id === mediaId);
		const bytes = stored.find((m) => m.id === mediaId)?.data;
		checks.equal(`item ${index}: message JSON sends the uploaded media id with the caption`, message?.json, {
			messaging_product: 'whatsapp',
			recipient_type: 'individual',
			to: item.digits,
			type: 'video',
			video: { id: mediaId, caption: `Downloaded for ${item.name}` },
		});
		checks.ok(`item ${index}: the media id is one the emulator issued for an upload`, typeof mediaId === 'string' && upload !== undefined, { mediaId, message: message?.json });
		const expectedSha = item.file === VIDEOS.moovAtEnd ? sha256(bytes ?? '') : sha256(video(item.file));
		checks.equal(`item ${index}: the upload's file part is the downloaded ${item.file} (name from the URL, video/mp4)`, filePart(upload), {
			filename: item.file,
			contentType: 'video/mp4',
			size: video(item.file).length,
			sha256: expectedSha,
		});
		if (item.file === VIDEOS.moovAtEnd) checkFaststarted(checks, `item ${index} (Fix Faststart, on by default, after download)`, bytes);
		const json = out[index]?.json ?? {};
		checks.equal(`item ${index}: n8n output json: recipient, status, mediaId`, [json.recipient, json.status, json.mediaId], [item.digits, 'accepted', mediaId]);
		const found = (json.video ?? {}) as Record<string, unknown>;
		checks.equal(
			`item ${index}: n8n output json.video reports what the check found in the download`,
			[found.codec, found.faststart, found.faststartFixed, found.warnings],
			['H.264', true, item.file === VIDEOS.moovAtEnd, []],
		);
	});
}

async function checkLinkCheck(checks: Checks, ctx: Context, wf: Workflow): Promise<void> {
	checks.section(`[${where(ctx)}] ${wf.name}`);
	const what = await execute(ctx, wf);
	expectSuccess(checks, what);
	const [plain, noHead, page] = LINK_CHECK_ITEMS;
	checks.equal(
		'the node asked the video host first: HEAD, a one-byte GET where HEAD is refused; it downloaded nothing',
		sorted(ctx.media.requests.map((r) => [r.method, r.path, r.range ?? null])),
		sorted([
			['HEAD', plain.path, null],
			['HEAD', noHead.path, null],
			['GET', noHead.path, 'bytes=0-0'],
			['HEAD', page.path, null],
		]),
	);
	const good = [plain, noHead];
	checks.equal(
		'the two video links were sent as links (JSON with the URL), the web page was not sent',
		sorted(ctx.emulator.requests.map((r) => ({ request: `${r.method} ${r.path} ${r.status}`, json: r.json }))),
		sorted(good.map((r) => ({ request: `POST ${lancepilotPath(r.digits)} 201`, json: { file: `${ctx.media.origin}${r.path}` } }))),
	);
	const out = what.output ?? [];
	checks.equal('n8n output: three items, each paired with its input item', out.map((i) => i.pairedItem), [{ item: 0 }, { item: 1 }, { item: 2 }]);
	checks.equal('items 0 and 1 created', out.slice(0, 2).map((i) => [i.json.recipient, i.json.status]), good.map((r) => [r.digits, 'created']));
	const error = String(out[2]?.json.error ?? '');
	checks.ok('item 2 is an error naming the field, the item and the web page', /Video URL/.test(error) && /item 2/.test(error) && /web page \(text\/html\)/.test(error), out[2]?.json);
}

async function checkBinaryOptions(checks: Checks, ctx: Context, wf: Workflow): Promise<void> {
	checks.section(`[${where(ctx)}] ${wf.name}`);
	const what = await execute(ctx, wf);
	expectSuccess(checks, what);
	const bFrames = video(VIDEOS.bFrames);

	const strict = what.of(BINARY_OPTION_NODES.strict);
	checks.equal(`${BINARY_OPTION_NODES.strict}: one item, paired`, strict.map((i) => i.pairedItem), [{ item: 0 }]);
	checks.equal(
		`${BINARY_OPTION_NODES.strict}: ${VIDEOS.bFrames} is refused, the error names the field and the item`,
		strict[0]?.json.error,
		'Invalid "Input Binary Field" in item 0: the video is H.264 High profile with B-frames, which many Android phones do not play',
	);
	checks.ok(`${BINARY_OPTION_NODES.strict}: the description gives the fix (-bf 0)`, /-bf 0/.test(String(strict[0]?.json.description ?? '')), strict[0]?.json);
	checks.equal(
		`${BINARY_OPTION_NODES.strict}: it sent nothing (the emulator got only the other two branches' requests, none to its recipient)`,
		[ctx.emulator.requests.length, ctx.emulator.requests.filter((r) => JSON.stringify(r.json ?? '').includes('4915123456789')).length],
		[3, 0],
	);

	const off = what.of(BINARY_OPTION_NODES.off);
	const lancepilot = ctx.emulator.requests.filter((r) => r.provider === 'lancepilot');
	checks.equal(`${BINARY_OPTION_NODES.off}: one POST to the recipient's path, answered 201`, lancepilot.map((r) => `${r.method} ${r.path} ${r.status}`), [
		`POST ${lancepilotPath('14155550123')} 201`,
	]);
	checks.equal(`${BINARY_OPTION_NODES.off}: the file part is ${VIDEOS.bFrames} as it is, named by the File Name option`, filePart(lancepilot[0]), {
		filename: 'promo.mp4',
		contentType: 'video/mp4',
		size: bFrames.length,
		sha256: sha256(bFrames),
	});
	checks.equal(
		`${BINARY_OPTION_NODES.off}: n8n output: created, no video findings (nothing looked at)`,
		off.map((i) => [i.pairedItem, i.json.status, 'video' in i.json]),
		[[{ item: 0 }, 'created', false]],
	);

	const fixed = what.of(BINARY_OPTION_NODES.faststart);
	const dialog360 = ctx.emulator.requests.filter((r) => r.provider === 'dialog360');
	checks.equal(`${BINARY_OPTION_NODES.faststart}: 360dialog got one upload, then one message (and nothing else)`, dialog360.map((r) => `${r.method} ${r.path} ${r.status}`), [
		'POST /media 200',
		'POST /messages 200',
	]);
	const [upload, message] = dialog360;
	const mediaId = (upload?.responseBody as { id?: string } | undefined)?.id;
	const bytes = ctx.emulator.storedMedia().find((m) => m.id === mediaId)?.data;
	checks.equal(`${BINARY_OPTION_NODES.faststart}: the file part carries the rewritten bytes under the file's own name`, filePart(upload), {
		filename: VIDEOS.moovAtEnd,
		contentType: 'video/mp4',
		size: video(VIDEOS.moovAtEnd).length,
		sha256: sha256(bytes ?? ''),
	});
	checkFaststarted(checks, BINARY_OPTION_NODES.faststart, bytes);
	checks.equal(`${BINARY_OPTION_NODES.faststart}: the message sends that media id`, message?.json, {
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		to: '46701234567',
		type: 'video',
		video: { id: mediaId, caption: 'Plays while it loads' },
	});
	const found = (fixed[0]?.json.video ?? {}) as Record<string, unknown>;
	checks.equal(
		`${BINARY_OPTION_NODES.faststart}: n8n output: accepted, json.video says the moov box was moved`,
		[fixed[0]?.json.status, fixed[0]?.json.mediaId, found.faststart, found.faststartFixed, found.warnings],
		['accepted', mediaId, true, true, []],
	);
}

const CONCURRENCY_LATENCY_MS = 400;

async function checkConcurrency(checks: Checks, ctx: Context, wf: Workflow): Promise<void> {
	checks.section(`[${where(ctx)}] ${wf.name}`);
	// Each answer takes 400 ms, so the items overlap at the emulator exactly as far as the node lets them.
	const what = await execute(ctx, wf, () => ctx.emulator.setLatency(CONCURRENCY_LATENCY_MS));
	expectSuccess(checks, what);
	const requests = ctx.emulator.requests;
	checks.equal(
		'one message per item, each replying to its own message with its own callback data',
		sorted(requests.map((r) => ({ request: `${r.method} ${r.path} ${r.status}`, json: r.json }))),
		sorted(
			CONCURRENT_ITEMS.map((r) => ({
				request: 'POST /messages 200',
				json: {
					messaging_product: 'whatsapp',
					recipient_type: 'individual',
					to: r.digits,
					type: 'video',
					video: { link: VIDEO_URL, caption: `For ${r.name}` },
					context: { message_id: r.replyTo },
					biz_opaque_callback_data: r.order,
				},
			})),
		),
	);
	checks.equal(`at most ${CONCURRENCY} messages in flight at once, and that many were (Concurrency ${CONCURRENCY})`, peakInFlight(requests), CONCURRENCY);
	const out = what.output ?? [];
	checks.equal('n8n output: six items paired in input order', out.map((i) => i.pairedItem), CONCURRENT_ITEMS.map((_, item) => ({ item })));
	checks.equal('n8n output: recipients and status, in the order of the input items', out.map((i) => [i.json.recipient, i.json.status]), CONCURRENT_ITEMS.map((r) => [r.digits, 'accepted']));
}

interface Context {
	install: N8nInstall;
	userFolder: string;
	/** N8N_DEFAULT_BINARY_DATA_MODE of this pass (set in env). */
	mode: BinaryMode;
	env: NodeJS.ProcessEnv;
	emulator: Emulator;
	media: MediaHost;
	timings: Timing[];
}

/** The n8n and the binary data mode of a pass, for section titles and timings. */
function where(ctx: Context): string {
	return `n8n ${ctx.install.version}, ${ctx.mode} binary data`;
}

async function runAgainst(
	checks: Checks,
	which: Which,
	pkg: PackedPackage,
	workDir: string,
	emulator: Emulator,
	media: MediaHost,
	timings: Timing[],
): Promise<N8nInstall | undefined> {
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
	await checkRuntimeImports(checks, pkg, install, timings);

	const userFolder = makeUserFolder(workDir, pkg, which);
	const env = await n8nEnv(install, userFolder);
	// Read/Write Files from Disk may only read inside N8N_RESTRICT_FILE_ACCESS_TO (<user folder>/files).
	const filesDir = join(userFolder, 'files');
	for (const name of Object.values(VIDEOS)) copyFileSync(join(FIXTURES, name), join(filesDir, name));
	const workflows: Workflows = buildWorkflows(filesDir, media.origin);
	const credentialsPath = join(workDir, `credentials-${which}.json`);
	const workflowsPath = join(workDir, `workflows-${which}.json`);
	writeJson(credentialsPath, credentialsFile(emulator.lancepilotBaseUrl, emulator.dialog360BaseUrl, emulator.metaBaseUrl));
	const statusWorkflows: StatusWorkflows = buildStatusWorkflows();
	const allWorkflows = [
		...Object.values(workflows),
		...Object.values(statusWorkflows.triggers),
		statusWorkflows.send,
		statusWorkflows.exampleSend,
		statusWorkflows.exampleTrack,
	];
	writeJson(workflowsPath, allWorkflows);

	checks.section(`[n8n ${install.version}, node ${install.nodeVersion}] import`);
	const creds = await runN8n(install, env, ['import:credentials', `--input=${credentialsPath}`]);
	timings.push({ label: `n8n ${install.version} import:credentials`, ms: creds.ms });
	const credentialNames = Object.values(CREDENTIALS).map((c) => c.name).join(', ');
	checks.ok(`n8n import:credentials (plain JSON, encrypted with the fixed key): ${credentialNames}`, creds.code === 0, describeResult(creds));
	const wfs = await runN8n(install, env, ['import:workflow', `--input=${workflowsPath}`]);
	timings.push({ label: `n8n ${install.version} import:workflow`, ms: wfs.ms });
	checks.ok(`n8n import:workflow (${allWorkflows.length} workflows)`, wfs.code === 0, describeResult(wfs));
	if (creds.code !== 0 || wfs.code !== 0) return install;

	// The `n8n execute` workflows once per binary data mode n8n 3.0 keeps (the in-memory one goes):
	// the same user folder, database and imports, only N8N_DEFAULT_BINARY_DATA_MODE differs.
	const contexts: Context[] = [];
	for (const mode of BINARY_MODES) {
		contexts.push({ install, userFolder, mode, env: await n8nEnv(install, userFolder, { N8N_DEFAULT_BINARY_DATA_MODE: mode }), emulator, media, timings });
	}
	if (parts.has('cli')) for (const ctx of contexts) await runCliWorkflows(checks, ctx, workflows);
	// The AI Agent's tool call moves no binary data: once, in n8n's default mode.
	if (parts.has('ai-agent')) await checkAiAgent(checks, contexts[0]);
	// Then the same user folder in `n8n start`: the status trigger and the example pair.
	if (parts.has('start')) await checkStatusTrigger(checks, { install, userFolder, env, emulator, timings, workflows: statusWorkflows });
	// After the start part, whose owner setup fails once n8n has one: this part logs in as that owner.
	if (parts.has('send-once')) await checkSendOnce(checks, { install, userFolder, workDir, env, emulator, timings });
	// n8n 2.41's SSRF protection, as n8n 3.0 users will run it (n8n 2.8 has none).
	if (parts.has('ssrf') && install.which === 'current') await checkSsrf(checks, { install, userFolder, workDir, emulator, media, timings });
	return install;
}

async function runCliWorkflows(checks: Checks, ctx: Context, workflows: Workflows): Promise<void> {
	await checkLancepilotBinary(checks, ctx, workflows.lancepilotBinary);
	await checkDialog360Binary(checks, ctx, workflows.dialog360Binary);
	await checkLancepilotUrlList(checks, ctx, workflows.lancepilotUrlList);
	await checkDialog360ContinueOnFail(checks, ctx, workflows.dialog360UrlContinueOnFail);
	await checkWrongToken(checks, ctx, workflows.lancepilotWrongToken);
	await checkRetryOnFail(checks, ctx, workflows.dialog360RetryOnFail);
	await checkUrlUpload(checks, ctx, workflows.dialog360UrlUpload);
	await checkLinkCheck(checks, ctx, workflows.linkCheck);
	await checkBinaryOptions(checks, ctx, workflows.binaryOptions);
	await checkConcurrency(checks, ctx, workflows.dialog360Concurrency);
	await checkMetaBinary(checks, ctx, workflows.metaBinary);
	await checkBsuidRecipients(checks, ctx, workflows.bsuidRecipients);
	await checkTemplateCampaign(checks, ctx, workflows.templateCampaign);
	await checkTemplatesRefused(checks, ctx, workflows.templatesRefused);
}

async function main(): Promise<number> {
	const targets = (process.env.E2E_N8N ?? 'old,current').split(',').map((s) => s.trim()).filter(Boolean) as Which[];
	for (const t of targets) if (t !== 'old' && t !== 'current') throw new Error(`E2E_N8N: unknown "${t}" (old, current)`);
	const started = Date.now();
	const checks = new Checks();
	const timings: Timing[] = [];
	const workDir = makeWorkDir('wa-video-e2e-');
	const emulator = await startEmulator({ host: '127.0.0.1' });
	// The video host for the URL workflows, in this process like the emulator. Its module loads the
	// in-process test harness, which would otherwise make a user folder of its own in the temp dir.
	process.env.N8N_USER_FOLDER ??= join(workDir, 'harness');
	const { startMediaHost } = await import('../test/harness/mediaServer');
	const media = await startMediaHost();
	const tested: string[] = [];
	try {
		const packStarted = Date.now();
		const pkg = buildAndPack(workDir, { build: process.env.E2E_SKIP_BUILD !== '1' });
		timings.push({ label: 'build + npm pack', ms: Date.now() - packStarted });
		checkPackage(checks, pkg);
		scanLint(checks, pkg, timings);
		for (const which of targets) {
			const install = await runAgainst(checks, which, pkg, workDir, emulator, media, timings);
			if (install) tested.push(`n8n ${install.version} on Node ${install.nodeVersion}`);
		}
	} finally {
		await emulator.close();
		await media.close();
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
