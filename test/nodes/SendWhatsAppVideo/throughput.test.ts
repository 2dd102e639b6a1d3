/**
 * Many items: ordering, concurrency, per-credential rate limits counted at the emulator's clock,
 * one upload per distinct video, and binaries read only when their item's turn comes.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { Container } from '@n8n/di';
import { BinaryDataConfig } from 'n8n-core';
import type { INodeParameters } from 'n8n-workflow';

import { busiestSecond } from '../../emulator/rates';
import type { RecordedRequest } from '../../emulator/server';
import { runWorkflow } from '../../harness/engine';
import type { InputBinary, InputItem, RunOptions } from '../../harness/engine';
import { byPhone, emulatorCredentials, fixture, phone, URL_TO_EACH_PHONE, useEmulator, videoItem } from '../../harness/setup';

const emulator = useEmulator();

function send(parameters: INodeParameters, items: InputItem[], options: Partial<RunOptions> = {}) {
	return runWorkflow({ parameters, items, credentials: emulatorCredentials(emulator()), ...options });
}

const lancepilotUrl = URL_TO_EACH_PHONE.lancepilot;
const dialog360Binary = { provider: 'dialog360', recipient: '={{ $json.phone }}', source: 'binary' };

/** The most requests the emulator was handling at the same moment. */
function mostInFlight(requests: RecordedRequest[]): number {
	const edges = requests.flatMap((request) => [
		{ at: request.startedAt, change: 1 },
		{ at: request.finishedAt, change: -1 },
	]);
	edges.sort((a, b) => a.at - b.at || a.change - b.change);
	let current = 0;
	let most = 0;
	for (const edge of edges) most = Math.max(most, (current += edge.change));
	return most;
}

describe('many items', () => {
	test('output follows input order and pairing even when later items finish first', async () => {
		// The first two recipients answer slowly, so items 2..5 complete before them.
		emulator().injectFault({ provider: 'lancepilot', path: new RegExp(`${phone(0).slice(1)}/`), kind: 'delay', delayMs: 400 });
		emulator().injectFault({ provider: 'lancepilot', path: new RegExp(`${phone(1).slice(1)}/`), kind: 'delay', delayMs: 300 });
		const result = await send({ ...lancepilotUrl, options: { concurrency: 3 } }, byPhone(6));

		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => [item.json.recipient, item.pairedItem])).toEqual(
			Array.from({ length: 6 }, (_, index) => [phone(index).slice(1), { item: index }]),
		);
		const completionOrder = emulator().requests.map((request) => request.path.match(/%2B(\d+)/)?.[1]);
		expect(completionOrder.slice(-1)[0]).toBe(phone(0).slice(1));
	});

	test('no more items are in flight than Concurrency allows, and more than one is', async () => {
		emulator().setLatency(100);
		await send({ ...lancepilotUrl, options: { concurrency: 4 } }, byPhone(12));
		expect(emulator().messagesCreated()).toHaveLength(12);
		expect(mostInFlight(emulator().requests)).toBeLessThanOrEqual(4);
		expect(mostInFlight(emulator().requests)).toBeGreaterThanOrEqual(2);
	});

	test('without a Concurrency setting, as many items are in flight as Messages per Second needs at the provider\'s answer time', async () => {
		// 20 messages a second at 300 ms an answer needs 6 in flight; 5 was the fixed default before.
		emulator().setLatency(300);
		const result = await send({ ...URL_TO_EACH_PHONE.dialog360, options: { messagesPerSecond: 20 } }, byPhone(40));

		expect(result.items.map((item) => item.json.status)).toEqual(Array(40).fill('accepted'));
		expect(mostInFlight(emulator().requests)).toBeGreaterThanOrEqual(7);
	});

	test('Messages per Second is never exceeded at the provider, retries included', async () => {
		// Every third request is refused once (503, which says nothing of the pace, unlike 429: see
		// adaptiveRate.test.ts), with permission to retry at once.
		for (let skip = 0; skip < 24; skip += 3) {
			emulator().injectFault({ provider: 'lancepilot', kind: 'status', status: 503, headers: { 'Retry-After': '0' }, skip });
		}
		const result = await send({ ...lancepilotUrl, options: { concurrency: 10, messagesPerSecond: 8 } }, byPhone(24));
		expect(result.items.every((item) => item.json.status === 'created')).toBe(true);
		expect(emulator().requests.filter((request) => request.status === 503).length).toBeGreaterThan(0);
		expect(busiestSecond(emulator().requests)).toBeLessThanOrEqual(8);
		expect(emulator().messagesCreated()).toHaveLength(24);
	});

	test('Uploads per Second is never exceeded at the provider', async () => {
		const items = Array.from({ length: 12 }, (_, index) => ({
			json: { phone: phone(index) },
			binary: { data: { bytes: Buffer.concat([fixture('baseline-aac-faststart.mp4'), Buffer.from([index])]), fileName: `v${index}.mp4` } },
		}));
		await send({ ...dialog360Binary, options: { concurrency: 10, uploadsPerSecond: 5 } }, items);
		expect(emulator().uploads()).toHaveLength(12);
		expect(busiestSecond(emulator().uploads())).toBeLessThanOrEqual(5);
	});

	test.each(['memory', 'filesystem'] as const)('the same video to many recipients is uploaded once (%s binary mode)', async (binaryMode) => {
		// Same bytes under different names and MIME types: identified by content, not by name.
		const items: InputItem[] = Array.from({ length: 10 }, (_, index) => ({
			json: { phone: phone(index) },
			...videoItem('baseline-aac-faststart.mp4', index % 2 ? 'video/mp4' : 'application/octet-stream'),
		}));
		items.forEach((item, index) => {
			if (item.binary) item.binary.data.fileName = `copy-${index}.mp4`;
		});
		const result = await send({ ...dialog360Binary, options: { concurrency: 4 } }, items, { binaryMode });

		expect(emulator().uploads()).toHaveLength(1);
		const mediaId = (emulator().uploads()[0].responseBody as { id: string }).id;
		expect(result.items.map((item) => item.json.mediaId)).toEqual(Array(10).fill(mediaId));
		expect(emulator().messagesCreated().map((request) => (request.json as { video: { id: string } }).video.id)).toEqual(Array(10).fill(mediaId));
	});

	test.each(['memory', 'filesystem'] as const)('one download fanned out to a recipient list is uploaded once (%s binary mode)', async (binaryMode) => {
		// The items share one stored binary, as after a Merge or Code node hands one file to every row.
		const promo: InputBinary = { bytes: fixture('baseline-aac-faststart.mp4'), fileName: 'promo.mp4', mimeType: 'video/mp4' };
		const items: InputItem[] = Array.from({ length: 8 }, (_, index) => ({ json: { phone: phone(index) }, binary: { data: promo } }));
		const result = await send({ ...dialog360Binary, options: { concurrency: 4 } }, items, { binaryMode });

		expect(emulator().uploads()).toHaveLength(1);
		expect(emulator().messagesCreated()).toHaveLength(8);
		expect(new Set(result.items.map((item) => item.json.mediaId)).size).toBe(1);
		expect(result.items.map((item) => item.json.recipient)).toEqual(items.map((item) => String(item.json?.phone).slice(1)));
	});

	test('two different videos among six items are uploaded twice, each reused for its own items', async () => {
		const items: InputItem[] = Array.from({ length: 6 }, (_, index) => ({
			json: { phone: phone(index) },
			...videoItem(index % 2 ? 'h264.3gp' : 'baseline-aac-faststart.mp4'),
		}));
		const result = await send({ ...dialog360Binary, options: { concurrency: 3 } }, items);
		expect(emulator().uploads()).toHaveLength(2);
		const ids = result.items.map((item) => item.json.mediaId);
		expect(new Set([ids[0], ids[2], ids[4]]).size).toBe(1);
		expect(new Set([ids[1], ids[3], ids[5]]).size).toBe(1);
		expect(ids[0]).not.toBe(ids[1]);
	});

	test('a binary is read when its item\'s turn comes, not when the run starts (filesystem mode)', async () => {
		emulator().setLatency(300);
		const storage = Container.get(BinaryDataConfig).localStoragePath;
		const items: InputItem[] = Array.from({ length: 3 }, (_, index) => ({
			json: { phone: phone(index) },
			binary: { data: { bytes: Buffer.concat([fixture('baseline-aac-faststart.mp4'), Buffer.from([index])]), fileName: `v${index}.mp4` } },
		}));
		const startedAt = Date.now();
		const run = send({ ...dialog360Binary, options: { concurrency: 1 } }, items, { binaryMode: 'filesystem', continueOnFail: true });
		// Once the first upload has reached the provider, remove this run's stored files.
		while (emulator().requests.length === 0 && emulator().storedMedia().length === 0) {
			await new Promise((resolve) => setTimeout(resolve, 20));
			if (Date.now() - startedAt > 10000) throw new Error('no request arrived');
		}
		for (const file of filesWrittenSince(storage, startedAt)) rmSync(file);
		const result = await run;

		expect(result.items[0].json.status).toBe('accepted');
		expect(result.items[1].json.error).toBeDefined();
		expect(result.items[2].json.error).toBeDefined();
		expect(emulator().messagesCreated()).toHaveLength(1);
	});

	test('without Continue On Fail a provider error stops new sends and says which items went out', async () => {
		emulator().injectFault({ provider: 'lancepilot', path: new RegExp(`${phone(2).slice(1)}/`), kind: 'status', status: 404, body: { message: 'Contact not found.', status: 404 } });
		const result = await send({ ...lancepilotUrl, options: { concurrency: 1 } }, byPhone(5));
		expect(result.error?.message).toBe('Lancepilot: Contact not found. (404)');
		expect(result.error?.description).toMatch(/Sent before the run stopped: items 0, 1\. Not sent: items 3, 4\. Running the workflow again sends these items again\./);
		expect(emulator().messagesCreated()).toHaveLength(2);
	});

	test('when the first and only item fails at the provider, the error says plainly that nothing was sent', async () => {
		emulator().injectFault({ provider: 'lancepilot', path: /messages\/video/, kind: 'status', status: 404, body: { message: 'Contact not found.', status: 404 } });
		const result = await send(lancepilotUrl, byPhone(1));
		expect(result.error?.description).toMatch(/Nothing was sent before the run stopped\.$/);
		expect(result.error?.description).not.toMatch(/none/);
		expect(emulator().messagesCreated()).toHaveLength(0);
	});
});

function filesWrittenSince(directory: string, since: number): string[] {
	const found: string[] = [];
	for (const entry of readdirSync(directory, { withFileTypes: true })) {
		const path = join(directory, entry.name);
		if (entry.isDirectory()) found.push(...filesWrittenSince(path, since));
		else if (statSync(path).mtimeMs >= since - 1000 && !entry.name.endsWith('.metadata')) found.push(path);
	}
	return found;
}
