import { connect } from 'node:net';
import { D, D360_AUTH, LP_AUTH, formDataBody, http, mp4Bytes, postForm, postJson, toBytes } from './helpers';
import { DEFAULT_MAX_BODY_BYTES, EMULATOR_DEFAULTS, startEmulator, type Emulator } from './server';

let emu: Emulator;
const logLines: string[] = [];
beforeAll(async () => {
	emu = await startEmulator({ log: (line) => logLines.push(line) });
});
afterEach(() => {
	emu.reset();
	logLines.length = 0;
});
afterAll(() => emu.close());

const LINK = 'https://cdn.example.com/clip.mp4';
const lpSendUrl = () => `${emu.lancepilotBaseUrl}/workspaces/${D.workspaceId}/contacts/${D.contactId}/messages/video`;

/**
 * A hand-written HTTP/1.1 request over a TCP socket, for what fetch and node:http will not send
 * (duplicate headers, a Content-Length the body never delivers).
 */
function rawRequest(
	url: string,
	options: { method?: string; headers: Array<[string, string]>; body?: Buffer },
): Promise<{ status: number; body: string }> {
	const target = new URL(url);
	return new Promise((resolve, reject) => {
		const socket = connect(Number(target.port), target.hostname, () => {
			const head = [
				`${options.method ?? 'GET'} ${target.pathname}${target.search} HTTP/1.1`,
				`Host: ${target.host}`,
				'Connection: close',
				...options.headers.map(([name, value]) => `${name}: ${value}`),
				'',
				'',
			].join('\r\n');
			socket.write(head);
			if (options.body) socket.write(options.body);
		});
		const chunks: Buffer[] = [];
		socket.on('data', (c: Buffer) => chunks.push(c));
		socket.on('error', reject);
		socket.on('close', () => {
			const text = Buffer.concat(chunks).toString('utf8');
			const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
			resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
		});
	});
}

describe('mounting', () => {
	it('listens on an ephemeral 127.0.0.1 port with both providers mounted', () => {
		expect(emu.host).toBe('127.0.0.1');
		expect(emu.port).toBeGreaterThan(0);
		expect(emu.origin).toBe(`http://127.0.0.1:${emu.port}`);
		expect(emu.lancepilotBaseUrl).toBe(`http://127.0.0.1:${emu.port}/lancepilot/api/v3`);
		expect(emu.dialog360BaseUrl).toBe(`http://127.0.0.1:${emu.port}/360dialog`);
	});

	it('answers 404 outside the mounts and records the provider as unknown', async () => {
		for (const path of ['/', '/lancepilot/api/v2/workspaces', '/360dialogx/messages', '/lancepilot/api/v3x']) {
			const res = await http(`${emu.origin}${path}`, { headers: LP_AUTH });
			expect(res.status).toBe(404);
			expect(res.json).toEqual({ message: 'Not found.', status: 404 });
		}
		expect(emu.requests.map((r) => [r.provider, r.path])).toEqual([
			['unknown', '/'],
			['unknown', '/lancepilot/api/v2/workspaces'],
			['unknown', '/360dialogx/messages'],
			['unknown', '/lancepilot/api/v3x'],
		]);
	});

	it('routes the bare prefixes to the providers', async () => {
		expect((await http(emu.lancepilotBaseUrl, { headers: LP_AUTH })).json).toEqual({ message: 'Not found.', status: 404 });
		expect((await http(emu.dialog360BaseUrl)).status).toBe(401);
		expect(emu.requests.map((r) => [r.provider, r.path])).toEqual([
			['lancepilot', '/'],
			['dialog360', '/'],
		]);
	});
});

describe('recording', () => {
	it('records a JSON request with headers, query, sizes, timing and the answer', async () => {
		const body = { file: LINK, caption: 'hi' };
		const res = await http(`${lpSendUrl()}?trace=1&tag=a&tag=b`, {
			method: 'POST',
			headers: { ...LP_AUTH, 'Content-Type': 'application/json', 'X-Custom': 'Yes' },
			body: JSON.stringify(body),
		});
		expect(res.status).toBe(201);
		expect(emu.requests).toHaveLength(1);
		const [r] = emu.requests;
		expect(r).toMatchObject({
			id: expect.any(Number),
			provider: 'lancepilot',
			method: 'POST',
			path: `/workspaces/${D.workspaceId}/contacts/${D.contactId}/messages/video`,
			query: { trace: '1', tag: ['a', 'b'] },
			contentType: 'application/json',
			bodySize: Buffer.byteLength(JSON.stringify(body)),
			json: body,
			rawBodyPrefix: JSON.stringify(body),
			status: 201,
			responseBody: res.json,
			responseSent: true,
		});
		expect(r.headers).toMatchObject({ authorization: `Bearer ${D.lancepilotToken}`, 'x-custom': 'Yes', 'content-type': 'application/json' });
		expect(Object.keys(r.headers).every((k) => k === k.toLowerCase())).toBe(true);
		expect(r.multipart).toBeUndefined();
		expect(r.fault).toBeUndefined();
		expect(r.finishedAt).toBeGreaterThanOrEqual(r.startedAt);
		expect(new Date(r.receivedAt).getTime()).toBeGreaterThan(0);
	});

	it('keeps only the first 200 bytes of the body as a latin1 prefix', async () => {
		const video = mp4Bytes(5000);
		await postForm(lpSendUrl(), [{ name: 'file', value: video, filename: 'a.mp4', contentType: 'video/mp4' }], LP_AUTH);
		const [r] = emu.requests;
		expect(r.rawBodyPrefix).toHaveLength(200);
		expect(r.rawBodyPrefix?.startsWith('--')).toBe(true);
		expect(r.bodySize).toBeGreaterThan(5000);
		expect(r.json).toBeUndefined();
	});

	it('records requests without a body and duplicated headers as arrays', async () => {
		const res = await rawRequest(`${emu.lancepilotBaseUrl}/workspaces`, {
			headers: [
				['Authorization', `Bearer ${D.lancepilotToken}`],
				['Authorization', 'Bearer other'],
			],
		});
		// Two Authorization headers are ambiguous; the emulator refuses them.
		expect(res.status).toBe(401);
		const [r] = emu.requests;
		expect(r.headers.authorization).toEqual([`Bearer ${D.lancepilotToken}`, 'Bearer other']);
		expect(r.bodySize).toBe(0);
		expect(r.rawBodyPrefix).toBeUndefined();
		expect(r.contentType).toBeUndefined();
	});

	it('assigns increasing ids and monotonic timestamps usable for rate counting', async () => {
		await Promise.all(Array.from({ length: 10 }, () => http(`${emu.lancepilotBaseUrl}/workspaces`, { headers: LP_AUTH })));
		const ids = emu.requests.map((r) => r.id);
		expect(new Set(ids).size).toBe(10);
		const starts = [...emu.requests].sort((a, b) => a.id - b.id).map((r) => r.startedAt);
		expect(starts).toEqual([...starts].sort((a, b) => a - b));
		const span = Math.max(...starts) - Math.min(...starts);
		expect(span).toBeLessThan(1000);
	});

	it('separates created messages by provider and lists uploads', async () => {
		await postJson(lpSendUrl(), { file: LINK }, LP_AUTH);
		await postJson(lpSendUrl(), { file: 'not a url' }, LP_AUTH);
		await postJson(
			`${emu.dialog360BaseUrl}/messages`,
			{ messaging_product: 'whatsapp', to: '4915123456789', type: 'video', video: { link: LINK } },
			D360_AUTH,
		);
		await postForm(
			`${emu.dialog360BaseUrl}/media`,
			[
				{ name: 'messaging_product', value: 'whatsapp' },
				{ name: 'file', value: mp4Bytes(100), filename: 'a.mp4', contentType: 'video/mp4' },
			],
			D360_AUTH,
		);
		expect(emu.messagesCreated()).toHaveLength(2);
		expect(emu.messagesCreated('lancepilot').map((r) => r.status)).toEqual([201]);
		expect(emu.messagesCreated('dialog360').map((r) => r.status)).toEqual([200]);
		expect(emu.uploads().map((r) => r.path)).toEqual(['/media']);
	});
});

describe('body cap', () => {
	it('answers 413 in the provider’s shape when a streamed body exceeds the cap', async () => {
		const small = await startEmulator({ maxBodyBytes: 64 * 1024 });
		try {
			const lp = await http(`${small.lancepilotBaseUrl}/workspaces/${D.workspaceId}/contacts/${D.contactId}/messages/video`, {
				method: 'POST',
				headers: { ...LP_AUTH, 'Content-Type': 'application/json' },
				body: toBytes(JSON.stringify({ file: LINK, caption: 'x'.repeat(200 * 1024) })),
			});
			expect(lp.status).toBe(413);
			expect(lp.json).toEqual({ message: 'Request body too large.' });
			// Chunked, so the cap is only discovered while reading.
			const form = formDataBody([
				{ name: 'messaging_product', value: 'whatsapp' },
				{ name: 'file', value: mp4Bytes(1024 * 1024), filename: 'a.mp4', contentType: 'video/mp4' },
			]);
			const stream = new ReadableStream<Uint8Array>({
				start(controller) {
					for (let i = 0; i < form.body.length; i += 16 * 1024) controller.enqueue(toBytes(form.body.subarray(i, i + 16 * 1024)));
					controller.close();
				},
			});
			const d360 = await http(`${small.dialog360BaseUrl}/media`, {
				method: 'POST',
				headers: { ...D360_AUTH, 'Content-Type': form.headers['content-type'] },
				body: stream,
				duplex: 'half',
			} as RequestInit);
			expect(d360.status).toBe(413);
			expect(d360.json).toEqual({ error: 'Invalid request' });
			expect(small.requests.map((r) => [r.provider, r.status])).toEqual([
				['lancepilot', 413],
				['dialog360', 413],
			]);
			// Declared length: refused unread; streamed: read up to just past the cap.
			expect(small.requests[0].bodySize).toBe(0);
			expect(small.requests[1].bodySize).toBeGreaterThan(64 * 1024);
			expect(small.requests[1].headers['transfer-encoding']).toBe('chunked');
			expect(small.messagesCreated()).toHaveLength(0);
			expect(small.uploads()).toHaveLength(0);
			// The server is still healthy afterwards.
			expect((await http(`${small.lancepilotBaseUrl}/workspaces`, { headers: LP_AUTH })).status).toBe(200);
		} finally {
			await small.close();
		}
	});

	it('refuses a declared Content-Length over the default cap before reading it', async () => {
		expect(DEFAULT_MAX_BODY_BYTES).toBe(20 * 1024 * 1024);
		const res = await rawRequest(lpSendUrl(), {
			method: 'POST',
			headers: [
				['Authorization', `Bearer ${D.lancepilotToken}`],
				['Content-Type', 'application/json'],
				['Content-Length', String(DEFAULT_MAX_BODY_BYTES + 1)],
			],
		});
		expect(res.status).toBe(413);
		expect(JSON.parse(res.body)).toEqual({ message: 'Request body too large.' });
		expect(emu.requests[0]).toMatchObject({ status: 413, bodySize: 0 });
	});
});

describe('reset, options and lifecycle', () => {
	it('reset() clears records, faults, media and created contacts but keeps the seeds', async () => {
		emu.injectFault({ kind: 'status', status: 500, skip: 5 });
		await postJson(
			`${emu.lancepilotBaseUrl}/workspaces/${D.workspaceId}/contacts/number/%2B14155550123/messages/video`,
			{ file: LINK },
			LP_AUTH,
		);
		await postForm(
			`${emu.dialog360BaseUrl}/media`,
			[
				{ name: 'messaging_product', value: 'whatsapp' },
				{ name: 'file', value: mp4Bytes(100), filename: 'a.mp4', contentType: 'video/mp4' },
			],
			D360_AUTH,
		);
		expect(emu.storedMedia()).toHaveLength(1);
		const requestsRef = emu.requests;
		emu.reset();
		expect(emu.requests).toBe(requestsRef);
		expect(emu.requests).toHaveLength(0);
		expect(emu.storedMedia()).toHaveLength(0);
		for (let i = 0; i < 6; i++) expect((await http(`${emu.lancepilotBaseUrl}/workspaces`, { headers: LP_AUTH })).status).toBe(200);
		const again = await postJson(
			`${emu.lancepilotBaseUrl}/workspaces/${D.workspaceId}/contacts/number/%2B14155550123/messages/video`,
			{ file: LINK },
			LP_AUTH,
		);
		expect(again.status).toBe(201);
		expect(emu.messagesCreated()[0].lancepilot?.target).toMatchObject({ contactCreated: true });
		expect((await postJson(lpSendUrl(), { file: LINK }, LP_AUTH)).status).toBe(201);
	});

	it('logs one line per request without credentials or query strings', async () => {
		await http(`${emu.lancepilotBaseUrl}/workspaces?token=${D.lancepilotToken}`, { headers: LP_AUTH });
		await http(`${emu.dialog360BaseUrl}/whatsapp_business_profile?fields=about`, { headers: D360_AUTH });
		emu.injectFault({ kind: 'reset-before' });
		await expect(http(`${emu.dialog360BaseUrl}/messages`, { method: 'POST', headers: D360_AUTH })).rejects.toThrow();
		expect(logLines).toHaveLength(3);
		expect(logLines[0]).toMatch(/^GET \/lancepilot\/api\/v3\/workspaces -> 200 \d+ms$/);
		expect(logLines[1]).toMatch(/^GET \/360dialog\/whatsapp_business_profile -> 200 \d+ms$/);
		expect(logLines[2]).toMatch(/^POST \/360dialog\/messages -> no answer \(-\) \[fault reset-before\] \d+ms$/);
		for (const line of logLines) {
			expect(line).not.toContain(D.lancepilotToken);
			expect(line).not.toContain(D.dialog360ApiKey);
		}
	});

	it('serves custom seeds, tokens and keys', async () => {
		const custom = await startEmulator({
			lancepilotTokens: ['tok-a'],
			dialog360ApiKeys: ['key-a', 'key-b'],
			workspaces: [
				{ id: '11111111-2222-4333-8444-555555555555', name: 'One', contacts: [] },
				{ id: '66666666-7777-4888-9999-aaaaaaaaaaaa', name: 'Two', contacts: [{ id: '12345678-1234-4234-8234-123456789012', number: '+14155550123' }] },
			],
		});
		try {
			const list = await http(`${custom.lancepilotBaseUrl}/workspaces`, { headers: { Authorization: 'Bearer tok-a' } });
			expect((list.json as { data: Array<{ attributes: { name: string } }> }).data.map((w) => w.attributes.name)).toEqual(['One', 'Two']);
			const send = await postJson(
				`${custom.lancepilotBaseUrl}/workspaces/66666666-7777-4888-9999-aaaaaaaaaaaa/contacts/12345678-1234-4234-8234-123456789012/messages/video`,
				{ file: LINK },
				{ Authorization: 'Bearer tok-a' },
			);
			expect(send.status).toBe(201);
			const defaultSeed = await postJson(
				`${custom.lancepilotBaseUrl}/workspaces/${EMULATOR_DEFAULTS.workspaceId}/contacts/${EMULATOR_DEFAULTS.contactId}/messages/video`,
				{ file: LINK },
				{ Authorization: 'Bearer tok-a' },
			);
			expect(defaultSeed.status).toBe(404);
			expect((await http(`${custom.dialog360BaseUrl}/whatsapp_business_profile`, { headers: { 'D360-API-KEY': 'key-b' } })).status).toBe(200);
			expect((await http(`${custom.dialog360BaseUrl}/whatsapp_business_profile`, { headers: D360_AUTH })).status).toBe(401);
		} finally {
			await custom.close();
		}
	});

	it('rejects invalid options', async () => {
		await expect(startEmulator({ port: -1 })).rejects.toThrow(RangeError);
		await expect(startEmulator({ latencyMs: -5 })).rejects.toThrow(RangeError);
		await expect(startEmulator({ lancepilotTokens: [] })).rejects.toThrow(TypeError);
		await expect(startEmulator({ dialog360ApiKeys: [''] })).rejects.toThrow(TypeError);
	});

	it('refuses to start on a busy port', async () => {
		await expect(startEmulator({ port: emu.port })).rejects.toThrow(/EADDRINUSE/);
	});

	it('closes idempotently and stops answering', async () => {
		const temp = await startEmulator();
		expect((await http(`${temp.lancepilotBaseUrl}/workspaces`, { headers: LP_AUTH })).status).toBe(200);
		await Promise.all([temp.close(), temp.close()]);
		await temp.close();
		await expect(fetch(`${temp.lancepilotBaseUrl}/workspaces`, { headers: LP_AUTH })).rejects.toThrow();
	});
});
