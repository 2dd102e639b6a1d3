/**
 * Send Once (Options → Send Once, Send Once Key) in a real n8n, after the CLI workflows of
 * e2e/run.ts, in the same user folder: the keys live in that n8n's own database (its
 * deduplication store, table processed_data), per workflow id and node id.
 *
 * 1. `n8n execute`: a summer campaign to ten customers through 360dialog; the provider refuses the
 *    fifth customer's mistyped number (131030, not in the allowed list), so the run stops with nine
 *    sent. The user corrects the number (the workflow imported again with the same ids) and runs it
 *    again: only that customer gets the video. A third run sends nothing. A new Send Once Key sends
 *    to everyone again, once; with Send Once off every run sends to everyone.
 * 2. `n8n start`: the same campaign behind a Webhook in a published workflow fails the same way and
 *    n8n saves the failed execution. Once the provider takes the number (a fix on the provider's
 *    side: Retry runs with the same input, so the number cannot change), the execution is retried
 *    through n8n's REST API as the editor's executions list does (`POST /rest/executions/:id/retry`):
 *    only the customer not reached gets the video.
 *
 * Every count is what the provider emulator accepted (`to` of each created message), per customer,
 * summed over the runs of a scenario.
 */
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import type { Emulator, FaultHandle } from '../test/emulator/server';
import { metaErrorBody } from '../test/emulator/server';
import type { Checks } from './lib/checks';
import { describeResult, nodeOutput, parseRun, type OutputItem } from './lib/cli';
import { runN8n, writeJson, type CliResult, type N8nInstall } from './lib/n8n';
import { N8nRest, type StoredItem } from './lib/rest';
import { setupOwner, startN8nServer, type N8nServer } from './lib/server';
import {
	CAMPAIGN_KEY,
	campaignKeyOf,
	cliCampaign,
	CUSTOMERS,
	CUSTOMERS_NODE,
	REFUSED,
	SEND_ONCE_WORKFLOWS,
	TYPO,
	webhookCampaign,
} from './lib/sendOnceWorkflows';
import { SEND, type Workflow } from './lib/workflows';

export interface SendOnceContext {
	install: N8nInstall;
	userFolder: string;
	workDir: string;
	/** The environment of the CLI commands in that user folder. */
	env: NodeJS.ProcessEnv;
	emulator: Emulator;
	timings: Array<{ label: string; ms: number }>;
}

const REFUSAL_DETAILS = 'Recipient phone number not in allowed list';
const SEND_ONCE_ADVICE = 'Send Once recorded what went out: fix the problem, then run the workflow again or retry the execution, and only the items not sent go out.';
const ALAN = CUSTOMERS[REFUSED];

/** 360dialog refuses one number at once, as Meta does for a number outside a test account's allowed list. */
function refuse(emulator: Emulator, digits: string): FaultHandle {
	return emulator.injectFault({
		provider: 'dialog360',
		path: '/messages',
		recipient: digits,
		kind: 'status',
		status: 400,
		body: metaErrorBody(131030, REFUSAL_DETAILS),
		times: Infinity,
	});
}

/** The recipients of the messages 360dialog accepted since the emulator's last reset, in arrival order. */
function acceptedRecipients(emulator: Emulator): string[] {
	return emulator.messagesCreated('dialog360').map((request) => String((request.json as { to?: unknown }).to));
}

const sorted = (values: string[]): string[] => [...values].sort();

/** Messages per recipient over the runs of one scenario. */
class Tally {
	private readonly counts = new Map<string, number>();

	add(recipients: string[]): void {
		for (const to of recipients) this.counts.set(to, (this.counts.get(to) ?? 0) + 1);
	}

	/** By recipient digits; a number outside the customer list would show up here too. */
	totals(): Record<string, number> {
		return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
	}
}

/** Every customer (by the corrected numbers) with `count` messages, nobody else. */
function everyCustomer(count: number): Record<string, number> {
	return Object.fromEntries(sorted(CUSTOMERS.map((c) => c.digits)).map((digits) => [digits, count]));
}

type Outcome = ['accepted'] | ['skipped', 'alreadySent'];

/** What the send node's output says of each item: its pairing, recipient, status and skip reason. */
function outcomes(items: Array<OutputItem | StoredItem>): unknown[] {
	return items.map((item) => [item.pairedItem, item.json.recipient, item.json.status, item.json.reason ?? null]);
}

function expectedOutcomes(of: (index: number) => Outcome): unknown[] {
	return CUSTOMERS.map((c, item) => {
		const [status, reason] = of(item);
		return [{ item }, c.digits, status, reason ?? null];
	});
}

const onlyAlanSent = (index: number): Outcome => (index === REFUSED ? ['accepted'] : ['skipped', 'alreadySent']);

interface CliRun {
	result: CliResult;
	/** n8n printed the run as JSON and it holds no workflow error. */
	succeeded: boolean;
	output: OutputItem[];
	/** Recipients 360dialog accepted a message for in this run. */
	sent: string[];
	/** Everything n8n printed. */
	text: string;
}

async function execute(ctx: SendOnceContext, tally: Tally, label: string, prepare?: () => void): Promise<CliRun> {
	ctx.emulator.reset();
	prepare?.();
	const result = await runN8n(ctx.install, ctx.env, ['execute', `--id=${SEND_ONCE_WORKFLOWS.cli.id}`, '--rawOutput']);
	ctx.timings.push({ label: `n8n ${ctx.install.version}: Send Once, execute (${label})`, ms: result.ms });
	const run = parseRun(result.stdout);
	const error = (run as { data?: { resultData?: { error?: unknown } } } | undefined)?.data?.resultData?.error;
	const sent = acceptedRecipients(ctx.emulator);
	tally.add(sent);
	return {
		result,
		succeeded: result.code === 0 && run !== undefined && error === undefined,
		output: nodeOutput(run, SEND) ?? [],
		sent,
		text: `${result.stdout}\n${result.stderr}`,
	};
}

async function importWorkflows(checks: Checks, ctx: SendOnceContext, label: string, workflows: Workflow[], what: string): Promise<boolean> {
	const file = join(ctx.workDir, `workflows-send-once-${ctx.install.which}.json`);
	writeJson(file, workflows);
	const imported = await runN8n(ctx.install, ctx.env, ['import:workflow', `--input=${file}`]);
	ctx.timings.push({ label: `n8n ${ctx.install.version}: Send Once, import:workflow (${label})`, ms: imported.ms });
	return checks.ok(`n8n import:workflow: ${what}`, imported.code === 0, describeResult(imported));
}

/** The campaign run again after the user fixed the refused number, then under a new key, then without Send Once. */
async function checkRunAgain(checks: Checks, ctx: SendOnceContext): Promise<void> {
	const v = ctx.install.version;
	const tally = new Tally();

	checks.section(`[n8n ${v}] Send Once: 360dialog refuses one of ten customers, the user fixes the number and runs the workflow again (n8n execute)`);
	if (!(await importWorkflows(checks, ctx, 'mistyped number', [cliCampaign({ typo: true, sendOnce: true }), webhookCampaign()], "the campaign with Alan's number mistyped, and its webhook twin for n8n start"))) return;
	const failed = await execute(ctx, tally, 'refused number', () => refuse(ctx.emulator, TYPO.digits));
	checks.ok("run 1: n8n execute fails (360dialog refused Alan's mistyped number)", failed.result.code !== 0 && !failed.result.timedOut, describeResult(failed.result));
	checks.ok(
		`run 1: n8n prints the provider's refusal: "WhatsApp error 131030" with "${REFUSAL_DETAILS}"`,
		failed.text.includes('WhatsApp error 131030') && failed.text.includes(REFUSAL_DETAILS),
		describeResult(failed.result),
	);
	checks.ok(`run 1: n8n prints Send Once's advice: "${SEND_ONCE_ADVICE}"`, failed.text.includes(SEND_ONCE_ADVICE), describeResult(failed.result));
	const others = CUSTOMERS.filter((_, index) => index !== REFUSED);
	checks.ok(
		'run 1: the error names the items that went out: "Sent before the run stopped: items 0, 1, 2, 3, 5, 6, 7, 8, 9."',
		failed.text.includes('Sent before the run stopped: items 0, 1, 2, 3, 5, 6, 7, 8, 9.'),
		describeResult(failed.result),
	);
	checks.equal('run 1: the nine other customers got the video, one message each; the mistyped number none', sorted(failed.sent), sorted(others.map((c) => c.digits)));

	if (!(await importWorkflows(checks, ctx, 'number corrected', [cliCampaign({ typo: false, sendOnce: true })], "the same workflow (same workflow id and node ids) with Alan's number corrected"))) return;
	const fixed = await execute(ctx, tally, 'number corrected');
	checks.ok('run 2: n8n execute succeeds', fixed.succeeded, describeResult(fixed.result));
	checks.equal('run 2: only Alan (corrected number) got a message', fixed.sent, [ALAN.digits]);
	checks.equal('runs 1 and 2 together: every one of the ten customers got exactly one message', tally.totals(), everyCustomer(1));
	checks.equal(
		'run 2: n8n output: ten items, each paired with its input item, in order; nine skipped (reason alreadySent), Alan accepted',
		outcomes(fixed.output),
		expectedOutcomes(onlyAlanSent),
	);
	const skipped = fixed.output.filter((item) => item.json.status === 'skipped');
	checks.ok(
		'run 2: each skipped item is { provider: dialog360, recipient, status: skipped, reason: alreadySent, sendOnceKey: "auto:" + 32 hex digits } and nothing else',
		skipped.length === CUSTOMERS.length - 1 &&
			skipped.every((item) => Object.keys(item.json).sort().join() === 'provider,reason,recipient,sendOnceKey,status' && item.json.provider === 'dialog360' && /^auto:[0-9a-f]{32}$/.test(String(item.json.sendOnceKey))),
		skipped.map((item) => item.json),
	);

	const third = await execute(ctx, tally, 'third run');
	checks.ok('run 3: n8n execute succeeds', third.succeeded, describeResult(third.result));
	checks.equal('run 3: nothing was sent', third.sent, []);
	checks.equal('run 3: n8n output: all ten skipped (reason alreadySent), paired in order', outcomes(third.output), expectedOutcomes(() => ['skipped', 'alreadySent']));
	checks.equal(
		"run 3: the nine keys are run 2's (the automatic key of an item does not change between runs)",
		third.output.filter((_, index) => index !== REFUSED).map((item) => item.json.sendOnceKey),
		skipped.map((item) => item.json.sendOnceKey),
	);

	checks.section(`[n8n ${v}] Send Once Key ${CAMPAIGN_KEY}: a new key sends again, once`);
	if (!(await importWorkflows(checks, ctx, 'new Send Once Key', [cliCampaign({ typo: false, sendOnce: true, sendOnceKey: CAMPAIGN_KEY })], `the same workflow with Send Once Key ${CAMPAIGN_KEY}`))) return;
	const keyed = await execute(ctx, tally, 'new Send Once Key');
	checks.ok('n8n execute succeeds', keyed.succeeded, describeResult(keyed.result));
	checks.equal('every customer got the video again: ten messages, one each', sorted(keyed.sent), sorted(CUSTOMERS.map((c) => c.digits)));
	checks.equal('n8n output: all ten accepted, paired in order', outcomes(keyed.output), expectedOutcomes(() => ['accepted']));
	const keyedAgain = await execute(ctx, tally, 'same Send Once Key again');
	checks.ok('run again: n8n execute succeeds', keyedAgain.succeeded, describeResult(keyedAgain.result));
	checks.equal('run again: nothing was sent', keyedAgain.sent, []);
	checks.equal(
		'run again: all ten skipped (alreadySent), each under its own key: the phone number as typed + "-summer-2026"',
		keyedAgain.output.map((item) => [item.json.status, item.json.reason, item.json.sendOnceKey]),
		CUSTOMERS.map((c) => ['skipped', 'alreadySent', campaignKeyOf(c)]),
	);
	checks.equal('so far: every customer got exactly two messages (the automatic key, then the new key)', tally.totals(), everyCustomer(2));

	checks.section(`[n8n ${v}] Send Once off: every run sends to everyone`);
	if (!(await importWorkflows(checks, ctx, 'Send Once off', [cliCampaign({ typo: false, sendOnce: false })], 'the same workflow with Send Once off'))) return;
	for (const run of ['first', 'second'] as const) {
		const off = await execute(ctx, tally, `Send Once off, ${run} run`);
		checks.ok(`${run} run: n8n execute succeeds`, off.succeeded, describeResult(off.result));
		checks.equal(`${run} run: all ten accepted, though their keys are recorded: ten messages, one each`, [outcomes(off.output), sorted(off.sent)], [
			expectedOutcomes(() => ['accepted']),
			sorted(CUSTOMERS.map((c) => c.digits)),
		]);
	}
	checks.equal('in all: every customer got four messages (one per key with Send Once on, one per run with it off)', tally.totals(), everyCustomer(4));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The owner's session: sets the owner up first, unless an earlier part did in this user folder. */
async function ownerSession(server: N8nServer): Promise<N8nRest> {
	const rest = new N8nRest(server.url);
	if ((await rest.login()) === 200) return rest;
	await setupOwner(server.url);
	const status = await rest.login();
	if (status !== 200) throw new Error(`POST /rest/login answered ${status} after POST /rest/owner/setup`);
	return rest;
}

/** POSTs to the production webhook, again while n8n answers 404 (not registered yet; a 404 starts nothing). */
async function callWebhook(server: N8nServer, timeoutMs = 15_000): Promise<number> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const response = await fetch(`${server.url}/webhook/${SEND_ONCE_WORKFLOWS.webhook.path}`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: '{}',
			signal: AbortSignal.timeout(60_000),
		});
		await response.text();
		if (response.status !== 404 || Date.now() > deadline) return response.status;
		await sleep(250);
	}
}

/** What `POST /rest/executions/:id/retry` answers (inside n8n's `data`) once the new execution is over. */
interface RetryAnswer {
	id: string;
	mode: string;
	status: string;
	retryOf: string;
}

/** The editor's Retry in the executions list: `loadWorkflow` false is "with original workflow", true "with currently saved workflow". */
async function retry(rest: N8nRest, executionId: string, loadWorkflow: boolean): Promise<{ status: number; answer?: RetryAnswer; text: string }> {
	const { status, data, text } = await rest.call<RetryAnswer | undefined>('POST', `/executions/${executionId}/retry`, { loadWorkflow });
	return { status, answer: data, text: text.slice(0, 500) };
}

function checkRetryAnswer(checks: Checks, name: string, retried: { status: number; answer?: RetryAnswer; text: string }, failedId: string): void {
	const actual = [retried.status, retried.answer?.mode, retried.answer?.retryOf, retried.answer?.status];
	// n8n's answer says why when it refuses a retry.
	checks.ok(name, isDeepStrictEqual(actual, [200, 'retry', failedId, 'success']), { actual, answer: retried.text });
}

/** A failed webhook execution retried through n8n's REST API after the provider took the number. */
async function checkRetry(checks: Checks, ctx: SendOnceContext): Promise<void> {
	const { emulator, install } = ctx;
	const v = install.version;
	const workflowId = SEND_ONCE_WORKFLOWS.webhook.id;
	checks.section(`[n8n ${v}] Send Once and Retry: a failed webhook execution retried through n8n's REST API (n8n start)`);
	emulator.reset();
	const refusal = refuse(emulator, ALAN.digits);
	const startedAt = Date.now();
	let server: N8nServer;
	try {
		server = await startN8nServer(install, ctx.userFolder);
	} catch (error) {
		checks.ok('n8n start', false, (error as Error).message);
		return;
	}
	ctx.timings.push({ label: `n8n ${v} start (Send Once)`, ms: Date.now() - startedAt });
	const phaseStarted = Date.now();
	try {
		const rest = await ownerSession(server);
		const on = await rest.activate(workflowId);
		checks.equal('the webhook campaign is published (POST /rest/workflows/:id/activate answers 200, active: true)', [on.status, on.active], [200, true]);
		checks.equal("the webhook call is answered once the run is over: 500, the workflow failed (360dialog refused Alan's number)", await callWebhook(server), 500);
		const executions = await rest.settledExecutions(workflowId, 1);
		const failedId = executions[0]?.id ?? '';
		checks.equal('n8n saved one execution: started by the webhook, failed', executions.map((e) => [e.mode, e.status]), [['webhook', 'error']]);
		const failed = await rest.execution(failedId);
		const error = (failed.error ?? {}) as { message?: unknown; description?: unknown };
		checks.ok(`its error is 360dialog's refusal: "WhatsApp error 131030 … (${REFUSAL_DETAILS})"`, String(error.message).startsWith('WhatsApp error 131030') && String(error.message).includes(REFUSAL_DETAILS), error);
		checks.ok(`its description ends with Send Once's advice: "${SEND_ONCE_ADVICE}"`, String(error.description).endsWith(SEND_ONCE_ADVICE), error);
		const firstRun = acceptedRecipients(emulator);
		checks.equal('the nine other customers got the video, one message each; Alan none', sorted(firstRun), sorted(CUSTOMERS.filter((_, index) => index !== REFUSED).map((c) => c.digits)));

		// The fix is the provider's (the number joins the account's allowed list): Retry runs the
		// failed node again with the input the execution saved, so the number itself cannot change.
		refusal.cancel();
		const original = await retry(rest, failedId, false);
		checkRetryAnswer(
			checks,
			'POST /rest/executions/:id/retry {"loadWorkflow": false} ("Retry with original workflow") answers 200 when the new execution is over: mode retry, retryOf the failed one, status success',
			original,
			failedId,
		);
		const retried = await rest.execution(original.answer?.id ?? '');
		checks.equal('GET /rest/executions/:id of the retry: mode retry, status success', [retried.mode, retried.status], ['retry', 'success']);
		checks.equal(
			"the retry fed the send node the failed execution's input: the Customers output is the saved one (the Code node's run is kept)",
			retried.outputs[CUSTOMERS_NODE],
			failed.outputs[CUSTOMERS_NODE],
		);
		checks.equal('the send node: ten items paired in order; nine skipped (reason alreadySent), Alan accepted', outcomes(retried.outputs[SEND] ?? []), expectedOutcomes(onlyAlanSent));
		const afterRetry = acceptedRecipients(emulator);
		checks.equal('the retry sent one message, to Alan', afterRetry.slice(firstRun.length), [ALAN.digits]);
		const tally = new Tally();
		tally.add(afterRetry);
		checks.equal('the failed run and the retry together: every one of the ten customers got exactly one message', tally.totals(), everyCustomer(1));

		const again = await retry(rest, failedId, true);
		checkRetryAnswer(checks, 'the failed execution retried once more, {"loadWorkflow": true} ("Retry with currently saved workflow"): 200, mode retry, status success', again, failedId);
		const secondRetry = await rest.execution(again.answer?.id ?? '');
		checks.equal('that retry skipped all ten (alreadySent), paired in order', outcomes(secondRetry.outputs[SEND] ?? []), expectedOutcomes(() => ['skipped', 'alreadySent']));
		checks.equal('and sent nothing', acceptedRecipients(emulator).length, afterRetry.length);
	} catch (error) {
		checks.ok('the Send Once retry phase ran to the end', false, error instanceof Error ? (error.stack ?? error.message) : String(error));
	} finally {
		ctx.timings.push({ label: `n8n ${v} Send Once retry checks`, ms: Date.now() - phaseStarted });
		await server.stop();
		emulator.reset();
	}
}

export async function checkSendOnce(checks: Checks, ctx: SendOnceContext): Promise<void> {
	await checkRunAgain(checks, ctx);
	await checkRetry(checks, ctx);
}
