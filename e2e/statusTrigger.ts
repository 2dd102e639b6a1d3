/**
 * The status trigger in a running n8n (`n8n start`), after the CLI workflows of e2e/run.ts, in the
 * same user folder. n8n's WEBHOOK_URL is the port-less `http://n8n.test/` (360dialog refuses URLs with
 * a port); the emulator delivers what is registered there to n8n's real 127.0.0.1:<port>, as a
 * reverse proxy on 443 would.
 *
 * 1. The 360dialog trigger workflow is activated with `n8n publish:workflow` before n8n starts;
 *    `n8n start` registers its URL at 360dialog with the trigger's secret header.
 * 2. The Meta trigger workflow is activated through the REST API as the owner (`POST
 *    /rest/workflows/:id/activate`); the emulator then does Meta's "Verify and save".
 * 3. `n8n execute` (against the same database while n8n runs) sends three videos through each
 *    provider; one recipient fails with 131047, and the emulator delivers every status twice.
 * 4. The trigger workflows' executions (`GET /rest/executions`, then each one's data) must report
 *    every status once, with the send node's messageIds; forged and unauthenticated posts get 401
 *    and start nothing; deactivating the 360dialog workflow removes its URL.
 * 5. The README's example pair: a Data Table made through the REST API, the tracking workflow
 *    activated, the campaign run as the editor runs it (`POST /rest/workflows/:id/run`), and the
 *    table's rows read back.
 */
import type { Emulator, WebhookDelivery } from '../test/emulator/server';
import { EMULATOR_DEFAULTS as D } from '../test/emulator/server';
import type { Checks } from './lib/checks';
import { describeResult, nodeOutput, parseRun, type OutputItem } from './lib/cli';
import { runN8n, type N8nInstall } from './lib/n8n';
import { N8nRest, type ExecutionDetail } from './lib/rest';
import { setupOwner, startN8nServer, type N8nServer } from './lib/server';
import { metaStatusBody } from './lib/metaStatusBody';
import {
	CAMPAIGN_OUTCOMES,
	CAMPAIGN_TABLE,
	EXAMPLE_PAIR,
	loadExample,
	productionUrl,
	PUBLIC_ORIGIN,
	RECEIVED_NODE,
	STATUS_RECIPIENTS,
	STATUS_SEND,
	STATUS_TRIGGER_NODE,
	STATUS_TRIGGERS,
	type StatusProvider,
	type StatusWorkflows,
} from './lib/statusWorkflows';

export interface StatusPhaseContext {
	install: N8nInstall;
	userFolder: string;
	/** The environment of the CLI commands (`n8n publish:workflow`, `n8n execute`) in that user folder. */
	env: NodeJS.ProcessEnv;
	emulator: Emulator;
	timings: Array<{ label: string; ms: number }>;
	workflows: StatusWorkflows;
}

/** What the send node says for each code (nodes/SendWhatsAppVideo/providers/cloudApi.ts), as the trigger repeats it. */
const HINTS = {
	131047: 'More than 24 hours have passed since the recipient last wrote to you: WhatsApp only delivers templates now. Set Message Type to Template and choose an approved template with a video header.',
	131026: 'WhatsApp could not deliver the message: the number may not be on WhatsApp, may use an old WhatsApp version, or may have blocked you.',
} as const;

const PROVIDER_LABEL: Record<StatusProvider, string> = { dialog360: '360dialog', whatsappCloud: 'Meta' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, intervalMs = 200): Promise<T | undefined> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value !== undefined || Date.now() > deadline) return value;
		await sleep(intervalMs);
	}
}

const sorted = <T>(values: T[]): T[] => [...values].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** n8n answers its production URL once the workflow's webhooks are registered (404 before). */
async function waitUntilLive(server: N8nServer, webhookId: string, timeoutMs = 30_000): Promise<number> {
	const answer = await until(async () => {
		const response = await fetch(productionUrl(webhookId, server.url), { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
		await response?.text();
		return response && response.status !== 404 ? response.status : undefined;
	}, timeoutMs, 250);
	return answer ?? 404;
}

function triggerItems(details: ExecutionDetail[]): Array<Record<string, unknown>> {
	return details.flatMap((detail) => (detail.outputs[STATUS_TRIGGER_NODE] ?? []).map((item) => item.json));
}

async function executionDetails(rest: N8nRest, workflowId: string, atLeast: number): Promise<ExecutionDetail[]> {
	const list = await rest.settledExecutions(workflowId, atLeast);
	return await Promise.all(list.map(async (execution) => await rest.execution(execution.id)));
}

function checkActivation360(checks: Checks, emulator: Emulator): void {
	const configs = emulator.requests.filter((r) => r.provider === 'dialog360' && r.path === '/v1/configs/webhook');
	const calls = configs.map((r) => `${r.method} ${r.status}`);
	checks.ok(
		'n8n start activated it: 360dialog got GET /v1/configs/webhook (what is configured), then one POST',
		calls.length >= 2 && calls[calls.length - 1] === 'POST 200' && calls.slice(0, -1).every((c) => c === 'GET 200'),
		calls,
	);
	checks.ok('both with the credential\'s D360-API-KEY', configs.length > 0 && configs.every((r) => r.headers['d360-api-key'] === D.dialog360ApiKey));
	const post = configs.find((r) => r.method === 'POST');
	const body = (post?.json ?? {}) as { url?: unknown; headers?: Record<string, unknown> };
	checks.equal("the POST registers n8n's production URL (WEBHOOK_URL, no port) for the trigger", body.url, productionUrl(STATUS_TRIGGERS.dialog360.webhookId));
	checks.ok(
		'with one header of its own, X-Video-Status-Secret, a 48-digit hex secret',
		Object.keys(body.headers ?? {}).join() === 'X-Video-Status-Secret' && /^[0-9a-f]{48}$/.test(String(body.headers?.['X-Video-Status-Secret'])),
		body.headers,
	);
	checks.equal('360dialog keeps that URL and header for the number', emulator.dialog360Webhook(), { url: body.url, headers: body.headers });
}

/**
 * One provider's trigger executions against what the send node returned: every status once, in
 * order per message, the failure with its code and hint.
 */
function checkReported(
	checks: Checks,
	provider: StatusProvider,
	sent: OutputItem[],
	deliveries: WebhookDelivery[],
	details: ExecutionDetail[],
): void {
	const label = PROVIDER_LABEL[provider];
	const expected = STATUS_RECIPIENTS.flatMap((r, index) => r.statuses.map((status) => `${String(sent[index]?.json.messageId)} ${status}`));
	checks.equal(
		`${label}: the send node accepted the three videos (one messageId each)`,
		sent.map((item) => [item.json.recipient, item.json.status, typeof item.json.messageId]),
		STATUS_RECIPIENTS.map((r) => [r.digits, 'accepted', 'string']),
	);
	const mine = deliveries.filter((d) => d.provider === provider);
	checks.equal(
		`${label}: the emulator delivered each of the ${expected.length} statuses twice, and n8n answered 200 every time`,
		[mine.length, mine.filter((d) => d.answerStatus === 200).length],
		[expected.length * 2, expected.length * 2],
	);
	checks.ok(
		`${label}: every execution of the trigger's workflow started from its webhook and succeeded, through to the node after the trigger`,
		details.length > 0 &&
			details.every((d) => d.mode === 'webhook' && d.status === 'success' && JSON.stringify(d.outputs[RECEIVED_NODE]) === JSON.stringify(d.outputs[STATUS_TRIGGER_NODE])),
		details.map((d) => ({ id: d.id, mode: d.mode, status: d.status, error: d.error })),
	);
	const items = triggerItems(details);
	const reported = items.map((item) => `${String(item.messageId)} ${String(item.status)}`);
	checks.equal(`${label}: every status of every message was reported (messageId and status)`, sorted([...new Set(reported)]), sorted(expected));
	const times = new Map<string, number>();
	for (const pair of reported) times.set(pair, (times.get(pair) ?? 0) + 1);
	const repeated = [...times].filter(([, count]) => count > 1).map(([pair, count]) => `${pair} (${count} times)`);
	checks.ok(
		`${label}: each status once, although each webhook arrived twice: ${expected.length} items in all`,
		repeated.length === 0 && reported.length === expected.length,
		{ items: reported.length, executions: details.length, reportedMoreThanOnce: sorted(repeated) },
	);
	checks.equal(
		`${label}: the messageIds are the ones the send node returned`,
		sorted([...new Set(items.map((item) => item.messageId))]),
		sorted(sent.map((item) => item.json.messageId)),
	);
	// Execution ids follow the order the webhooks arrived in; per message that is sent, delivered, read.
	STATUS_RECIPIENTS.forEach((r, index) => {
		const messageId = sent[index]?.json.messageId;
		const order = [...new Set(items.filter((item) => item.messageId === messageId).map((item) => item.status))];
		checks.equal(`${label}: ${r.name}'s statuses in the order WhatsApp reported them`, order, r.statuses);
	});
	const failing = STATUS_RECIPIENTS.findIndex((r) => typeof r.outcome === 'object');
	const failed = items.find((item) => item.status === 'failed');
	const errors = (failed?.errors ?? []) as Array<Record<string, unknown>>;
	checks.equal(
		`${label}: the failed status: provider, recipient, callback data, and error 131047 with the send node's hint`,
		[failed?.provider, failed?.messageId, failed?.recipient, failed?.callbackData, errors.map((e) => [e.code, typeof e.title, typeof e.details, e.hint])],
		[provider, sent[failing]?.json.messageId, STATUS_RECIPIENTS[failing].digits, STATUS_RECIPIENTS[failing].order, [[131047, 'string', 'string', HINTS[131047]]]],
	);
	const read = items.find((item) => item.status === 'read');
	checks.ok(
		`${label}: a read status: recipient digits, the send's Callback Data, an ISO 8601 timestamp, no errors`,
		read?.recipient === STATUS_RECIPIENTS[0].digits &&
			read?.callbackData === STATUS_RECIPIENTS[0].order &&
			/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(String(read?.timestamp)) &&
			JSON.stringify(read?.errors) === '[]',
		read,
	);
	const sentItem = items.find((item) => item.status === 'sent');
	checks.ok(`${label}: a sent status carries WhatsApp's pricing and conversation`, typeof sentItem?.pricing === 'object' && sentItem?.pricing !== null && typeof sentItem?.conversation === 'object' && sentItem?.conversation !== null, sentItem);
}

/** Forged, unsigned and secret-less posts are answered 401 and start no execution. */
async function checkRefused(checks: Checks, version: string, emulator: Emulator, rest: N8nRest): Promise<void> {
	checks.section(`[n8n ${version}] unauthenticated and badly signed posts`);
	const before = {
		dialog360: (await rest.executions(STATUS_TRIGGERS.dialog360.id)).length,
		whatsappCloud: (await rest.executions(STATUS_TRIGGERS.whatsappCloud.id)).length,
	};
	const forged = metaStatusBody('wamid.E2E-FORGED-1', 'read', STATUS_RECIPIENTS[0].digits);
	const answers = {
		metaForged: await emulator.deliverWebhook('whatsappCloud', forged, { signature: 'invalid' }),
		metaUnsigned: await emulator.deliverWebhook('whatsappCloud', forged, { signature: 'missing' }),
		d360Wrong: await emulator.deliverWebhook('dialog360', forged, { signature: 'invalid' }),
		d360Missing: await emulator.deliverWebhook('dialog360', forged, { signature: 'missing' }),
	};
	checks.equal('Meta: X-Hub-Signature-256 made with another secret: 401', answers.metaForged.status, 401);
	checks.equal('Meta: no X-Hub-Signature-256: 401', answers.metaUnsigned.status, 401);
	checks.equal('360dialog: a wrong X-Video-Status-Secret: 401', answers.d360Wrong.status, 401);
	checks.equal('360dialog: no X-Video-Status-Secret: 401', answers.d360Missing.status, 401);
	await sleep(1_500);
	const after = {
		dialog360: (await rest.executions(STATUS_TRIGGERS.dialog360.id)).length,
		whatsappCloud: (await rest.executions(STATUS_TRIGGERS.whatsappCloud.id)).length,
	};
	checks.equal('none of them started an execution', after, before);
}

async function checkDeactivation(checks: Checks, version: string, emulator: Emulator, rest: N8nRest, server: N8nServer): Promise<void> {
	checks.section(`[n8n ${version}] deactivating the 360dialog trigger workflow`);
	const seen = emulator.requests.length;
	const off = await rest.deactivate(STATUS_TRIGGERS.dialog360.id);
	checks.equal('POST /rest/workflows/:id/deactivate answers 200, active: false', [off.status, off.active], [200, false]);
	await until(() => (emulator.dialog360Webhook() === undefined ? true : undefined), 15_000);
	const calls = emulator.requests.slice(seen).filter((r) => r.path === '/v1/configs/webhook');
	checks.equal(
		'the trigger read the configuration, found its own URL and removed it: GET, then POST {"url": ""}',
		calls.map((r) => [r.method, r.status, r.json ?? null]),
		[
			['GET', 200, null],
			['POST', 200, { url: '' }],
		],
	);
	checks.equal('360dialog has no webhook for the number any more', emulator.dialog360Webhook(), undefined);
	const gone = await fetch(productionUrl(STATUS_TRIGGERS.dialog360.webhookId, server.url), { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
	await gone.text();
	checks.equal("n8n no longer answers the trigger's production URL (404)", gone.status, 404);
}

/** The README's pair: the campaign stores each messageId in a Data Table, the trigger moves each row's status on. */
async function checkExamplePair(checks: Checks, ctx: StatusPhaseContext, rest: N8nRest, server: N8nServer): Promise<void> {
	const { emulator } = ctx;
	checks.section(`[n8n ${ctx.install.version}] example pair: ${EXAMPLE_PAIR.send.file} and ${EXAMPLE_PAIR.track.file} with a Data Table`);
	const projectId = await rest.personalProjectId();
	const tableId = await rest.createDataTable(projectId, CAMPAIGN_TABLE.name, CAMPAIGN_TABLE.columns);
	checks.ok(`POST /rest/projects/:projectId/data-tables made the table ${CAMPAIGN_TABLE.name} (${CAMPAIGN_TABLE.columns.map((c) => c.name).join(', ')})`, tableId.length > 0);

	const track = loadExample(EXAMPLE_PAIR.track.file);
	const trigger = track.nodes.find((n) => n.type.endsWith('.whatsAppVideoStatusTrigger'));
	const webhookId = String(trigger?.webhookId);
	const verifyToken = String(trigger?.parameters.verifyToken);
	const on = await rest.activate(EXAMPLE_PAIR.track.id);
	checks.equal('the tracking workflow activates (POST /rest/workflows/:id/activate)', [on.status, on.active], [200, true]);
	await waitUntilLive(server, webhookId);
	const verification = await emulator.configureMetaWebhook({ url: productionUrl(webhookId), verifyToken });
	checks.equal("Meta's Verify and save with the example's Callback URL and Verify Token", [verification.verified, verification.status], [true, 200]);

	for (const customer of CAMPAIGN_OUTCOMES) emulator.setRecipientOutcome(customer.digits, customer.outcome);
	const deliveriesSeen = emulator.webhookDeliveries().length;
	const requestsSeen = emulator.requests.length;
	const sendNodes = loadExample(EXAMPLE_PAIR.send.file).nodes;
	const manual = sendNodes.find((n) => n.type === 'n8n-nodes-base.manualTrigger')?.name ?? '';
	const started = Date.now();
	const executionId = await rest.runManually(EXAMPLE_PAIR.send.id, manual);
	const run = await until(async () => {
		const detail = await rest.execution(executionId);
		return ['new', 'running', 'waiting'].includes(detail.status) ? undefined : detail;
	}, 60_000, 250);
	ctx.timings.push({ label: `n8n ${ctx.install.version} example campaign (REST run)`, ms: Date.now() - started });
	checks.equal('the campaign runs as the editor runs it (POST /rest/workflows/:id/run) and succeeds', [run?.mode, run?.status, run?.error], ['manual', 'success', undefined]);
	const sent = run?.outputs['Send WhatsApp Video'] ?? [];
	const stored = run?.outputs['Store Message ID'] ?? [];
	const templates = emulator.requests.slice(requestsSeen).filter((r) => r.created?.kind === 'message');
	checks.equal(
		'Meta got one spring_promo template message per customer',
		sorted(templates.map((r) => (r.created?.kind === 'message' ? [r.created.recipient, r.created.template?.name] : []))),
		sorted(CAMPAIGN_OUTCOMES.map((c) => [c.digits, 'spring_promo'])),
	);
	checks.equal(
		'Store Message ID inserted one row per message: its messageId, name, recipient, status accepted, step 0',
		stored.map((item) => [item.json.messageId, item.json.name, item.json.recipient, item.json.status, item.json.step]),
		sent.map((item, index) => [item.json.messageId, CAMPAIGN_OUTCOMES[index].name, CAMPAIGN_OUTCOMES[index].digits, 'accepted', 0]),
	);

	const statuses = CAMPAIGN_OUTCOMES.reduce((sum, c) => sum + c.statuses, 0);
	await emulator
		.waitForWebhookDeliveries((ok) => ok.length >= deliveriesSeen + statuses * 2, 30_000)
		.catch((error: unknown) => checks.ok('the emulator delivered the campaign\'s statuses', false, String(error)));
	const details = await executionDetails(rest, EXAMPLE_PAIR.track.id, statuses);
	checks.ok(
		`the tracking workflow ran for the statuses (${details.length} executions for ${statuses} statuses delivered twice each), each one successfully`,
		details.length >= statuses && details.every((d) => d.mode === 'webhook' && d.status === 'success'),
		details.map((d) => ({ id: d.id, status: d.status, error: d.error })),
	);
	const rows = await rest.dataTableRows(projectId, tableId);
	checks.equal(
		"the table's rows: each message's last status (read, delivered, failed), its step, and the failure's hint",
		sorted(rows.map((row) => ({ messageId: row.messageId, name: row.name, recipient: row.recipient, status: row.status, step: row.step, hint: row.hint }))),
		sorted(
			CAMPAIGN_OUTCOMES.map((c, index) => ({
				messageId: sent[index]?.json.messageId,
				name: c.name,
				recipient: c.digits,
				status: c.status,
				step: c.step,
				hint: c.status === 'failed' ? HINTS[131026] : '',
			})),
		),
	);
}

export async function checkStatusTrigger(checks: Checks, ctx: StatusPhaseContext): Promise<void> {
	const { install, emulator } = ctx;
	const v = install.version;
	checks.section(`[n8n ${v}] WhatsApp Video Status Trigger in n8n start: activation`);
	const published = await runN8n(install, ctx.env, ['publish:workflow', `--id=${STATUS_TRIGGERS.dialog360.id}`]);
	ctx.timings.push({ label: `n8n ${v} publish:workflow`, ms: published.ms });
	checks.ok('n8n publish:workflow --id=… (before n8n start) activates the 360dialog trigger workflow', published.code === 0, describeResult(published));

	emulator.reset();
	let origin = '';
	emulator.setWebhookForward((url) => (url.startsWith(PUBLIC_ORIGIN) ? `${origin}${url.slice(PUBLIC_ORIGIN.length)}` : url));
	const startedAt = Date.now();
	let server: N8nServer;
	try {
		server = await startN8nServer(install, ctx.userFolder, 180_000, { WEBHOOK_URL: `${PUBLIC_ORIGIN}/` });
	} catch (error) {
		checks.ok(`n8n start with WEBHOOK_URL=${PUBLIC_ORIGIN}/`, false, (error as Error).message);
		return;
	}
	origin = server.url;
	ctx.timings.push({ label: `n8n ${v} start`, ms: Date.now() - startedAt });
	const phaseStarted = Date.now();
	try {
		await setupOwner(server.url);
		const rest = new N8nRest(server.url);
		checks.equal('the owner is set up and logs in (POST /rest/owner/setup, POST /rest/login)', await rest.login(), 200);

		checks.section(`[n8n ${v}] 360dialog: activated before start`);
		await until(() => emulator.dialog360Webhook(), 30_000);
		checkActivation360(checks, emulator);
		checks.ok('n8n answers the production URL', (await waitUntilLive(server, STATUS_TRIGGERS.dialog360.webhookId)) !== 404);

		checks.section(`[n8n ${v}] Meta: activated through the REST API, verified by Meta`);
		const on = await rest.activate(STATUS_TRIGGERS.whatsappCloud.id);
		checks.equal('POST /rest/workflows/:id/activate answers 200, active: true', [on.status, on.active], [200, true]);
		const metaUrl = productionUrl(STATUS_TRIGGERS.whatsappCloud.webhookId);
		checks.ok('n8n answers the production URL once the activation registered it', (await waitUntilLive(server, STATUS_TRIGGERS.whatsappCloud.webhookId)) !== 404);
		const wrong = await emulator.configureMetaWebhook({ url: metaUrl, verifyToken: 'not-the-verify-token' });
		const right = await emulator.configureMetaWebhook({ url: metaUrl, verifyToken: STATUS_TRIGGERS.whatsappCloud.verifyToken });
		checks.equal("Verify and save with another token: n8n answers 403, Meta keeps nothing", [wrong.verified, wrong.status], [false, 403]);
		checks.equal("with the trigger's Verify Token: 200 with the challenge, Meta stores the callback URL", [right.verified, right.status, emulator.metaWebhook()?.url], [true, 200, metaUrl]);

		checks.section(`[n8n ${v}] videos sent with n8n execute while n8n start runs; every status delivered twice`);
		for (const r of STATUS_RECIPIENTS) emulator.setRecipientOutcome(r.digits, r.outcome);
		emulator.setWebhookDuplicates(true);
		const deliveriesSeen = emulator.webhookDeliveries().length;
		const result = await runN8n(install, ctx.env, ['execute', `--id=${STATUS_SEND.id}`, '--rawOutput']);
		ctx.timings.push({ label: `n8n ${v} execute (status send, n8n running)`, ms: result.ms });
		const run = parseRun(result.stdout);
		checks.ok('n8n execute exits 0 and prints the run (same database as the running n8n)', result.code === 0 && run !== undefined, describeResult(result));
		const sent = {
			dialog360: nodeOutput(run, STATUS_SEND.nodes.dialog360) ?? [],
			whatsappCloud: nodeOutput(run, STATUS_SEND.nodes.whatsappCloud) ?? [],
		};
		const perProvider = STATUS_RECIPIENTS.reduce((sum, r) => sum + r.statuses.length, 0);
		await emulator
			.waitForWebhookDeliveries((ok) => ok.length >= deliveriesSeen + perProvider * 2 * 2, 30_000)
			.catch((error: unknown) => checks.ok('the emulator delivered every status', false, String(error)));
		const deliveries = emulator.webhookDeliveries().slice(deliveriesSeen);
		for (const provider of ['dialog360', 'whatsappCloud'] as const) {
			checks.section(`[n8n ${v}] ${PROVIDER_LABEL[provider]}: the trigger's executions (GET /rest/executions, GET /rest/executions/:id)`);
			const details = await executionDetails(rest, STATUS_TRIGGERS[provider].id, perProvider);
			checkReported(checks, provider, sent[provider], deliveries, details);
		}
		await checkRefused(checks, v, emulator, rest);
		await checkDeactivation(checks, v, emulator, rest, server);
		await checkExamplePair(checks, ctx, rest, server);
	} catch (error) {
		checks.ok('the n8n start phase ran to the end', false, error instanceof Error ? (error.stack ?? error.message) : String(error));
	} finally {
		ctx.timings.push({ label: `n8n ${v} status trigger and example pair checks`, ms: Date.now() - phaseStarted });
		await server.stop();
		emulator.setWebhookForward(undefined);
		emulator.reset();
	}
}
