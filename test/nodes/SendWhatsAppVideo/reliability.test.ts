/**
 * The fault suite: each provider fault hits one item of a batch through the real engine, and the
 * batch must come out whole: every item that went in comes out (a message or an error), a video
 * reaches each recipient at most once, nothing is sent for an item rejected locally, and every
 * error says what happened and what to do. Runs with canary credentials and captured logs.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import type { FaultSpec } from '../../emulator/server';
import { metaErrorBody } from '../../emulator/server';
import { CANARY, canaryHits, observe, observedCount } from '../../harness/canary';
import { runWorkflow } from '../../harness/engine';
import type { InputItem } from '../../harness/engine';
import { captureLogs, capturedLogs } from '../../harness/logs';
import { D, fixture, useEmulator } from '../../harness/setup';
import { parseRetryAfter } from '../../../nodes/SendWhatsAppVideo/transport';

captureLogs();
const emulator = useEmulator({ lancepilotTokens: [CANARY.apiToken], dialog360ApiKeys: [CANARY.apiKey] });

type Provider = 'lancepilot' | 'dialog360';

interface FaultCase {
	name: string;
	provider: Provider;
	source: 'url' | 'binary';
	/** Applied to the second item only: `skip` lets the first item's requests through. */
	fault: Omit<FaultSpec, 'provider' | 'skip'>;
	options?: IDataObject;
	/** Whether the faulted item ends up sent (after retries) or as an error item. */
	outcome: 'sent' | 'error';
	/** Messages the emulator created for the faulted item (1 when the provider acted but the answer was lost). */
	created: 0 | 1;
	/** Requests the faulted item made to the faulted path (first attempt plus retries). */
	attempts: number;
	error?: RegExp;
	/** The error must say that nothing reached the recipient. */
	nothingSent?: boolean;
}

const MAY_HAVE_GONE = /may or may not have been delivered: check the chat/;
const NOTHING_SENT = /Nothing was sent to the recipient/;
const soon = (seconds: number) => new Date(Date.now() + seconds * 1000).toUTCString();

const cases: FaultCase[] = [
	{ name: '429 with Retry-After in seconds', provider: 'dialog360', source: 'url', fault: { path: '/messages', kind: 'status', status: 429, headers: { 'Retry-After': '1' } }, outcome: 'sent', created: 1, attempts: 2 },
	{ name: '429 with Retry-After as an HTTP date', provider: 'lancepilot', source: 'url', fault: { kind: 'status', status: 429, headers: { 'Retry-After': soon(1) } }, outcome: 'sent', created: 1, attempts: 2 },
	{ name: '429 without Retry-After', provider: 'lancepilot', source: 'binary', fault: { kind: 'status', status: 429 }, outcome: 'sent', created: 1, attempts: 2 },
	{ name: '130429 throughput limit', provider: 'dialog360', source: 'url', fault: { path: '/messages', kind: 'status', status: 400, body: metaErrorBody(130429, 'Rate limit hit') }, outcome: 'sent', created: 1, attempts: 2 },
	{ name: '131056 pair rate limit', provider: 'dialog360', source: 'binary', fault: { path: '/messages', kind: 'status', status: 400, body: metaErrorBody(131056, 'Pair rate limit hit') }, outcome: 'sent', created: 1, attempts: 2 },
	{ name: '503 on a send', provider: 'dialog360', source: 'url', fault: { path: '/messages', kind: 'status', status: 503 }, outcome: 'sent', created: 1, attempts: 2 },
	{ name: '503 that persists past Max Retries', provider: 'lancepilot', source: 'url', fault: { kind: 'status', status: 503, times: 2 }, options: { maxRetries: 1 }, outcome: 'error', created: 0, attempts: 2, error: /answered HTTP 503.*\(gave up after 2 attempts\)/ },
	{ name: '500 on a 360dialog send', provider: 'dialog360', source: 'url', fault: { path: '/messages', kind: 'status', status: 500 }, outcome: 'error', created: 0, attempts: 1, error: /answered HTTP 500/ },
	{ name: '500 on a Lancepilot send', provider: 'lancepilot', source: 'binary', fault: { kind: 'status', status: 500 }, outcome: 'error', created: 0, attempts: 1, error: /Lancepilot answered HTTP 500/ },
	{ name: '502 on a send', provider: 'dialog360', source: 'url', fault: { path: '/messages', kind: 'status', status: 502 }, outcome: 'error', created: 0, attempts: 1, error: /answered HTTP 502/ },
	{ name: '500 on the media upload', provider: 'dialog360', source: 'binary', fault: { path: '/media', kind: 'status', status: 500 }, outcome: 'sent', created: 1, attempts: 2 },
	{ name: '502 on the media upload', provider: 'dialog360', source: 'binary', fault: { path: '/media', kind: 'status', status: 502 }, outcome: 'sent', created: 1, attempts: 2 },
	{ name: '401 on a send', provider: 'dialog360', source: 'url', fault: { path: '/messages', kind: 'status', status: 401 }, outcome: 'error', created: 0, attempts: 1, error: /360dialog rejected the API key \(401 Invalid request\)/ },
	{ name: '401 whose body echoes the token back', provider: 'lancepilot', source: 'url', fault: { kind: 'status', status: 401, body: { message: `Token ${CANARY.apiToken} is revoked.` } }, outcome: 'error', created: 0, attempts: 1, error: /Token \[redacted\] is revoked/ },
	{ name: '400 whose Meta details echo the key back', provider: 'dialog360', source: 'binary', fault: { path: '/messages', kind: 'status', status: 400, body: metaErrorBody(100, `D360-API-KEY ${CANARY.apiKey} not allowed`) }, outcome: 'error', created: 0, attempts: 1, error: /D360-API-KEY \[redacted\] not allowed/ },
	{ name: '404 on a send', provider: 'lancepilot', source: 'url', fault: { kind: 'status', status: 404, body: { message: 'Contact not found.', status: 404 } }, outcome: 'error', created: 0, attempts: 1, error: /Lancepilot: Contact not found\. \(404\)/ },
	{ name: '422 on a send', provider: 'lancepilot', source: 'binary', fault: { kind: 'status', status: 422, body: { message: 'Validation error', errors: { file: ['The file field is required.'] } } }, outcome: 'error', created: 0, attempts: 1, error: /file: The file field is required\./ },
	{ name: 'an upload that keeps failing past Max Retries', provider: 'dialog360', source: 'binary', fault: { path: '/media', kind: 'status', status: 500, times: 3 }, options: { maxRetries: 2 }, outcome: 'error', created: 0, attempts: 3, error: /answered HTTP 500.*\(gave up after 3 attempts\)/, nothingSent: true },
	{ name: 'a connection reset during the upload', provider: 'dialog360', source: 'binary', fault: { path: '/media', kind: 'reset-before' }, outcome: 'sent', created: 1, attempts: 2 },
	{ name: 'a connection reset after a 360dialog send', provider: 'dialog360', source: 'url', fault: { path: '/messages', kind: 'reset-after' }, outcome: 'error', created: 1, attempts: 1, error: /connection was reset/ },
	{ name: 'a connection reset after a Lancepilot send', provider: 'lancepilot', source: 'binary', fault: { kind: 'reset-after' }, outcome: 'error', created: 1, attempts: 1, error: /connection was reset/ },
	{ name: 'a slow answer past the timeout on a send', provider: 'dialog360', source: 'url', fault: { path: '/messages', kind: 'delay', delayMs: 1500 }, options: { timeoutSeconds: 1 }, outcome: 'error', created: 1, attempts: 1, error: /timed out/ },
	{ name: 'a slow answer past the timeout on the upload', provider: 'dialog360', source: 'binary', fault: { path: '/media', kind: 'delay', delayMs: 1500 }, options: { timeoutSeconds: 1 }, outcome: 'sent', created: 1, attempts: 2 },
	{ name: 'a malformed body with a 200', provider: 'dialog360', source: 'url', fault: { path: '/messages', kind: 'malformed' }, outcome: 'error', created: 1, attempts: 1, error: /a body that is not JSON/ },
	{ name: 'an HTML page with a 200', provider: 'lancepilot', source: 'url', fault: { kind: 'html' }, outcome: 'error', created: 0, attempts: 1, error: /a body that is not JSON/ },
	{ name: 'an empty body with a 200', provider: 'dialog360', source: 'url', fault: { path: '/messages', kind: 'empty' }, outcome: 'error', created: 0, attempts: 1, error: /an empty body/ },
	{ name: 'Retry-After longer than the node waits', provider: 'dialog360', source: 'url', fault: { path: '/messages', kind: 'status', status: 429, headers: { 'Retry-After': '120' } }, outcome: 'error', created: 0, attempts: 1, error: /asked to wait 120 s before retrying/ },
	{ name: 'Retry-After beyond the item\'s time budget', provider: 'lancepilot', source: 'url', fault: { kind: 'status', status: 429, headers: { 'Retry-After': '30' } }, options: { timeBudgetSeconds: 5 }, outcome: 'error', created: 0, attempts: 1, error: /the next retry would pass the item's time budget/ },
];

const phones = ['+4915100000000', '+4915100000001', '+4915100000002', '+49 15100 CALL'];
const digits = phones.map((phone) => phone.replace(/\D/g, ''));

function parametersFor(testCase: FaultCase): INodeParameters {
	const common = {
		recipient: '={{ $json.phone }}',
		source: testCase.source,
		videoUrl: 'https://cdn.example.com/promo.mp4',
		// One at a time, so the fault's `skip` lands on the second item.
		options: { concurrency: 1, ...testCase.options } as INodeParameters,
	};
	return testCase.provider === 'lancepilot'
		? { provider: 'lancepilot', workspaceId: D.workspaceId, contactBy: 'number', ...common }
		: { provider: 'dialog360', ...common };
}

function recipientOf(request: { path: string; json?: unknown }): string | undefined {
	const fromPath = /contacts\/number\/%2B(\d+)\//.exec(request.path)?.[1];
	return fromPath ?? (request.json as { to?: string } | undefined)?.to;
}

/**
 * A delayed answer is recorded by the emulator only when it is finally written, after the node
 * gave up waiting; wait for it so it is counted here and cannot leak into the next test.
 */
async function delayedAnswerRecorded(): Promise<void> {
	for (let waited = 0; waited < 5000; waited += 50) {
		if (emulator().requests.some((request) => request.fault?.startsWith('delay'))) return;
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
	throw new Error('The delayed request never finished at the emulator');
}

const totals = { faults: 0, items: 0, outputs: 0, lost: 0, duplicates: 0 };

describe('fault suite: one faulted item in a batch of four (ok, faulted, ok, invalid)', () => {
	test.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
		const faultedPath = testCase.fault.path ?? (testCase.provider === 'lancepilot' ? /\/messages\/video$/ : undefined);
		// A 360dialog binary item makes two requests; skip the first item's request on the faulted path.
		const handle = emulator().injectFault({ ...testCase.fault, provider: testCase.provider, path: faultedPath, skip: 1 });
		// Each item carries different bytes (a trailing byte of its own), so each uploads its own video.
		const items: InputItem[] = phones.map((phone, index) => ({
			json: { phone },
			binary: { data: { bytes: Buffer.concat([fixture('baseline-aac-faststart.mp4'), Buffer.from([index])]), fileName: 'promo.mp4', mimeType: 'application/octet-stream' } },
		}));
		const result = observe(
			await runWorkflow({
				parameters: parametersFor(testCase),
				items,
				credentials: {
					lancepilotApi: { apiToken: CANARY.apiToken, baseUrl: emulator().lancepilotBaseUrl },
					dialog360Api: { apiKey: CANARY.apiKey, baseUrl: emulator().dialog360BaseUrl },
				},
				continueOnFail: true,
			}),
		);
		if (testCase.fault.kind === 'delay') await delayedAnswerRecorded();
		totals.faults++;
		totals.items += items.length;
		totals.outputs += result.items.length;

		// Every item that went in came out, paired with its input.
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }, { item: 3 }]);
		totals.lost += items.length - result.items.length;
		expect(result.items[0].json.status).toMatch(/^(accepted|created)$/);
		expect(result.items[2].json.status).toMatch(/^(accepted|created)$/);
		expect(result.items[3].json.error).toMatch(/^Invalid "Phone Number" in item 3: /);

		const faulted = result.items[1].json;
		if (testCase.outcome === 'sent') {
			expect(faulted.error).toBeUndefined();
			expect(faulted.recipient).toBe(digits[1]);
		} else {
			expect(faulted.error).toMatch(testCase.error as RegExp);
			expect(typeof faulted.description).toBe('string');
			// When the provider may have acted, the user is told to check before resending.
			if (testCase.created === 1) expect(faulted.description).toMatch(MAY_HAVE_GONE);
			if (testCase.nothingSent) expect(faulted.description).toMatch(NOTHING_SENT);
		}

		const created = emulator().messagesCreated().map(recipientOf);
		const perRecipient = digits.map((number) => created.filter((recipient) => recipient === number).length);
		totals.duplicates += perRecipient.filter((count) => count > 1).length;
		expect(perRecipient).toEqual([1, testCase.created, 1, 0]);
		// Nothing at all left the node for the locally rejected item.
		expect(emulator().requests.filter((request) => JSON.stringify(request).includes('15100CALL'))).toEqual([]);
		expect(handle.applied).toBe(testCase.outcome === 'sent' ? 1 : Math.min(testCase.attempts, testCase.fault.times ?? 1));
		// Two other valid items each made one request on the faulted path; the rest are the faulted item's.
		const onFaultedPath = emulator().requests.filter(
			(request) =>
				request.provider === testCase.provider &&
				(faultedPath instanceof RegExp ? faultedPath.test(request.path) : request.path === faultedPath),
		);
		expect(onFaultedPath).toHaveLength(2 + testCase.attempts);
	});

	test('a retry honours Retry-After: the second attempt starts no earlier than the provider asked', async () => {
		emulator().injectFault({ provider: 'dialog360', path: '/messages', kind: 'status', status: 429, headers: { 'Retry-After': '1' } });
		const result = observe(
			await runWorkflow({
				parameters: { provider: 'dialog360', recipient: '+4915100000000', source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' },
				items: [{}],
				credentials: { dialog360Api: { apiKey: CANARY.apiKey, baseUrl: emulator().dialog360BaseUrl } },
			}),
		);
		expect(result.error).toBeUndefined();
		const [first, second] = emulator().requests.sort((a, b) => a.id - b.id);
		expect(second.startedAt - first.finishedAt).toBeGreaterThanOrEqual(950);
		expect(capturedLogs.some((line) => /^warn 360dialog POST messages: retrying item 0 in 1000 ms/.test(line))).toBe(true);
	});

	test('Retry-After is read as seconds or as an HTTP date', () => {
		const now = Date.parse('Mon, 23 Nov 2026 10:00:00 GMT');
		expect(parseRetryAfter('3', now)).toBe(3000);
		expect(parseRetryAfter(['0.5'], now)).toBe(500);
		expect(parseRetryAfter('Mon, 23 Nov 2026 10:00:07 GMT', now)).toBe(7000);
		expect(parseRetryAfter('Mon, 23 Nov 2026 09:00:00 GMT', now)).toBe(0);
		expect(parseRetryAfter('soon', now)).toBeUndefined();
		expect(parseRetryAfter(undefined, now)).toBeUndefined();
	});

	afterAll(() => {
		const hits = canaryHits();
		const { outputs, logLines } = observedCount();
		// The closing note quotes this line.
		process.stdout.write(
			`\nfault suite: ${totals.faults} faults tried, ${totals.items} items in, ${totals.outputs} items out, ${totals.lost} items lost, ${totals.duplicates} duplicates, ${hits} canary hits in ${outputs} outputs/errors and ${logLines} log lines\n`,
		);
		expect(hits).toBe(0);
		expect(totals.lost).toBe(0);
		expect(totals.duplicates).toBe(0);
	});
});
