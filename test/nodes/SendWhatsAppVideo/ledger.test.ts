/**
 * n8n's "Retry On Fail" runs the whole node again when it throws, and also when its first output
 * item is an error (Continue On Fail). Every item that went out in an earlier try must not go out
 * again, and an item whose send may have been delivered must not be repeated either.
 */
import type { INode, INodeParameters } from 'n8n-workflow';

import { SentLedger } from '../../../nodes/SendWhatsAppVideo/ledger';
import { runWorkflow } from '../../harness/engine';
import type { InputItem, RunOptions } from '../../harness/engine';
import { byPhone, emulatorCredentials, URL_TO_EACH_PHONE, useEmulator } from '../../harness/setup';

const emulator = useEmulator();

const retryOnFail = { maxTries: 3, waitBetweenTries: 0 };
const oneAtATime = { concurrency: 1, maxRetries: 0 };
const lancepilotUrl: INodeParameters = { ...URL_TO_EACH_PHONE.lancepilot, options: oneAtATime };
const dialog360Url: INodeParameters = { ...URL_TO_EACH_PHONE.dialog360, options: oneAtATime };

const send = async (parameters: INodeParameters, items: InputItem[], extra: Partial<RunOptions> = {}) =>
	await runWorkflow({ parameters, items, credentials: emulatorCredentials(emulator()), retryOnFail, ...extra });

/** How many messages the emulator created for each recipient. */
function messagesPerRecipient(): Map<string, number> {
	const counts = new Map<string, number>();
	for (const { created } of emulator().messagesCreated()) {
		if (created?.kind === 'message') counts.set(created.recipient, (counts.get(created.recipient) ?? 0) + 1);
	}
	return counts;
}

describe('with Retry On Fail, a video sent in an earlier try is not sent again', () => {
	test('a refused send stops the run; n8n\'s retry sends only the items that had not gone out', async () => {
		// The fourth send is refused once (not delivered), which fails the node without Continue On Fail.
		emulator().injectFault({ provider: 'lancepilot', kind: 'status', status: 404, skip: 3 });
		const result = await send(lancepilotUrl, byPhone(6));

		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.status)).toEqual(Array(6).fill('created'));
		expect([...messagesPerRecipient().values()]).toEqual(Array(6).fill(1));
		expect(emulator().requests).toHaveLength(7);
	});

	test('the outputs of items sent in the first try are the ones the provider gave then', async () => {
		emulator().injectFault({ provider: 'dialog360', path: '/messages', kind: 'status', status: 400, skip: 2 });
		const result = await send(dialog360Url, byPhone(4));

		const firstTry = emulator().messagesCreated().slice(0, 2).map((request) => (request.responseBody as { messages: Array<{ id: string }> }).messages[0].id);
		expect(result.items.slice(0, 2).map((item) => item.json.messageId)).toEqual(firstTry);
		expect(result.items.map((item) => item.pairedItem)).toEqual([0, 1, 2, 3].map((item) => ({ item })));
		expect(emulator().messagesCreated()).toHaveLength(4);
	});

	test('with Continue On Fail, an invalid first item makes n8n re-run the node; the others still go out once', async () => {
		const items = byPhone(5);
		items[0] = { json: { phone: 'call me' } };
		const result = await send(lancepilotUrl, items, { continueOnFail: true });

		expect(result.items[0].json.error).toMatch(/Phone Number/);
		expect(result.items.slice(1).map((item) => item.json.status)).toEqual(Array(4).fill('created'));
		expect(emulator().messagesCreated()).toHaveLength(4);
		expect([...messagesPerRecipient().values()]).toEqual(Array(4).fill(1));
	});

	test('a send that may have been delivered is not repeated by n8n\'s retry, and still says so', async () => {
		// The provider creates the third message, then the connection drops before the answer.
		emulator().injectFault({ provider: 'dialog360', path: '/messages', kind: 'reset-after', skip: 2 });
		const result = await send(dialog360Url, byPhone(4));

		expect(result.error?.message).toMatch(/connection was reset/);
		expect(result.error?.description).toMatch(/may or may not have been delivered/);
		expect(result.error?.description).toMatch(/Sent before the run stopped: items 0, 1\. Not sent: items 3\./);
		expect(emulator().requests.filter((request) => request.path === '/messages')).toHaveLength(3);
		expect([...messagesPerRecipient().values()]).toEqual([1, 1, 1]);
	});

	test('a run of the same workflow later (a new execution) sends again: only retries are guarded', async () => {
		await send(lancepilotUrl, byPhone(2));
		await send(lancepilotUrl, byPhone(2));
		expect(emulator().messagesCreated()).toHaveLength(4);
	});
});

describe('SentLedger', () => {
	const nodeNamed = (name: string): INode => ({ id: name, name, type: 'sendWhatsAppVideo', typeVersion: 1, position: [0, 0], parameters: {} });
	const input = [{ json: {} }];

	test('two nodes handed the same items (two branches) keep separate records, so both send', () => {
		SentLedger.of(input, nodeNamed('Send A')).recordSent(0, 'same', { status: 'created' });
		expect(SentLedger.of(input, nodeNamed('Send A')).replay(nodeNamed('Send A'), 0, 'same')).toEqual({ status: 'created' });
		expect(SentLedger.of(input, nodeNamed('Send B')).replay(nodeNamed('Send B'), 0, 'same')).toBeUndefined();
	});

	test('a different item at the same index is sent, and a closed run starts afresh', () => {
		const node = nodeNamed('Send C');
		SentLedger.of(input, node).recordSent(0, 'to Ada', { status: 'created' });
		expect(SentLedger.of(input, node).replay(node, 0, 'to Grace')).toBeUndefined();
		SentLedger.close(input, node);
		expect(SentLedger.of(input, node).replay(node, 0, 'to Ada')).toBeUndefined();
	});
});
