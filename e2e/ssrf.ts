/**
 * n8n's SSRF protection (n8n >= 2.20; n8n 2.41's checks for 3.0 announce more blocked ranges) in a
 * real n8n 2.41: with N8N_SSRF_PROTECTION_ENABLED=true, every request a node makes through n8n's
 * helpers is checked, the provider's API included. The emulator's 127.0.0.1 is allowed with
 * N8N_SSRF_ALLOWED_IP_RANGES, as a user allows a trusted private host; a video host on 127.0.0.2
 * (another loopback address: restricted, not allowed) stands for an address a workflow must not reach.
 *
 * Run 1 (one workflow, branches side by side, all under On Error: Continue): n8n's own HTTP Request
 * node and the node's two downloads (URL Delivery "Download and Upload", Check Link Before Sending)
 * aimed at the blocked host, the download through an allowed host that redirects there, a plain
 * link (the provider fetches it, not n8n), and a control download from the allowed host.
 * Run 2: the same n8n without the allow-list, so the emulator itself is a restricted address, and
 * with N8N_UNVERIFIED_PACKAGES_ENABLED=false, which n8n 2.41 does not yet apply to loading packages.
 */
import { join } from 'node:path';

import type { Emulator } from '../test/emulator/server';
import { EMULATOR_DEFAULTS as D } from '../test/emulator/server';
import type { MediaHost } from '../test/harness/mediaServer';
import type { Checks } from './lib/checks';
import { describeResult, nodeOutput, parseRun, type OutputItem } from './lib/cli';
import { n8nEnv, runN8n, writeJson, type N8nInstall } from './lib/n8n';
import { dialog360, graph, lancepilot, send, VIDEOS, type Workflow } from './lib/workflows';

/** The loopback address the blocked video host listens on (Linux routes all of 127/8 to lo). */
const BLOCKED_ADDRESS = '127.0.0.2';
const ALLOWED_RANGE = '127.0.0.1/32';

const NODES = {
	httpRequest: 'HTTP Request (blocked host)',
	upload: 'Send (Download and Upload, blocked host)',
	checkLink: 'Send (Check Link, blocked host)',
	redirect: 'Send (Download and Upload, redirected to the blocked host)',
	link: 'Send (Link, the provider fetches it)',
	control: 'Send (Download and Upload, allowed host)',
	providerBlocked: 'Send (emulator not allowed)',
} as const;

const ADA = { phone: '+49 151 23456789', digits: '4915123456789' };

export interface SsrfContext {
	install: N8nInstall;
	userFolder: string;
	workDir: string;
	emulator: Emulator;
	/** The video host on 127.0.0.1, which the allow-list admits. */
	media: MediaHost;
	timings: Array<{ label: string; ms: number }>;
}

function httpRequest(name: string, url: string): Workflow['nodes'][number] {
	return {
		id: '00000000-0000-4000-9000-000000000001',
		name,
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		position: [0, 0],
		parameters: { url, options: {} },
		onError: 'continueRegularOutput',
	};
}

function guardedWorkflow(blockedUrl: string, media: MediaHost): Workflow {
	const continueOnFail = { onError: 'continueRegularOutput' as const };
	const lancepilotByNumber = { provider: 'lancepilot', workspaceId: D.workspaceId, contactBy: 'number', recipient: ADA.phone, source: 'url' };
	const upload = (videoUrl: string, caption: string) => ({ provider: 'dialog360', recipient: ADA.phone, source: 'url', videoUrl, caption, options: { urlDelivery: 'upload' } });
	return graph('e2eSsrfGuarded01', 'E2E SSRF protection: blocked video host, allowed emulator', [
		[httpRequest(NODES.httpRequest, blockedUrl)],
		[send(upload(blockedUrl, 'Never sent'), dialog360, { name: NODES.upload, ...continueOnFail })],
		[send({ ...lancepilotByNumber, videoUrl: blockedUrl, caption: '', options: { checkLink: true } }, lancepilot, { name: NODES.checkLink, ...continueOnFail })],
		[send(upload(`${media.origin}/away/${encodeURIComponent(blockedUrl)}`, 'Never sent'), dialog360, { name: NODES.redirect, ...continueOnFail })],
		[send({ ...lancepilotByNumber, videoUrl: blockedUrl, caption: 'Fetched by the provider' }, lancepilot, { name: NODES.link, ...continueOnFail })],
		[send(upload(`${media.origin}/files/${VIDEOS.faststart}`, 'From an allowed host'), dialog360, { name: NODES.control, ...continueOnFail })],
	]);
}

function providerBlockedWorkflow(): Workflow {
	return graph('e2eSsrfProvider1', 'E2E SSRF protection: the provider API on a restricted address', [
		[
			send({ provider: 'lancepilot', workspaceId: D.workspaceId, contactBy: 'number', recipient: ADA.phone, source: 'url', videoUrl: 'https://example.com/videos/welcome.mp4', caption: '' }, lancepilot, {
				name: NODES.providerBlocked,
				onError: 'continueRegularOutput',
			}),
		],
	]);
}

interface Run {
	ok: boolean;
	details: string;
	of(node: string): OutputItem[];
}

async function execute(ctx: SsrfContext, env: NodeJS.ProcessEnv, workflow: Workflow, label: string): Promise<Run> {
	const result = await runN8n(ctx.install, env, ['execute', `--id=${workflow.id}`, '--rawOutput']);
	ctx.timings.push({ label: `n8n ${ctx.install.version}, ${label}: execute "${workflow.name}"`, ms: result.ms });
	const run = parseRun(result.stdout);
	const error = (run as { data?: { resultData?: { error?: unknown } } } | undefined)?.data?.resultData?.error;
	return { ok: result.code === 0 && run !== undefined && error === undefined, details: describeResult(result), of: (node) => nodeOutput(run, node) ?? [] };
}

function errorOf(items: OutputItem[]): { error: string; description: string } {
	return { error: String(items[0]?.json.error ?? ''), description: String(items[0]?.json.description ?? '') };
}

export async function checkSsrf(checks: Checks, ctx: SsrfContext): Promise<void> {
	// Loaded here, as run.ts loads it: the module pulls in the in-process test harness.
	const { startMediaHost } = await import('../test/harness/mediaServer');
	const blockedHost = await startMediaHost({ host: BLOCKED_ADDRESS });
	try {
		const blockedUrl = `${blockedHost.origin}/files/${VIDEOS.faststart}`;
		const blockedHostPort = new URL(blockedHost.origin).host;
		const guarded = guardedWorkflow(blockedUrl, ctx.media);
		const providerBlocked = providerBlockedWorkflow();
		const file = join(ctx.workDir, `workflows-ssrf-${ctx.install.which}.json`);
		writeJson(file, [guarded, providerBlocked]);
		const baseEnv = await n8nEnv(ctx.install, ctx.userFolder);
		const imported = await runN8n(ctx.install, baseEnv, ['import:workflow', `--input=${file}`]);
		ctx.timings.push({ label: `n8n ${ctx.install.version} import:workflow (SSRF)`, ms: imported.ms });

		const label = `SSRF protection on, ${ALLOWED_RANGE} allowed`;
		checks.section(`[n8n ${ctx.install.version}, ${label}] ${guarded.name}`);
		checks.ok('n8n import:workflow (2 workflows)', imported.code === 0, describeResult(imported));
		ctx.emulator.reset();
		ctx.media.requests.length = 0;
		const env = await n8nEnv(ctx.install, ctx.userFolder, {
			N8N_SSRF_PROTECTION_ENABLED: 'true',
			N8N_SSRF_ALLOWED_IP_RANGES: ALLOWED_RANGE,
			N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
		});
		const run = await execute(ctx, env, guarded, label);
		checks.ok('n8n execute exits 0 with no workflow error (every refusal is an error item)', run.ok, run.details);

		checks.equal(`the host on ${BLOCKED_ADDRESS} got no request at all`, blockedHost.requests.map((r) => `${r.method} ${r.path}`), []);

		// n8n's HTTP Request node under On Error: Continue puts n8n's error object in the item as it is.
		const http = (run.of(NODES.httpRequest)[0]?.json.error ?? {}) as { name?: string; ip?: string; description?: string };
		checks.equal(
			`${NODES.httpRequest}: n8n refuses it as it refuses the node's downloads: SsrfBlockedIpError for ${BLOCKED_ADDRESS}, "…to prevent Server-Side Request Forgery (SSRF)…"`,
			[http.name, http.ip, /prevent Server-Side Request Forgery \(SSRF\)/.test(http.description ?? '')],
			['SsrfBlockedIpError', BLOCKED_ADDRESS, true],
		);

		const refusal = (node: string) => {
			const { error, description } = errorOf(run.of(node));
			checks.equal(
				`${node}: an error item naming Video URL, the item, the host and n8n's SSRF protection`,
				error,
				`Invalid "Video URL" in item 0: n8n refused to fetch the video from ${blockedHostPort}: n8n's SSRF protection blocks ${BLOCKED_ADDRESS} (a private, loopback or otherwise restricted address)`,
			);
			checks.ok(
				`${node}: the description says nothing was requested and how to allow the host (N8N_SSRF_ALLOWED_IP_RANGES=${BLOCKED_ADDRESS}/32)`,
				/Nothing was requested from that host/.test(description) && description.includes(`N8N_SSRF_ALLOWED_IP_RANGES=${BLOCKED_ADDRESS}/32`),
				description,
			);
		};
		refusal(NODES.upload);
		refusal(NODES.checkLink);
		refusal(NODES.redirect);
		checks.equal(
			`${NODES.redirect}: the allowed host answered with its redirect; the next hop was refused`,
			ctx.media.requests.filter((r) => r.path.startsWith('/away/')).map((r) => r.method),
			['GET'],
		);

		const requests = ctx.emulator.requests.map((r) => `${r.provider} ${r.method} ${r.path} ${r.status}`).sort();
		checks.equal(
			'the emulator (allowed) got the control upload and message and the plain link, nothing of the refused items',
			requests,
			[
				'dialog360 POST /media 200',
				'dialog360 POST /messages 200',
				`lancepilot POST /workspaces/${D.workspaceId}/contacts/number/%2B${ADA.digits}/messages/video 201`,
			],
		);
		const link = run.of(NODES.link)[0]?.json ?? {};
		const linkRequest = ctx.emulator.requests.find((r) => r.provider === 'lancepilot');
		checks.equal(
			`${NODES.link}: sent as a link (n8n does not fetch it, so its SSRF rules do not apply; the provider fetches it)`,
			[link.status, (linkRequest?.json as { file?: string } | undefined)?.file],
			['created', blockedUrl],
		);
		const control = run.of(NODES.control)[0]?.json ?? {};
		checks.equal(
			`${NODES.control}: downloaded from ${new URL(ctx.media.origin).host}, uploaded and sent (accepted, with a media id)`,
			[control.status, typeof control.mediaId, ctx.media.requests.filter((r) => r.path === `/files/${VIDEOS.faststart}`).map((r) => r.method)],
			['accepted', 'string', ['GET']],
		);

		const label2 = 'SSRF protection on, nothing allowed, N8N_UNVERIFIED_PACKAGES_ENABLED=false';
		checks.section(`[n8n ${ctx.install.version}, ${label2}] ${providerBlocked.name}`);
		ctx.emulator.reset();
		const env2 = await n8nEnv(ctx.install, ctx.userFolder, { N8N_SSRF_PROTECTION_ENABLED: 'true', N8N_UNVERIFIED_PACKAGES_ENABLED: 'false' });
		const run2 = await execute(ctx, env2, providerBlocked, label2);
		checks.ok(
			'n8n execute exits 0: n8n 2.41 still loads the unpacked package with N8N_UNVERIFIED_PACKAGES_ENABLED=false (the setting guards installs only)',
			run2.ok && run2.of(NODES.providerBlocked).length === 1,
			run2.details,
		);
		const { error, description } = errorOf(run2.of(NODES.providerBlocked));
		const emulatorHost = new URL(ctx.emulator.lancepilotBaseUrl).host;
		checks.equal(
			"the error names the provider, the credential's host and n8n's SSRF protection",
			error,
			`n8n refused to connect to Lancepilot at ${emulatorHost}: n8n's SSRF protection blocks 127.0.0.1 (a private, loopback or otherwise restricted address)`,
		);
		checks.ok(
			`the description points at the credential's Base URL, says nothing was sent and how to allow it (N8N_SSRF_ALLOWED_IP_RANGES=127.0.0.1/32)`,
			/Base URL in the Lancepilot credential/.test(description) && /Nothing was sent to the recipient/.test(description) && description.includes('N8N_SSRF_ALLOWED_IP_RANGES=127.0.0.1/32'),
			description,
		);
		checks.equal('the emulator got no request (refused before connecting, not retried)', ctx.emulator.requests.length, 0);
	} finally {
		await blockedHost.close();
	}
}
