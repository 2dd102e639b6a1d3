/**
 * Videos to one person arrive in order: a course sent as several items per customer reaches each
 * customer part 1 first, one message at a time, while other customers are served at full rate.
 */
import type { INodeParameters } from 'n8n-workflow';

import type { RecordedRequest } from '../../emulator/server';
import { metaErrorBody } from '../../emulator/server';
import type { InputItem, RunOptions } from '../../harness/engine';
import { runWorkflow } from '../../harness/engine';
import { emulatorCredentials, phone, useEmulator } from '../../harness/setup';

const emulator = useEmulator();

const COURSE = {
	provider: 'dialog360',
	recipient: '={{ $json.phone }}',
	source: 'url',
	videoUrl: '={{ $json.video }}',
	caption: '={{ "Part " + $json.part }}',
};

function send(items: InputItem[], options: Partial<RunOptions> & { parameters?: INodeParameters } = {}) {
	return runWorkflow({ parameters: COURSE, items, credentials: emulatorCredentials(emulator()), ...options });
}

const digits = (index: number) => phone(index).slice(1);
const partItem = (recipient: number, part: number): InputItem => ({
	json: { phone: phone(recipient), part, video: `https://cdn.example.com/course/part-${part}.mp4` },
});

/**
 * Every recipient's parts 1..parts in input order, recipients interleaved the way a list assembled
 * from several sources comes: some parts next to each other, some far apart (a fixed shuffle).
 */
function shuffledCourse(recipients: number, parts: number): InputItem[] {
	const nextPart = new Array<number>(recipients).fill(1);
	const items: InputItem[] = [];
	let seed = 7;
	while (items.length < recipients * parts) {
		seed = (seed * 1103515245 + 12345) % 2 ** 31;
		let recipient = seed % recipients;
		while (nextPart[recipient] > parts) recipient = (recipient + 1) % recipients;
		items.push(partItem(recipient, nextPart[recipient]++));
	}
	return items;
}

interface SentMessage {
	recipient: string;
	part: number;
	request: RecordedRequest;
}

/** The messages the emulator accepted, in the order they arrived. */
function accepted(): SentMessage[] {
	return emulator()
		.messagesCreated()
		.sort((a, b) => a.startedAt - b.startedAt)
		.map((request) => {
			const body = request.json as { to: string; video: { link: string } };
			return { recipient: body.to, part: Number(/part-(\d+)/.exec(body.video.link)?.[1]), request };
		});
}

/** Each part arrived only after the previous part to the same recipient had its answer. */
function expectOneAtATimeInOrder(messages: SentMessage[], recipients: string[], parts: number) {
	for (const recipient of recipients) {
		const own = messages.filter((message) => message.recipient === recipient);
		expect({ recipient, parts: own.map((message) => message.part) }).toEqual({ recipient, parts: Array.from({ length: parts }, (_, index) => index + 1) });
		for (let index = 1; index < own.length; index++) {
			expect(own[index].request.startedAt).toBeGreaterThanOrEqual(own[index - 1].request.finishedAt);
		}
	}
}

const pairRateRefusal = (recipient: string) =>
	emulator().injectFault({ provider: 'dialog360', path: '/messages', recipient, kind: 'status', status: 400, body: metaErrorBody(131056, 'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time'), times: 1 });

describe('videos to one person arrive in order', () => {
	test('50 customers × 3 parts, some part 1s refused as too frequent: every customer gets 1, 2, 3 once, and the others are not held up meanwhile', async () => {
		const items = shuffledCourse(50, 3);
		// The ten customers first in the list are refused once, as many as may be in flight: their
		// part 1s are the first ten sends, and their waits overlap the rest of the run.
		const firstCustomers = [...new Set(items.map((item) => String(item.json?.phone).slice(1)))].slice(0, 10);
		for (const recipient of firstCustomers) pairRateRefusal(recipient);

		const result = await send(items, { parameters: { ...COURSE, options: { concurrency: 10 } } });

		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => [item.json.status, item.json.recipient, item.pairedItem])).toEqual(
			items.map((item, index) => ['accepted', String(item.json?.phone).slice(1), { item: index }]),
		);
		const messages = accepted();
		expect(messages).toHaveLength(150);
		expectOneAtATimeInOrder(messages, Array.from({ length: 50 }, (_, index) => digits(index)), 3);

		const refusals = emulator().requests.filter((request) => request.fault === 'status:400');
		expect(refusals).toHaveLength(10);
		for (const refusal of refusals) {
			const recipient = (refusal.json as { to: string }).to;
			const retry = messages.find((message) => message.recipient === recipient && message.part === 1) as SentMessage;
			// While this customer waited, other customers' videos kept going out.
			const othersMeanwhile = messages.filter(
				(message) => message.recipient !== recipient && message.request.startedAt > refusal.finishedAt && message.request.finishedAt < retry.request.startedAt,
			);
			expect({ recipient, othersSentMeanwhile: othersMeanwhile.length > 0 }).toEqual({ recipient, othersSentMeanwhile: true });
		}
	});

	test('one customer\'s parts never overlap, even with many sends allowed in flight and slow answers; different customers do overlap', async () => {
		emulator().setLatency(100);
		const items = [0, 1, 2].flatMap((recipient) => [1, 2, 3].map((part) => partItem(recipient, part)));

		const result = await send(items, { parameters: { ...COURSE, options: { concurrency: 10 } } });

		expect(result.items.map((item) => item.json.status)).toEqual(Array(9).fill('accepted'));
		const messages = accepted();
		expectOneAtATimeInOrder(messages, [0, 1, 2].map(digits), 3);
		const [first, second, third] = messages.filter((message) => message.part === 1).map((message) => message.request);
		expect(second.startedAt).toBeLessThan(first.finishedAt);
		expect(third.startedAt).toBeLessThan(first.finishedAt);
	});

	test('with Continue On Fail, a failed part 1 does not hold back parts 2 and 3: they go after its answer', async () => {
		emulator().setLatency(100);
		emulator().injectFault({ provider: 'dialog360', path: '/messages', recipient: digits(0), kind: 'status', status: 400, body: metaErrorBody(131053, 'Media upload error') });
		const items = [1, 2, 3].map((part) => partItem(0, part));

		const result = await send(items, { continueOnFail: true, parameters: { ...COURSE, options: { concurrency: 10 } } });

		expect(result.items.map((item) => item.json.status ?? 'error')).toEqual(['error', 'accepted', 'accepted']);
		const [refusal] = emulator().requests.filter((request) => request.fault === 'status:400');
		const messages = accepted();
		expect(messages.map((message) => message.part)).toEqual([2, 3]);
		expect(messages[0].request.startedAt).toBeGreaterThanOrEqual(refusal.finishedAt);
	});

	test('without Continue On Fail, a failed part 1 stops the run before that customer\'s later parts, and the error says what went out', async () => {
		emulator().injectFault({ provider: 'dialog360', path: '/messages', recipient: digits(0), kind: 'status', status: 400, body: metaErrorBody(131053, 'Media upload error') });
		const items = [partItem(0, 1), partItem(0, 2), partItem(0, 3)];

		const result = await send(items, { parameters: { ...COURSE, options: { concurrency: 10 } } });

		expect(result.error?.description).toMatch(/Nothing was sent before the run stopped\. Not sent: items 1, 2\./);
		expect(emulator().messagesCreated()).toEqual([]);
	});
});
