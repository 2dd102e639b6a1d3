import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { D, D360_AUTH, LP_AUTH, META_AUTH, http, postJson, sleep } from './helpers';
import {
	DIALOG360_WEBHOOK_ERRORS,
	STATUS_ERRORS,
	startEmulator,
	type Emulator,
	type StatusBody,
	type WebhookDelivery,
} from './server';
import { pendingWebhookTimers } from './webhooks';

/** Stands in for n8n: records every request and answers as `respond` says. */
interface Received {
	method: string;
	url: string;
	headers: IncomingHttpHeaders;
	body: string;
	at: number;
}
interface Answer {
	status: number;
	body?: string;
}

const VERIFY_TOKEN = 'my-verify-token';
const defaultRespond = (request: Received): Answer => {
	if (request.method === 'GET') {
		const query = new URL(request.url, 'http://receiver').searchParams;
		return query.get('hub.mode') === 'subscribe' && query.get('hub.verify_token') === VERIFY_TOKEN
			? { status: 200, body: query.get('hub.challenge') ?? '' }
			: { status: 403, body: 'wrong verify token' };
	}
	return { status: 200, body: 'ok' };
};

class Receiver {
	readonly received: Received[] = [];
	respond: (request: Received) => Answer = defaultRespond;
	private server?: Server;
	origin = '';

	async start(): Promise<this> {
		this.server = createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (chunk: Buffer) => chunks.push(chunk));
			req.on('end', () => {
				const request: Received = {
					method: req.method ?? '',
					url: req.url ?? '',
					headers: req.headers,
					body: Buffer.concat(chunks).toString('utf8'),
					at: Date.now(),
				};
				this.received.push(request);
				const answer = this.respond(request);
				res.writeHead(answer.status, { 'Content-Type': 'text/plain' });
				res.end(answer.body ?? '');
			});
		});
		await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
		this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
		return this;
	}

	posts(): Received[] {
		return this.received.filter((r) => r.method === 'POST');
	}

	reset(): void {
		this.received.length = 0;
		this.respond = defaultRespond;
	}

	close(): Promise<void> {
		return new Promise((resolve) => {
			this.server?.close(() => resolve());
			this.server?.closeAllConnections();
		});
	}
}

/** What n8n's WEBHOOK_URL would say: no port, like the reverse proxy on 443 in front of n8n. */
const D360_HOOK = 'http://n8n.test/webhook/abc/status';
const META_HOOK = 'https://n8n.test/webhook/abc/status';
const SECRET_HEADER = { 'X-Video-Status-Secret': 's3cr3t-value' };
const TO = D.contactNumber.slice(1);
const LINK = 'https://cdn.example.com/clip.mp4';

const receiver = new Receiver();
let emu: Emulator;
beforeAll(async () => {
	await receiver.start();
	emu = await startEmulator({ webhookForward: (url) => url.replace(/^https?:\/\/n8n\.test/, receiver.origin) });
});
afterEach(() => {
	emu.reset();
	receiver.reset();
});
afterAll(async () => {
	await emu.close();
	await receiver.close();
});

const webhookConfigUrl = () => `${emu.dialog360BaseUrl}/v1/configs/webhook`;
const setD360Webhook = (body: unknown, headers: Record<string, string> = D360_AUTH) => postJson(webhookConfigUrl(), body, headers);
const videoMessage = (extra: Record<string, unknown> = {}) => ({
	messaging_product: 'whatsapp',
	recipient_type: 'individual',
	to: TO,
	type: 'video',
	video: { link: LINK, caption: 'Hi' },
	...extra,
});
const tourTemplate = (extra: Record<string, unknown> = {}) => ({
	messaging_product: 'whatsapp',
	to: TO,
	type: 'template',
	template: {
		name: 'product_tour',
		language: { code: 'en_US' },
		components: [{ type: 'header', parameters: [{ type: 'video', video: { link: LINK } }] }],
	},
	...extra,
});
const send360 = (body: unknown) => postJson(`${emu.dialog360BaseUrl}/messages`, body, D360_AUTH);
const sendMeta = (body: unknown) =>
	postJson(`${emu.metaBaseUrl}/${D.metaGraphApiVersion}/${D.metaPhoneNumberId}/messages`, body, META_AUTH);
const wamidOf = (res: { json: unknown }) => (res.json as { messages: Array<{ id: string }> }).messages[0].id;

const statusOf = (delivery: WebhookDelivery) => (delivery.body as StatusBody).entry[0].changes[0].value.statuses[0];
const statusNames = (deliveries: WebhookDelivery[]) => deliveries.map((d) => statusOf(d).status);

async function configureBoth(): Promise<void> {
	expect((await setD360Webhook({ url: D360_HOOK, headers: SECRET_HEADER })).status).toBe(200);
	expect((await emu.configureMetaWebhook({ url: META_HOOK, verifyToken: VERIFY_TOKEN })).verified).toBe(true);
	receiver.reset();
}

describe('360dialog webhook configuration', () => {
	it('answers an empty url until one is set, then the url; the headers are kept but not shown', async () => {
		expect((await http(webhookConfigUrl(), { headers: D360_AUTH })).json).toEqual({ url: '' });
		const set = await setD360Webhook({ url: D360_HOOK, headers: SECRET_HEADER });
		expect(set.status).toBe(200);
		expect(set.json).toEqual({ url: D360_HOOK });
		const read = await http(webhookConfigUrl(), { headers: D360_AUTH });
		expect(read.status).toBe(200);
		expect(read.json).toEqual({ url: D360_HOOK });
		expect(emu.dialog360Webhook()).toEqual({ url: D360_HOOK, headers: SECRET_HEADER });
	});

	it('takes a url without headers and replaces an earlier configuration whole', async () => {
		await setD360Webhook({ url: D360_HOOK, headers: SECRET_HEADER });
		expect((await setD360Webhook({ url: 'https://other.example.com/hook' })).status).toBe(200);
		expect(emu.dialog360Webhook()).toEqual({ url: 'https://other.example.com/hook', headers: {} });
	});

	it('removes the webhook and its headers with an empty url', async () => {
		await setD360Webhook({ url: D360_HOOK, headers: SECRET_HEADER });
		const removed = await setD360Webhook({ url: '' });
		expect(removed.status).toBe(200);
		expect(removed.json).toEqual({ url: '' });
		expect((await http(webhookConfigUrl(), { headers: D360_AUTH })).json).toEqual({ url: '' });
		expect(emu.dialog360Webhook()).toBeUndefined();
	});

	it('needs the D360-API-KEY like every other route', async () => {
		expect((await http(webhookConfigUrl())).status).toBe(401);
		const res = await setD360Webhook({ url: D360_HOOK }, { 'D360-API-KEY': 'wrong' });
		expect(res.status).toBe(401);
		expect(res.json).toEqual({ error: 'Invalid request' });
		expect(emu.dialog360Webhook()).toBeUndefined();
	});

	it.each([
		['a port', 'http://127.0.0.1:5678/webhook/abc/status', DIALOG360_WEBHOOK_ERRORS.port('5678')],
		['the default port written out', 'https://n8n.test:443/webhook/abc/status', DIALOG360_WEBHOOK_ERRORS.port('443')],
		['an underscore in the host', 'https://n8n_local.test/webhook/abc/status', DIALOG360_WEBHOOK_ERRORS.underscore('n8n_local.test')],
		['no URL at all', 'n8n.test/webhook', DIALOG360_WEBHOOK_ERRORS.notAUrl],
		['another scheme', 'ftp://n8n.test/webhook', DIALOG360_WEBHOOK_ERRORS.notAUrl],
		['no host', 'http://', DIALOG360_WEBHOOK_ERRORS.notAUrl],
		['spaces around it', ' https://n8n.test/webhook ', DIALOG360_WEBHOOK_ERRORS.notAUrl],
	])('refuses a URL with %s in its own error shape', async (_label, url, error) => {
		await setD360Webhook({ url: D360_HOOK });
		const res = await setD360Webhook({ url, headers: SECRET_HEADER });
		expect(res.status).toBe(400);
		expect(res.json).toEqual({ error });
		// A refused configuration changes nothing.
		expect(emu.dialog360Webhook()).toEqual({ url: D360_HOOK, headers: {} });
	});

	it('says what is wrong with a port and an underscore in plain words', () => {
		expect(DIALOG360_WEBHOOK_ERRORS.port('5678')).toMatch(/port is not allowed \(":5678"\)/);
		expect(DIALOG360_WEBHOOK_ERRORS.underscore('a_b.test')).toMatch(/must not contain an underscore \("a_b\.test"\)/);
	});

	it.each([
		['no url', { headers: SECRET_HEADER }, DIALOG360_WEBHOOK_ERRORS.body],
		['a url that is no string', { url: 42 }, DIALOG360_WEBHOOK_ERRORS.body],
		['an unknown key', { url: D360_HOOK, secret: 'x' }, DIALOG360_WEBHOOK_ERRORS.unexpectedKey('secret')],
		['headers as a list', { url: D360_HOOK, headers: ['X-A: b'] }, DIALOG360_WEBHOOK_ERRORS.headers],
		['a header value that is no string', { url: D360_HOOK, headers: { 'X-A': 1 } }, DIALOG360_WEBHOOK_ERRORS.headers],
		['a header name with a space', { url: D360_HOOK, headers: { 'X A': 'b' } }, DIALOG360_WEBHOOK_ERRORS.headers],
		['a header value with a line break', { url: D360_HOOK, headers: { 'X-A': 'b\r\nX-B: c' } }, DIALOG360_WEBHOOK_ERRORS.headers],
	])('refuses a body with %s', async (_label, body, error) => {
		const res = await setD360Webhook(body);
		expect(res.status).toBe(400);
		expect(res.json).toEqual({ error });
		expect(emu.dialog360Webhook()).toBeUndefined();
	});

	it('refuses a body that is not JSON', async () => {
		const res = await http(webhookConfigUrl(), {
			method: 'POST',
			headers: { ...D360_AUTH, 'Content-Type': 'application/x-www-form-urlencoded' },
			body: `url=${encodeURIComponent(D360_HOOK)}`,
		});
		expect(res.status).toBe(400);
		expect(res.json).toEqual({ error: DIALOG360_WEBHOOK_ERRORS.body });
	});
});

describe('Meta webhook configuration (the dashboard’s "Verify and save")', () => {
	it('verifies with hub.mode, hub.verify_token and a numeric hub.challenge, through the forward, and stores the webhook', async () => {
		const result = await emu.configureMetaWebhook({ url: META_HOOK, verifyToken: VERIFY_TOKEN });
		expect(receiver.received).toHaveLength(1);
		const request = receiver.received[0];
		expect(request.method).toBe('GET');
		const url = new URL(request.url, receiver.origin);
		expect(url.pathname).toBe('/webhook/abc/status');
		expect(url.searchParams.get('hub.mode')).toBe('subscribe');
		expect(url.searchParams.get('hub.verify_token')).toBe(VERIFY_TOKEN);
		const challenge = url.searchParams.get('hub.challenge') ?? '';
		expect(challenge).toMatch(/^[0-9]{10}$/);
		expect(result).toEqual({ verified: true, status: 200, body: challenge });
		expect(emu.metaWebhook()).toEqual({ url: META_HOOK, verifyToken: VERIFY_TOKEN, appSecret: D.metaAppSecret });
	});

	it('keeps a given app secret', async () => {
		await emu.configureMetaWebhook({ url: META_HOOK, verifyToken: VERIFY_TOKEN, appSecret: 'another-secret' });
		expect(emu.metaWebhook()?.appSecret).toBe('another-secret');
	});

	it('stores nothing when the receiver refuses the verify token', async () => {
		const result = await emu.configureMetaWebhook({ url: META_HOOK, verifyToken: 'not-the-token' });
		expect(result).toEqual({ verified: false, status: 403, body: 'wrong verify token' });
		expect(emu.metaWebhook()).toBeUndefined();
	});

	it.each([
		['another body', () => ({ status: 200, body: 'OK' })],
		['the challenge with a newline', (r: Received) => ({ status: 200, body: `${new URL(r.url, 'http://x').searchParams.get('hub.challenge')}\n` })],
		['the challenge with another status', (r: Received) => ({ status: 201, body: new URL(r.url, 'http://x').searchParams.get('hub.challenge') ?? '' })],
	])('stores nothing when the answer is %s', async (_label, respond: (r: Received) => Answer) => {
		receiver.respond = respond;
		const result = await emu.configureMetaWebhook({ url: META_HOOK, verifyToken: VERIFY_TOKEN });
		expect(result.verified).toBe(false);
		expect(emu.metaWebhook()).toBeUndefined();
	});

	it('keeps the stored webhook when a later verification fails, and clearMetaWebhook removes it', async () => {
		await emu.configureMetaWebhook({ url: META_HOOK, verifyToken: VERIFY_TOKEN });
		await emu.configureMetaWebhook({ url: 'https://n8n.test/webhook/other', verifyToken: 'wrong' });
		expect(emu.metaWebhook()?.url).toBe(META_HOOK);
		emu.clearMetaWebhook();
		expect(emu.metaWebhook()).toBeUndefined();
	});

	it('reports an unreachable callback URL as status 0', async () => {
		emu.setWebhookForward(() => 'http://127.0.0.1:1/webhook');
		const result = await emu.configureMetaWebhook({ url: META_HOOK, verifyToken: VERIFY_TOKEN });
		expect(result).toEqual({ verified: false, status: 0, body: '' });
		expect(emu.metaWebhook()).toBeUndefined();
	});

	it('refuses a callback URL that is not http(s) and an empty verify token', async () => {
		await expect(emu.configureMetaWebhook({ url: 'ftp://n8n.test/x', verifyToken: VERIFY_TOKEN })).rejects.toThrow(/http or https URL/);
		await expect(emu.configureMetaWebhook({ url: META_HOOK, verifyToken: '' })).rejects.toThrow(/verify token/);
		expect(receiver.received).toHaveLength(0);
	});
});

describe('status webhooks', () => {
	beforeEach(configureBoth);

	it('delivers sent, delivered and read of a 360dialog video message, one POST each, with the configured headers', async () => {
		const res = await send360(videoMessage({ biz_opaque_callback_data: 'order-17' }));
		expect(res.status).toBe(200);
		const wamid = wamidOf(res);
		const deliveries = await emu.waitForWebhookDeliveries(3);
		expect(statusNames(deliveries)).toEqual(['sent', 'delivered', 'read']);
		expect(receiver.posts()).toHaveLength(3);

		const sendRecord = emu.messagesCreated('dialog360')[0];
		for (const [index, delivery] of deliveries.entries()) {
			expect(delivery).toMatchObject({
				provider: 'dialog360',
				url: D360_HOOK,
				deliveredTo: `${receiver.origin}/webhook/abc/status`,
				attempt: 1,
				answerStatus: 200,
				answerBody: 'ok',
			});
			expect(delivery.headers).toEqual({ 'Content-Type': 'application/json', ...SECRET_HEADER });
			expect(JSON.parse(delivery.rawBody)).toEqual(delivery.body);
			expect(delivery.at).toBeGreaterThanOrEqual(sendRecord.finishedAt);
			// What the receiver got is exactly what was recorded.
			const post = receiver.posts()[index];
			expect(post.url).toBe('/webhook/abc/status');
			expect(post.body).toBe(delivery.rawBody);
			expect(post.headers['content-type']).toBe('application/json');
			expect(post.headers['x-video-status-secret']).toBe('s3cr3t-value');
		}

		const sent = deliveries[0].body as StatusBody;
		const conversation = { id: expect.stringMatching(/^[0-9a-f]{32}$/), origin: { type: 'service' } };
		const pricing = { billable: true, pricing_model: 'PMP', category: 'service' };
		expect(sent).toEqual({
			object: 'whatsapp_business_account',
			entry: [
				{
					id: D.metaBusinessAccountId,
					changes: [
						{
							field: 'messages',
							value: {
								messaging_product: 'whatsapp',
								metadata: { display_phone_number: '15550100199', phone_number_id: D.metaPhoneNumberId },
								statuses: [
									{
										id: wamid,
										status: 'sent',
										timestamp: expect.stringMatching(/^[0-9]{10}$/),
										recipient_id: TO,
										biz_opaque_callback_data: 'order-17',
										conversation,
										pricing,
									},
								],
							},
						},
					],
				},
			],
		});
		expect(statusOf(deliveries[1])).toEqual({ ...statusOf(deliveries[0]), status: 'delivered', timestamp: expect.any(String) });
		expect(statusOf(deliveries[2])).toEqual({
			id: wamid,
			status: 'read',
			timestamp: expect.any(String),
			recipient_id: TO,
			biz_opaque_callback_data: 'order-17',
		});
		// Sent and delivered belong to one conversation.
		expect(statusOf(deliveries[1]).conversation).toEqual(statusOf(deliveries[0]).conversation);
		const seconds = Number(statusOf(deliveries[0]).timestamp);
		expect(Math.abs(seconds - Date.now() / 1000)).toBeLessThan(5);
	});

	it('delivers the statuses of a Meta template message priced by the template\'s category (product_tour is utility), signed with the app secret', async () => {
		const res = await sendMeta(tourTemplate());
		expect(res.status).toBe(200);
		const deliveries = await emu.waitForWebhookDeliveries(3);
		expect(statusNames(deliveries)).toEqual(['sent', 'delivered', 'read']);
		for (const [index, delivery] of deliveries.entries()) {
			expect(delivery.provider).toBe('whatsappCloud');
			expect(delivery.url).toBe(META_HOOK);
			const expected = `sha256=${createHmac('sha256', D.metaAppSecret).update(Buffer.from(delivery.rawBody, 'utf8')).digest('hex')}`;
			expect(delivery.headers['X-Hub-Signature-256']).toBe(expected);
			expect(delivery.headers['Content-Type']).toBe('application/json');
			// The receiver's raw bytes carry the same signature.
			const post = receiver.posts()[index];
			expect(post.headers['x-hub-signature-256']).toBe(
				`sha256=${createHmac('sha256', D.metaAppSecret).update(post.body).digest('hex')}`,
			);
			expect(post.headers['x-video-status-secret']).toBeUndefined();
		}
		const sent = statusOf(deliveries[0]);
		expect(sent).toMatchObject({
			id: wamidOf(res),
			recipient_id: TO,
			conversation: { origin: { type: 'utility' } },
			pricing: { billable: true, pricing_model: 'PMP', category: 'utility' },
		});
		expect(sent).not.toHaveProperty('biz_opaque_callback_data');
		const value = (deliveries[0].body as StatusBody).entry[0].changes[0].value;
		expect(value.metadata.phone_number_id).toBe(D.metaPhoneNumberId);
	});

	it('signs with the app secret given to configureMetaWebhook', async () => {
		await emu.configureMetaWebhook({ url: META_HOOK, verifyToken: VERIFY_TOKEN, appSecret: 'rotated-secret' });
		await sendMeta(videoMessage());
		const [first] = await emu.waitForWebhookDeliveries(1);
		expect(first.headers['X-Hub-Signature-256']).toBe(`sha256=${createHmac('sha256', 'rotated-secret').update(first.rawBody).digest('hex')}`);
	});

	it('prices a 360dialog template send by the template\'s category too', async () => {
		await send360(tourTemplate());
		const deliveries = await emu.waitForWebhookDeliveries(2);
		expect(statusOf(deliveries[0]).pricing).toEqual({ billable: true, pricing_model: 'PMP', category: 'utility' });
	});

	it('sends sent, then failed with the error of a failing recipient', async () => {
		emu.setRecipientOutcome(TO, { failWith: 131047 });
		const res = await send360(videoMessage({ biz_opaque_callback_data: 'order-18' }));
		const deliveries = await emu.waitForWebhookDeliveries(2);
		await sleep(100);
		expect(statusNames(emu.webhookDeliveries())).toEqual(['sent', 'failed']);
		expect(statusOf(deliveries[1])).toEqual({
			id: wamidOf(res),
			status: 'failed',
			timestamp: expect.stringMatching(/^[0-9]+$/),
			recipient_id: TO,
			biz_opaque_callback_data: 'order-18',
			errors: [
				{
					code: 131047,
					title: 'Re-engagement message',
					message: 'Re-engagement message',
					error_data: {
						details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
					},
				},
			],
		});
	});

	it.each([131026, 131049, 131050, 131051, 131052, 131053])('gives code %i its own title and details', async (code) => {
		emu.setRecipientOutcome(TO, { failWith: code });
		await sendMeta(videoMessage());
		const deliveries = await emu.waitForWebhookDeliveries(2);
		const [error] = statusOf(deliveries[1]).errors as Array<{ code: number; title: string; message: string; error_data: { details: string } }>;
		expect(error).toEqual({
			code,
			title: STATUS_ERRORS[code].title,
			message: STATUS_ERRORS[code].title,
			error_data: { details: STATUS_ERRORS[code].details },
		});
		expect(error.title).not.toBe('Message failed to send');
	});

	it('gives an unknown code a generic text naming the code', async () => {
		emu.setRecipientOutcome(TO, { failWith: 131000 });
		await send360(videoMessage());
		const deliveries = await emu.waitForWebhookDeliveries(2);
		expect(statusOf(deliveries[1]).errors).toEqual([
			{
				code: 131000,
				title: 'Message failed to send',
				message: 'Message failed to send',
				error_data: { details: 'Message failed to send because of an error with code 131000.' },
			},
		]);
	});

	it.each([
		['delivered', ['sent', 'delivered']],
		['sent', ['sent']],
		['read', ['sent', 'delivered', 'read']],
	] as const)('stops after %s when told so', async (outcome, expected) => {
		emu.setRecipientOutcome(TO, outcome);
		await send360(videoMessage());
		await emu.waitForWebhookDeliveries(expected.length);
		await sleep(150);
		expect(statusNames(emu.webhookDeliveries())).toEqual(expected);
	});

	it('applies an outcome to that recipient only', async () => {
		emu.setRecipientOutcome('4915199999999', 'sent');
		await send360(videoMessage());
		expect(statusNames(await emu.waitForWebhookDeliveries(3))).toEqual(['sent', 'delivered', 'read']);
	});

	it('names a BSUID recipient as recipient_user_id, without recipient_id', async () => {
		emu.setRecipientOutcome(D.contactBsuid, 'delivered');
		const message = { ...videoMessage(), to: undefined, recipient: D.contactBsuid };
		const res = await sendMeta(message);
		expect(res.status).toBe(200);
		const deliveries = await emu.waitForWebhookDeliveries(2);
		for (const delivery of deliveries) {
			const status = statusOf(delivery);
			expect(status.recipient_user_id).toBe(D.contactBsuid);
			expect(status).not.toHaveProperty('recipient_id');
		}
	});

	it('keeps each message’s statuses in order when messages overlap', async () => {
		const [a, b] = await Promise.all([send360(videoMessage()), sendMeta(videoMessage())]);
		const deliveries = await emu.waitForWebhookDeliveries(6);
		for (const [provider, res] of [['dialog360', a], ['whatsappCloud', b]] as const) {
			const own = deliveries.filter((d) => d.provider === provider);
			expect(own.map((d) => statusOf(d).id)).toEqual([wamidOf(res), wamidOf(res), wamidOf(res)]);
			expect(statusNames(own)).toEqual(['sent', 'delivered', 'read']);
		}
	});

	it('waits setStatusDelay ms before each status', async () => {
		emu.setStatusDelay(80);
		await send360(videoMessage());
		const deliveries = await emu.waitForWebhookDeliveries(3);
		const record = emu.messagesCreated('dialog360')[0];
		expect(deliveries[0].at - record.finishedAt).toBeGreaterThanOrEqual(70);
		expect(deliveries[1].at - deliveries[0].at).toBeGreaterThanOrEqual(70);
		expect(deliveries[2].at - deliveries[1].at).toBeGreaterThanOrEqual(70);
	});

	it('retries a status answered with 500, with backoff, before the next status', async () => {
		let posts = 0;
		receiver.respond = () => (++posts === 1 ? { status: 500, body: 'boom' } : { status: 200, body: 'ok' });
		await send360(videoMessage());
		await emu.waitForWebhookDeliveries(3);
		const all = emu.webhookDeliveries();
		expect(all.map((d) => [statusOf(d).status, d.attempt, d.answerStatus])).toEqual([
			['sent', 1, 500],
			['sent', 2, 200],
			['delivered', 1, 200],
			['read', 1, 200],
		]);
		expect(all[0].answerBody).toBe('boom');
		expect(all[1].rawBody).toBe(all[0].rawBody);
		expect(all[1].at - all[0].at).toBeGreaterThanOrEqual(45);
	});

	it('gives up on a status after five attempts and goes on with the next', async () => {
		receiver.respond = (r) => (r.body.includes('"status":"sent"') ? { status: 503 } : { status: 200 });
		emu.setRecipientOutcome(TO, 'delivered');
		await send360(videoMessage());
		await emu.waitForWebhookDeliveries(1, 3000);
		const all = emu.webhookDeliveries();
		expect(all.map((d) => [statusOf(d).status, d.attempt, d.answerStatus])).toEqual([
			['sent', 1, 503],
			['sent', 2, 503],
			['sent', 3, 503],
			['sent', 4, 503],
			['sent', 5, 503],
			['delivered', 1, 200],
		]);
		const gaps = all.slice(1, 5).map((d, i) => d.at - all[i].at);
		[50, 100, 200, 400].forEach((ms, i) => expect(gaps[i]).toBeGreaterThanOrEqual(ms - 5));
	});

	it('records a connection error as answerStatus 0 and retries it', async () => {
		emu.setWebhookForward(() => 'http://127.0.0.1:1/webhook');
		emu.setRecipientOutcome(TO, 'sent');
		await send360(videoMessage());
		const deadline = Date.now() + 3000;
		while (emu.webhookDeliveries().length < 5 && Date.now() < deadline) await sleep(20);
		await sleep(100);
		const all = emu.webhookDeliveries();
		expect(all.map((d) => d.attempt)).toEqual([1, 2, 3, 4, 5]);
		for (const delivery of all) {
			expect(delivery).toMatchObject({ answerStatus: 0, answerBody: '', deliveredTo: 'http://127.0.0.1:1/webhook', url: D360_HOOK });
			expect(delivery.error).toMatch(/ECONNREFUSED/);
		}
	});

	it('delivers every status twice with setWebhookDuplicates(true)', async () => {
		emu.setWebhookDuplicates(true);
		await sendMeta(videoMessage());
		const deliveries = await emu.waitForWebhookDeliveries(6);
		expect(statusNames(deliveries)).toEqual(['sent', 'sent', 'delivered', 'delivered', 'read', 'read']);
		for (let i = 0; i < 6; i += 2) {
			expect(deliveries[i + 1].rawBody).toBe(deliveries[i].rawBody);
			expect(deliveries[i + 1].headers).toEqual(deliveries[i].headers);
		}
	});

	it('still delivers when the send’s answer was lost (reset-after fault)', async () => {
		emu.injectFault({ provider: 'whatsappCloud', path: /\/messages$/, kind: 'reset-after' });
		await expect(sendMeta(videoMessage())).rejects.toThrow();
		const deliveries = await emu.waitForWebhookDeliveries(3);
		const [record] = emu.messagesCreated('whatsappCloud');
		expect(record.responseSent).toBe(false);
		expect(statusOf(deliveries[0]).id).toBe(record.created?.kind === 'message' ? record.created.messageId : undefined);
	});

	it('sends nothing for a refused message or a Lancepilot message', async () => {
		expect((await send360({ ...videoMessage(), to: '+49' })).status).toBe(400);
		const lancepilot = await postJson(
			`${emu.lancepilotBaseUrl}/workspaces/${D.workspaceId}/contacts/${D.contactId}/messages/video`,
			{ file: LINK },
			LP_AUTH,
		);
		expect(lancepilot.status).toBe(201);
		await sleep(100);
		expect(emu.webhookDeliveries()).toEqual([]);
		expect(receiver.received).toEqual([]);
	});

	it('stops delivering to a webhook that was removed', async () => {
		emu.setStatusDelay(60);
		await send360(videoMessage());
		await emu.waitForWebhookDeliveries(1);
		await setD360Webhook({ url: '' });
		await sleep(250);
		expect(statusNames(emu.webhookDeliveries())).toEqual(['sent']);
	});
});

describe('status webhooks without a configured webhook', () => {
	it('delivers nothing and starts no timers', async () => {
		await send360(videoMessage());
		await sendMeta(videoMessage());
		// A status chain would hold its first status delay (20 ms) right after the send.
		expect(pendingWebhookTimers()).toBe(0);
		await sleep(100);
		expect(emu.webhookDeliveries()).toEqual([]);
		expect(receiver.received).toEqual([]);
		expect(pendingWebhookTimers()).toBe(0);
	});

	it('refuses deliverWebhook', async () => {
		await expect(emu.deliverWebhook('dialog360', {})).rejects.toThrow('No dialog360 webhook is configured');
		await expect(emu.deliverWebhook('whatsappCloud', {})).rejects.toThrow('No whatsappCloud webhook is configured');
	});
});

describe('deliverWebhook (forged and unsigned requests)', () => {
	beforeEach(configureBoth);
	const body = { object: 'whatsapp_business_account', entry: [] };
	const raw = JSON.stringify(body);
	const sign = (secret: string) => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

	it('posts once to Meta’s webhook, signed by default, and returns the answer', async () => {
		receiver.respond = () => ({ status: 401, body: 'nope' });
		expect(await emu.deliverWebhook('whatsappCloud', body)).toEqual({ status: 401, body: 'nope' });
		expect(receiver.posts()).toHaveLength(1);
		expect(receiver.posts()[0].body).toBe(raw);
		expect(receiver.posts()[0].headers['x-hub-signature-256']).toBe(sign(D.metaAppSecret));
		// No retries and no record.
		await sleep(100);
		expect(receiver.posts()).toHaveLength(1);
		expect(emu.webhookDeliveries()).toEqual([]);
	});

	it('signs with another secret or not at all', async () => {
		await emu.deliverWebhook('whatsappCloud', body, { signature: 'invalid' });
		await emu.deliverWebhook('whatsappCloud', body, { signature: 'missing' });
		const [invalid, missing] = receiver.posts();
		expect(invalid.headers['x-hub-signature-256']).toMatch(/^sha256=[0-9a-f]{64}$/);
		expect(invalid.headers['x-hub-signature-256']).not.toBe(sign(D.metaAppSecret));
		expect(missing.headers).not.toHaveProperty('x-hub-signature-256');
	});

	it('sends a string body verbatim and extra headers last', async () => {
		await emu.deliverWebhook('whatsappCloud', '{"not":"signed right"', { headers: { 'X-Hub-Signature-256': 'sha256=00' } });
		expect(receiver.posts()[0].body).toBe('{"not":"signed right"');
		expect(receiver.posts()[0].headers['x-hub-signature-256']).toBe('sha256=00');
	});

	it('sends 360dialog’s configured headers, wrong ones, or none', async () => {
		await emu.deliverWebhook('dialog360', body);
		await emu.deliverWebhook('dialog360', body, { signature: 'invalid' });
		await emu.deliverWebhook('dialog360', body, { signature: 'missing' });
		const [valid, invalid, missing] = receiver.posts();
		expect(valid.headers['x-video-status-secret']).toBe('s3cr3t-value');
		expect(invalid.headers['x-video-status-secret']).toEqual(expect.any(String));
		expect(invalid.headers['x-video-status-secret']).not.toBe('s3cr3t-value');
		expect(missing.headers).not.toHaveProperty('x-video-status-secret');
		expect(valid.headers['content-type']).toBe('application/json');
	});

	it('reports an unreachable receiver as status 0', async () => {
		emu.setWebhookForward(() => 'http://127.0.0.1:1/webhook');
		expect(await emu.deliverWebhook('dialog360', body)).toEqual({ status: 0, body: '', error: expect.stringMatching(/ECONNREFUSED/) });
	});
});

describe('waitForWebhookDeliveries', () => {
	beforeEach(configureBoth);

	it('takes a condition on the successful deliveries', async () => {
		await sendMeta(videoMessage());
		const deliveries = await emu.waitForWebhookDeliveries((ok) => ok.some((d) => statusOf(d).status === 'read'));
		expect(statusNames(deliveries)).toEqual(['sent', 'delivered', 'read']);
	});

	it('counts only 2xx answers', async () => {
		receiver.respond = () => ({ status: 500 });
		emu.setRecipientOutcome(TO, 'sent');
		await send360(videoMessage());
		await expect(emu.waitForWebhookDeliveries(1, 400)).rejects.toThrow(
			/^waitForWebhookDeliveries: expected 1 successful webhook deliveries within 400 ms; got 0 successful of \d+ attempts \(dialog360 sent #1 -> 500/,
		);
	});

	it('says when no webhook is configured', async () => {
		emu.reset();
		await expect(emu.waitForWebhookDeliveries(1, 50)).rejects.toThrow('webhooks configured: none');
	});

	it('is rejected by reset()', async () => {
		const waiting = emu.waitForWebhookDeliveries(1, 5000);
		emu.reset();
		await expect(waiting).rejects.toThrow(/the emulator was reset/);
	});

	it('refuses a bad count', async () => {
		await expect(emu.waitForWebhookDeliveries(-1)).rejects.toThrow(/non-negative integer/);
	});
});

describe('reset and close', () => {
	it('reset() clears webhook configurations, outcomes, delay, duplicates, deliveries and pending deliveries', async () => {
		await configureBoth();
		emu.setRecipientOutcome(TO, 'sent');
		emu.setWebhookDuplicates(true);
		emu.setStatusDelay(200);
		await send360(videoMessage());
		emu.setStatusDelay(5);
		await send360(videoMessage());
		await emu.waitForWebhookDeliveries(2);
		// The first message's status timer (200 ms) is pending, then gone.
		expect(pendingWebhookTimers()).toBeGreaterThan(0);
		emu.reset();
		expect(pendingWebhookTimers()).toBe(0);

		expect(emu.webhookDeliveries()).toEqual([]);
		expect(emu.dialog360Webhook()).toBeUndefined();
		expect(emu.metaWebhook()).toBeUndefined();
		expect((await http(webhookConfigUrl(), { headers: D360_AUTH })).json).toEqual({ url: '' });
		// The first message's pending status was cancelled with its timer.
		const before = receiver.posts().length;
		await sleep(300);
		expect(receiver.posts()).toHaveLength(before);

		// Outcomes, duplicates and delay are back to their defaults.
		await setD360Webhook({ url: D360_HOOK });
		await send360(videoMessage());
		const deliveries = await emu.waitForWebhookDeliveries(3);
		expect(statusNames(deliveries)).toEqual(['sent', 'delivered', 'read']);
		await sleep(60);
		expect(emu.webhookDeliveries()).toHaveLength(3);
	});

	it('reset() restores the forward of the options', async () => {
		emu.setWebhookForward(() => 'http://127.0.0.1:1/x');
		emu.reset();
		await setD360Webhook({ url: D360_HOOK });
		await send360(videoMessage());
		const [first] = await emu.waitForWebhookDeliveries(1);
		expect(first.deliveredTo).toBe(`${receiver.origin}/webhook/abc/status`);
	});

	it('close() cancels pending deliveries, retries and waits, and leaves no timer behind', async () => {
		const own = await startEmulator({
			webhookForward: (url) => url.replace(/^https?:\/\/n8n\.test/, receiver.origin),
			webhookStatusDelayMs: 100,
			webhookRetryDelaysMs: [10_000],
		});
		try {
			receiver.respond = () => ({ status: 500 });
			await postJson(`${own.dialog360BaseUrl}/v1/configs/webhook`, { url: D360_HOOK }, D360_AUTH);
			await postJson(`${own.dialog360BaseUrl}/messages`, videoMessage(), D360_AUTH);
			// The first message's "sent" answered 500: it now waits 10 s for its retry.
			const deadline = Date.now() + 3000;
			while (own.webhookDeliveries().length < 1 && Date.now() < deadline) await sleep(10);
			expect(own.webhookDeliveries().map((d) => d.answerStatus)).toEqual([500]);
			// The second one waits 10 s for its first status.
			own.setStatusDelay(10_000);
			await postJson(`${own.dialog360BaseUrl}/messages`, { ...videoMessage(), to: '4915100000001' }, D360_AUTH);
			const waiting = own.waitForWebhookDeliveries(10, 20_000);
			// The retry, the second message's status delay and the wait, so that 0 below means close() cleared them.
			expect(pendingWebhookTimers()).toBe(3);
			await own.close();
			await expect(waiting).rejects.toThrow(/the emulator was closed/);
			expect(pendingWebhookTimers()).toBe(0);
			const before = receiver.posts().length;
			await sleep(250);
			expect(receiver.posts()).toHaveLength(before);
		} finally {
			await own.close();
		}
	});

	it('uses the options’ status delay and retry schedule', async () => {
		const own = await startEmulator({
			webhookForward: (url) => url.replace(/^https?:\/\/n8n\.test/, receiver.origin),
			webhookStatusDelayMs: 0,
			webhookRetryDelaysMs: [5],
		});
		try {
			receiver.respond = () => ({ status: 500 });
			await postJson(`${own.dialog360BaseUrl}/v1/configs/webhook`, { url: D360_HOOK }, D360_AUTH);
			await postJson(`${own.dialog360BaseUrl}/messages`, videoMessage(), D360_AUTH);
			const deadline = Date.now() + 2000;
			while (own.webhookDeliveries().length < 6 && Date.now() < deadline) await sleep(10);
			await sleep(50);
			expect(own.webhookDeliveries().map((d) => [statusOf(d).status, d.attempt])).toEqual([
				['sent', 1],
				['sent', 2],
				['delivered', 1],
				['delivered', 2],
				['read', 1],
				['read', 2],
			]);
		} finally {
			await own.close();
		}
	});

	it('refuses bad webhook options and controls', async () => {
		await expect(startEmulator({ webhookRetryDelaysMs: [-1] })).rejects.toThrow(/webhookRetryDelaysMs/);
		await expect(startEmulator({ webhookStatusDelayMs: Number.NaN })).rejects.toThrow(/Status delay/);
		await expect(startEmulator({ webhookTimeoutMs: 0 })).rejects.toThrow(/webhookTimeoutMs/);
		expect(() => emu.setStatusDelay(-5)).toThrow(RangeError);
		expect(() => emu.setRecipientOutcome(TO, { failWith: 0 })).toThrow(TypeError);
		expect(() => emu.setRecipientOutcome(TO, 'bounced' as never)).toThrow(TypeError);
		expect(() => emu.setRecipientOutcome('', 'read')).toThrow(TypeError);
	});
});
