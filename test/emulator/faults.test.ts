import { FaultBook } from './faults';
import { D, D360_AUTH, LP_AUTH, http, postJson, sleep, waitFor } from './helpers';
import { metaErrorBody, startEmulator, type Emulator, type FaultSpec } from './server';

let emu: Emulator;
beforeAll(async () => {
	emu = await startEmulator();
});
afterEach(() => emu.reset());
afterAll(() => emu.close());

const LINK = 'https://cdn.example.com/clip.mp4';
const TO = D.contactNumber.slice(1);
const lpSendUrl = () => `${emu.lancepilotBaseUrl}/workspaces/${D.workspaceId}/contacts/${D.contactId}/messages/video`;
const lpSend = () => postJson(lpSendUrl(), { file: LINK }, LP_AUTH);
const d360Send = () =>
	postJson(`${emu.dialog360BaseUrl}/messages`, { messaging_product: 'whatsapp', to: TO, type: 'video', video: { link: LINK } }, D360_AUTH);
const lpSendPath = `/workspaces/${D.workspaceId}/contacts/${D.contactId}/messages/video`;

describe('status faults', () => {
	it('answers with the provider’s error shape, extra headers and no processing', async () => {
		const handle = emu.injectFault({ provider: 'lancepilot', kind: 'status', status: 429, headers: { 'Retry-After': '2' } });
		const res = await lpSend();
		expect(res.status).toBe(429);
		expect(res.headers.get('retry-after')).toBe('2');
		expect(res.json).toEqual({ message: 'Too Many Attempts.' });
		expect(emu.messagesCreated()).toHaveLength(0);
		expect(emu.requests[0]).toMatchObject({ fault: 'status:429', status: 429, responseSent: true });
		expect(handle.applied).toBe(1);
		expect(handle.exhausted).toBe(true);
		// times defaults to 1: the next request goes through.
		expect((await lpSend()).status).toBe(201);
	});

	it('uses 360dialog’s own shape by default and passes a custom Meta body through', async () => {
		emu.injectFault({ provider: 'dialog360', kind: 'status', status: 500 });
		const own = await d360Send();
		expect(own.status).toBe(500);
		expect(own.json).toEqual({ error: 'Invalid request' });

		emu.injectFault({ provider: 'dialog360', kind: 'status', status: 400, body: metaErrorBody(131056, 'pair rate limit') });
		const meta = await d360Send();
		expect(meta.status).toBe(400);
		expect(meta.json).toMatchObject({
			error: {
				code: 131056,
				message: '(#131056) (Business Account, Consumer Account) pair rate limit hit',
				error_data: { details: 'pair rate limit' },
			},
		});
		expect(emu.messagesCreated()).toHaveLength(0);
	});

	it('sends a string body verbatim', async () => {
		emu.injectFault({ kind: 'status', status: 502, body: 'Bad Gateway' });
		const res = await lpSend();
		expect(res.status).toBe(502);
		expect(res.text).toBe('Bad Gateway');
		expect(res.headers.get('content-type')).toContain('text/plain');
	});

	it('honours times, skip, method, path and provider filters', async () => {
		emu.injectFault({ provider: 'dialog360', method: 'post', path: '/messages', kind: 'status', status: 503, times: 2, skip: 1 });
		emu.injectFault({ provider: 'lancepilot', path: /^\/workspaces$/, kind: 'status', status: 500, times: Infinity });

		expect((await d360Send()).status).toBe(200); // skipped
		expect((await d360Send()).status).toBe(503);
		expect((await d360Send()).status).toBe(503);
		expect((await d360Send()).status).toBe(200); // exhausted
		expect((await lpSend()).status).toBe(201); // path does not match
		for (let i = 0; i < 3; i++) {
			expect((await http(`${emu.lancepilotBaseUrl}/workspaces`, { headers: LP_AUTH })).status).toBe(500);
		}
		emu.clearFaults();
		expect((await http(`${emu.lancepilotBaseUrl}/workspaces`, { headers: LP_AUTH })).status).toBe(200);
		expect(emu.requests.map((r) => r.fault ?? '-')).toEqual(['-', 'status:503', 'status:503', '-', '-', 'status:500', 'status:500', 'status:500', '-']);
	});

	it('lets a handle cancel a fault before it fires', async () => {
		const handle = emu.injectFault({ kind: 'status', status: 500, times: Infinity });
		handle.cancel();
		expect((await lpSend()).status).toBe(201);
		expect(handle.applied).toBe(0);
	});

	it('applies to requests outside the provider mounts when no provider is given', async () => {
		emu.injectFault({ path: '/elsewhere', kind: 'status', status: 418 });
		const res = await http(`${emu.origin}/elsewhere`);
		expect(res.status).toBe(418);
		expect(emu.requests[0]).toMatchObject({ provider: 'unknown', fault: 'status:418' });
	});
});

describe('connection faults', () => {
	it('reset-before hangs up without creating anything', async () => {
		emu.injectFault({ provider: 'lancepilot', method: 'POST', path: lpSendPath, kind: 'reset-before' });
		await expect(lpSend()).rejects.toThrow();
		await waitFor(() => emu.requests.length === 1);
		expect(emu.requests[0]).toMatchObject({ fault: 'reset-before', status: 0, responseSent: false, json: { file: LINK } });
		expect(emu.messagesCreated()).toHaveLength(0);
		expect((await lpSend()).status).toBe(201);
	});

	it('reset-after creates the message and then hangs up', async () => {
		emu.injectFault({ provider: 'dialog360', path: '/messages', kind: 'reset-after' });
		await expect(d360Send()).rejects.toThrow();
		await waitFor(() => emu.requests.length === 1);
		const created = emu.messagesCreated('dialog360');
		expect(created).toHaveLength(1);
		expect(created[0]).toMatchObject({ fault: 'reset-after', status: 200, responseSent: false });
		expect(created[0].created).toMatchObject({ kind: 'message', messageId: expect.stringMatching(/^wamid\./) });
	});
});

describe('body faults', () => {
	it('malformed answers the success status with truncated JSON after creating the message', async () => {
		emu.injectFault({ kind: 'malformed' });
		const res = await lpSend();
		expect(res.status).toBe(201);
		expect(res.headers.get('content-type')).toBe('application/json');
		expect(res.json).toBeUndefined();
		expect(() => JSON.parse(res.text) as unknown).toThrow();
		expect(res.text.startsWith('{"status":201')).toBe(true);
		expect(emu.messagesCreated()).toHaveLength(1);
		expect(emu.requests[0].fault).toBe('malformed');
	});

	it('html answers a text/html page without processing, optionally with a status', async () => {
		emu.injectFault({ kind: 'html' });
		const res = await d360Send();
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toContain('text/html');
		expect(res.text).toMatch(/^<!DOCTYPE html>/);
		emu.injectFault({ kind: 'html', status: 502 });
		expect((await d360Send()).status).toBe(502);
		expect(emu.messagesCreated()).toHaveLength(0);
	});

	it('empty answers 200 with no body and without processing', async () => {
		emu.injectFault({ kind: 'empty' });
		const res = await lpSend();
		expect(res.status).toBe(200);
		expect(res.text).toBe('');
		expect(res.headers.get('content-length')).toBe('0');
		expect(emu.messagesCreated()).toHaveLength(0);
		expect(emu.requests[0]).toMatchObject({ fault: 'empty', status: 200, responseBody: '' });
	});
});

describe('delay faults and latency', () => {
	it('delay processes first and answers late', async () => {
		emu.injectFault({ kind: 'delay', delayMs: 200 });
		const started = Date.now();
		const res = await lpSend();
		expect(Date.now() - started).toBeGreaterThanOrEqual(190);
		expect(res.status).toBe(201);
		const [record] = emu.messagesCreated();
		expect(record.fault).toBe('delay:200ms');
		expect(record.finishedAt - record.startedAt).toBeGreaterThanOrEqual(190);
	});

	it('a client that times out during a delay still leaves a created message (the ambiguous case)', async () => {
		emu.injectFault({ kind: 'delay', delayMs: 400 });
		await expect(fetch(lpSendUrl(), {
			method: 'POST',
			headers: { ...LP_AUTH, 'Content-Type': 'application/json' },
			body: JSON.stringify({ file: LINK }),
			signal: AbortSignal.timeout(100),
		})).rejects.toThrow();
		await waitFor(() => emu.requests.length === 1);
		expect(emu.messagesCreated()).toHaveLength(1);
		expect(emu.requests[0]).toMatchObject({ status: 201, responseSent: false });
	});

	it('a client that times out during latency has created nothing', async () => {
		emu.setLatency(400);
		await expect(fetch(lpSendUrl(), {
			method: 'POST',
			headers: { ...LP_AUTH, 'Content-Type': 'application/json' },
			body: JSON.stringify({ file: LINK }),
			signal: AbortSignal.timeout(100),
		})).rejects.toThrow();
		await waitFor(() => emu.requests.length === 1);
		expect(emu.requests[0]).toMatchObject({ clientAborted: true, responseSent: false, status: 0 });
		expect(emu.messagesCreated()).toHaveLength(0);
	});

	it('setLatency delays every answer and reset() restores the initial latency', async () => {
		emu.setLatency(150);
		let started = Date.now();
		expect((await http(`${emu.dialog360BaseUrl}/whatsapp_business_profile?fields=about`, { headers: D360_AUTH })).status).toBe(200);
		expect(Date.now() - started).toBeGreaterThanOrEqual(140);
		emu.reset();
		started = Date.now();
		await http(`${emu.dialog360BaseUrl}/whatsapp_business_profile?fields=about`, { headers: D360_AUTH });
		expect(Date.now() - started).toBeLessThan(140);
		expect(() => emu.setLatency(-1)).toThrow(RangeError);
		expect(() => emu.setLatency(Number.NaN)).toThrow(RangeError);
	});

	it('close() cuts pending waits short', async () => {
		const slow = await startEmulator({ latencyMs: 10_000 });
		const pending = fetch(`${slow.lancepilotBaseUrl}/workspaces`, { headers: LP_AUTH }).then(
			() => 'answered',
			() => 'failed',
		);
		await sleep(50);
		const started = Date.now();
		await slow.close();
		expect(await pending).toBe('failed');
		expect(Date.now() - started).toBeLessThan(2000);
		expect(slow.requests[0]).toMatchObject({ clientAborted: true, responseSent: false });
	});
});

describe('fault validation and bookkeeping', () => {
	it.each<[string, FaultSpec]>([
		['an unknown kind', { kind: 'explode' } as unknown as FaultSpec],
		['times 0', { kind: 'empty', times: 0 }],
		['fractional times', { kind: 'empty', times: 1.5 }],
		['negative skip', { kind: 'empty', skip: -1 }],
		['a status out of range', { kind: 'status', status: 99 }],
		['a negative delay', { kind: 'delay', delayMs: -5 }],
		['an unknown provider', { kind: 'empty', provider: 'twilio' } as unknown as FaultSpec],
	])('rejects %s', (_label, spec) => {
		expect(() => emu.injectFault(spec)).toThrow(TypeError);
	});

	it('tries faults in order, skipping ones still in their skip phase', () => {
		const book = new FaultBook();
		const first = book.inject({ kind: 'status', status: 500, skip: 1 });
		const second = book.inject({ kind: 'status', status: 503, times: 3 });
		expect(book.take('lancepilot', 'GET', '/x')?.status).toBe(503);
		expect(book.take('lancepilot', 'GET', '/x')?.status).toBe(500);
		expect(book.take('lancepilot', 'GET', '/x')?.status).toBe(503);
		expect([first.applied, first.skipped, second.applied]).toEqual([1, 1, 2]);
		expect(book.pending).toBe(1);
		book.clear();
		expect(book.take('lancepilot', 'GET', '/x')).toBeUndefined();
		expect(second.exhausted).toBe(true);
	});

	it('matches a global RegExp repeatably', () => {
		const book = new FaultBook();
		book.inject({ kind: 'empty', path: /messages/g, times: Infinity });
		expect(book.take('dialog360', 'POST', '/messages')).toBeDefined();
		expect(book.take('dialog360', 'POST', '/messages')).toBeDefined();
		expect(book.take('dialog360', 'POST', '/media')).toBeUndefined();
	});
});
