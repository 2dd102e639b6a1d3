/**
 * Send Once: a campaign that failed part-way is run again (or retried) and every recipient ends up
 * with exactly one message. Runs through n8n-core's engine with n8n's deduplication service over
 * the harness's copy of n8n's store (test/harness/processedData.ts); the e2e runs n8n's own.
 */
import * as n8nWorkflow from 'n8n-workflow';
import type { IDataObject, INodeParameters, INodeType } from 'n8n-workflow';

import { metaErrorBody } from '../../emulator/server';
import type { InputItem, RunResult } from '../../harness/engine';
import { runWorkflow } from '../../harness/engine';
import { processedData } from '../../harness/processedData';
import { D, emulatorCredentials, fixture, phone, useEmulator } from '../../harness/setup';

const emulator = useEmulator();

const CUSTOMERS = 10;
const digitsOf = (index: number) => phone(index).replace(/\D/g, '');
const REFUSED = 4;

let workflowCounter = 0;
/** Each test is a workflow of its own, saved once and executed several times. */
const newWorkflow = () => `send-once-${++workflowCounter}`;

function campaign(options: IDataObject = {}): INodeParameters {
	return {
		provider: 'dialog360',
		recipient: '={{ $json.phone }}',
		source: 'url',
		videoUrl: 'https://cdn.example.com/spring.mp4',
		caption: 'Spring is here',
		options: { sendOnce: true, ...options },
	};
}

const customers = (fixed = true): InputItem[] =>
	Array.from({ length: CUSTOMERS }, (_, index) => ({ json: { phone: index === REFUSED && !fixed ? '+49 0000 000' : phone(index) } }));

async function run(workflowId: string, parameters: INodeParameters, items: InputItem[], extra: { continueOnFail?: boolean } = {}): Promise<RunResult> {
	return await runWorkflow({ workflowId, parameters, items, credentials: emulatorCredentials(emulator()), ...extra });
}

/** Messages the provider accepted, by recipient. */
function messagesPerRecipient(): Map<string, number> {
	const counts = new Map<string, number>();
	for (const request of emulator().messagesCreated()) {
		const to = (request.json as { to: string }).to;
		counts.set(to, (counts.get(to) ?? 0) + 1);
	}
	return counts;
}

/** The provider refuses one number at once, as Meta does for a number outside a test account's allowed list. */
function refuseRecipient(digits: string, times = Infinity) {
	return emulator().injectFault({
		provider: 'dialog360',
		path: '/messages',
		recipient: digits,
		kind: 'status',
		status: 400,
		body: metaErrorBody(131030, 'Recipient phone number not in allowed list'),
		times,
	});
}

describe('Send Once: a failed campaign run again', () => {
	it('sends each customer exactly one video over the failed run, the fixed re-run and a third run', async () => {
		const workflowId = newWorkflow();
		const refusal = refuseRecipient(digitsOf(REFUSED));

		const failed = await run(workflowId, campaign(), customers());
		expect(failed.error?.message).toMatch(/131030/);
		expect(failed.error?.description).toMatch(/Send Once recorded what went out: fix the problem, then run the workflow again or retry the execution/);
		expect(emulator().messagesCreated()).toHaveLength(CUSTOMERS - 1);

		// The user fixes the number (here: the provider now takes it) and runs the workflow again.
		refusal.cancel();
		const rerun = await run(workflowId, campaign(), customers());
		expect(rerun.error).toBeUndefined();
		expect(rerun.items.map((item) => item.pairedItem)).toEqual(Array.from({ length: CUSTOMERS }, (_, item) => ({ item })));
		expect(rerun.items.map((item) => item.json.status)).toEqual(
			Array.from({ length: CUSTOMERS }, (_, index) => (index === REFUSED ? 'accepted' : 'skipped')),
		);
		const skipped = rerun.items[0].json;
		expect(skipped).toEqual({
			provider: 'dialog360',
			recipient: digitsOf(0),
			status: 'skipped',
			reason: 'alreadySent',
			sendOnceKey: expect.stringMatching(/^auto:[0-9a-f]{32}$/),
		});
		expect([...messagesPerRecipient().values()]).toEqual(Array(CUSTOMERS).fill(1));

		const third = await run(workflowId, campaign(), customers());
		expect(third.items.every((item) => item.json.status === 'skipped' && item.json.reason === 'alreadySent')).toBe(true);
		expect(emulator().messagesCreated()).toHaveLength(CUSTOMERS);
	});

	it('says, when the option is off, that running again would send the sent items again', async () => {
		refuseRecipient(digitsOf(REFUSED));
		const failed = await run(newWorkflow(), campaign({ sendOnce: false }), customers());
		expect(failed.error?.description).toMatch(/Running the workflow again sends these items again/);
		expect(failed.error?.description).toMatch(/turn on Options → Send Once/);
	});

	it('sends everything again on a re-run when Send Once is off (the default)', async () => {
		const workflowId = newWorkflow();
		const parameters = campaign();
		delete (parameters.options as IDataObject).sendOnce;
		await run(workflowId, parameters, customers());
		await run(workflowId, parameters, customers());
		expect([...messagesPerRecipient().values()]).toEqual(Array(CUSTOMERS).fill(2));
	});

	it('sends again under a new Send Once Key, and never twice under the same one', async () => {
		const workflowId = newWorkflow();
		const keyed = (campaignName: string) => campaign({ sendOnceKey: `={{ $json.phone }}-${campaignName}` });
		await run(workflowId, keyed('spring-2026'), customers());
		const again = await run(workflowId, keyed('spring-2026'), customers());
		expect(again.items[3].json).toMatchObject({ status: 'skipped', reason: 'alreadySent', sendOnceKey: `${phone(3)}-spring-2026` });
		const next = await run(workflowId, keyed('summer-2026'), customers());
		expect(next.items.every((item) => item.json.status === 'accepted')).toBe(true);
		expect([...messagesPerRecipient().values()]).toEqual(Array(CUSTOMERS).fill(2));
	});

	it('treats a different caption or video as a different message, and the same ones as the same', async () => {
		const workflowId = newWorkflow();
		const one = [{ json: { phone: phone(1) } }];
		await run(workflowId, campaign(), one);
		await run(workflowId, { ...campaign(), caption: 'Spring is here!' }, one);
		await run(workflowId, { ...campaign(), videoUrl: 'https://cdn.example.com/summer.mp4' }, one);
		await run(workflowId, campaign(), one);
		expect(emulator().messagesCreated().map((request) => (request.json as { video: IDataObject }).video)).toEqual([
			{ link: 'https://cdn.example.com/spring.mp4', caption: 'Spring is here' },
			{ link: 'https://cdn.example.com/spring.mp4', caption: 'Spring is here!' },
			{ link: 'https://cdn.example.com/summer.mp4', caption: 'Spring is here' },
		]);
	});

	it('keeps a key per node of a workflow: a second Send Once node sends its own message', async () => {
		const workflowId = newWorkflow();
		await run(workflowId, campaign(), customers());
		const otherWorkflow = await run(newWorkflow(), campaign(), customers());
		expect(otherWorkflow.items.every((item) => item.json.status === 'accepted')).toBe(true);
	});
});

describe('Send Once: what is recorded', () => {
	it('does not record a send the provider refused, so the next run sends it (Continue On Fail)', async () => {
		const workflowId = newWorkflow();
		const refusal = refuseRecipient(digitsOf(2));
		const first = await run(workflowId, campaign(), customers(), { continueOnFail: true });
		expect(first.items[2].json.error).toMatch(/131030/);
		expect(first.items.filter((item) => item.json.status === 'accepted')).toHaveLength(CUSTOMERS - 1);
		refusal.cancel();
		const second = await run(workflowId, campaign(), customers(), { continueOnFail: true });
		expect(second.items.map((item) => item.json.status)).toEqual(Array.from({ length: CUSTOMERS }, (_, index) => (index === 2 ? 'accepted' : 'skipped')));
		expect([...messagesPerRecipient().values()]).toEqual(Array(CUSTOMERS).fill(1));
	});

	it('does not record a send throttled past Max Retries', async () => {
		const workflowId = newWorkflow();
		const one = [{ json: { phone: phone(1) } }];
		emulator().injectFault({ provider: 'dialog360', path: '/messages', kind: 'status', status: 429, headers: { 'Retry-After': '0' }, times: 2 });
		const throttled = await run(workflowId, campaign({ maxRetries: 1 }), one, { continueOnFail: true });
		expect(throttled.items[0].json.error).toMatch(/429/);
		const next = await run(workflowId, campaign({ maxRetries: 1 }), one, { continueOnFail: true });
		expect(next.items[0].json.status).toBe('accepted');
	});

	it('does not record items a stopped run never sent', async () => {
		const workflowId = newWorkflow();
		refuseRecipient(digitsOf(0));
		// One at a time: the refusal of the first item stops the run before any other starts.
		const stopped = await run(workflowId, campaign({ concurrency: 1 }), customers());
		expect(stopped.error?.description).toMatch(/Nothing was sent before the run stopped\. Not sent: items 1, 2, 3, 4, 5, 6, 7, 8, 9\./);
		emulator().clearFaults();
		const next = await run(workflowId, campaign({ concurrency: 1 }), customers());
		expect(next.items.every((item) => item.json.status === 'accepted')).toBe(true);
	});

	it('records a send whose outcome is unknown, and skips it later as one that may have been sent', async () => {
		const workflowId = newWorkflow();
		const one = [{ json: { phone: phone(1) } }];
		emulator().injectFault({ provider: 'dialog360', path: '/messages', kind: 'reset-after' });
		const lost = await run(workflowId, campaign(), one, { continueOnFail: true });
		expect(lost.items[0].json.error).toMatch(/connection was reset/);
		expect(emulator().messagesCreated()).toHaveLength(1);
		const next = await run(workflowId, campaign(), one, { continueOnFail: true });
		expect(next.items[0].json).toMatchObject({ status: 'skipped', reason: 'mayHaveBeenSent', recipient: digitsOf(1) });
		expect(emulator().messagesCreated()).toHaveLength(1);
	});

	it('sends an item whose key an earlier item of the same run has once, and skips the other', async () => {
		const twice = [{ json: { phone: phone(1) } }, { json: { phone: '+49 151 000 00001' } }];
		const result = await run(newWorkflow(), campaign(), twice);
		expect(result.items.map((item) => [item.json.status, item.json.reason])).toEqual([
			['accepted', undefined],
			['skipped', 'duplicateInRun'],
		]);
		expect(emulator().messagesCreated()).toHaveLength(1);
	});

	it('claims all of a run\'s keys in one write to n8n\'s store, checks the claim with one more, and settles with two', async () => {
		const before = { ...processedData.calls };
		await run(newWorkflow(), campaign(), customers());
		expect({ record: processedData.calls.record - before.record, remove: processedData.calls.remove - before.remove }).toEqual({ record: 2, remove: 2 });
	});

	it('leaves only the sent keys in the store once the run is over', async () => {
		const workflowId = newWorkflow();
		await run(workflowId, campaign({ sendOnceKey: '={{ $json.phone }}' }), customers());
		const stored = JSON.parse(processedData.storedValue(workflowId, 'send') as string) as { mode: string; data: string[] };
		expect(stored.mode).toBe('entries');
		expect(stored.data).toHaveLength(CUSTOMERS);
		expect(processedData.holds(workflowId, 'send', phone(0))).toBe(true);
		expect(processedData.holds(workflowId, 'send', `pending\u0000${phone(0)}`)).toBe(false);
	});
});

describe('Send Once with binary videos', () => {
	const video = (bytes: Buffer) => ({ bytes, fileName: 'promo.mp4', mimeType: 'video/mp4' });

	it('knows a video by its content: the same file read again in a new execution is the same message', async () => {
		const workflowId = newWorkflow();
		const items = (bytes: Buffer) => [0, 1].map((index) => ({ json: { phone: phone(index) }, binary: { data: video(bytes) } }));
		const parameters: INodeParameters = { provider: 'dialog360', recipient: '={{ $json.phone }}', source: 'binary', options: { sendOnce: true } };
		const promo = fixture('baseline-aac-faststart.mp4');
		await run(workflowId, parameters, items(promo));
		const again = await run(workflowId, parameters, items(Buffer.from(promo)));
		expect(again.items.map((item) => item.json.status)).toEqual(['skipped', 'skipped']);
		const other = await run(workflowId, parameters, items(fixture('main-no-bframes.mp4')));
		expect(other.items.map((item) => item.json.status)).toEqual(['accepted', 'accepted']);
		expect(emulator().uploads()).toHaveLength(2);
	});
});

/** The node's code loaded afresh, as another n8n process has it (engine packages shared, so the engine knows its errors). */
function nodeInAnotherProcess(): INodeType {
	let nodeType: INodeType | undefined;
	jest.isolateModules(() => {
		jest.doMock('n8n-workflow', () => n8nWorkflow);
		const { SendWhatsAppVideo } = require('../../../nodes/SendWhatsAppVideo/SendWhatsAppVideo.node') as typeof import('../../../nodes/SendWhatsAppVideo/SendWhatsAppVideo.node');
		nodeType = new SendWhatsAppVideo();
	});
	return nodeType as INodeType;
}

describe('Send Once with two executions at once', () => {
	afterEach(() => {
		processedData.gapMs = 0;
	});

	it('sends each of the overlapping recipients once and loses no record, though n8n\'s store has no lock', async () => {
		const workflowId = newWorkflow();
		// An earlier campaign made the store's row, so both claims update it (rather than insert it,
		// where the second insert fails on the row's key and is tried again).
		await run(workflowId, campaign(), [{ json: { phone: phone(99) } }]);
		// Every store call takes 200 ms from reading the row to writing it back, so the two claims overlap.
		processedData.gapMs = 200;
		const first = Array.from({ length: 6 }, (_, index) => ({ json: { phone: phone(index) } }));
		const second = Array.from({ length: 6 }, (_, index) => ({ json: { phone: phone(index + 3) } }));
		// The node keeps the claims of one process in line; two n8n processes (queue mode's workers)
		// are two loads of the node's code, each with a line of its own.
		const [a, b] = await Promise.all([
			runWorkflow({ workflowId, parameters: campaign(), items: first, credentials: emulatorCredentials(emulator()), nodeType: nodeInAnotherProcess() }),
			run(workflowId, campaign(), second),
		]);
		expect(a.error ?? b.error).toBeUndefined();
		expect([...messagesPerRecipient().entries()].sort()).toEqual([...Array.from({ length: 9 }, (_, index) => [digitsOf(index), 1]), [digitsOf(99), 1]]);
		const third = await run(workflowId, campaign(), [...first, ...second]);
		expect(third.items.map((item) => item.json.status)).toEqual(Array(12).fill('skipped'));
		expect(emulator().messagesCreated()).toHaveLength(10);
	});
});

describe('Send Once without a store to use', () => {
	it('sends nothing and says why when n8n\'s deduplication store fails', async () => {
		const workflowId = newWorkflow();
		processedData.failWith = new Error('SQLITE_READONLY: attempt to write a readonly database');
		try {
			const result = await run(workflowId, campaign(), customers());
			expect(result.error?.message).toBe(
				"Send Once could not use n8n's deduplication store: SQLITE_READONLY: attempt to write a readonly database",
			);
			expect(result.error?.description).toMatch(/^Nothing was sent\./);
		} finally {
			processedData.failWith = undefined;
		}
		expect(emulator().requests).toHaveLength(0);
	});

	it('sends nothing when the workflow has never been saved', async () => {
		const result = await runWorkflow({ workflowId: '', parameters: campaign(), items: customers(), credentials: emulatorCredentials(emulator()) });
		expect(result.error?.message).toBe('Send Once needs a saved workflow');
		expect(emulator().requests).toHaveLength(0);
	});
});

describe('Send Once and the other options', () => {
	it('refuses a Send Once Key that is not text, naming the item and field', async () => {
		const result = await run(newWorkflow(), campaign({ sendOnceKey: '={{ $json }}' }), [{ json: { phone: phone(1) } }]);
		expect(result.error?.message).toMatch(/Invalid "Send Once Key" in item 0/);
		expect(emulator().requests).toHaveLength(0);
	});

	it('works for Lancepilot, whose account is the workspace', async () => {
		const workflowId = newWorkflow();
		const parameters: INodeParameters = {
			provider: 'lancepilot',
			workspaceId: D.workspaceId,
			contactBy: 'number',
			recipient: '={{ $json.phone }}',
			source: 'url',
			videoUrl: 'https://cdn.example.com/spring.mp4',
			options: { sendOnce: true },
		};
		await run(workflowId, parameters, customers());
		const again = await run(workflowId, parameters, customers());
		expect(again.items.every((item) => item.json.status === 'skipped')).toBe(true);
		expect(emulator().messagesCreated('lancepilot')).toHaveLength(CUSTOMERS);
	});
});
