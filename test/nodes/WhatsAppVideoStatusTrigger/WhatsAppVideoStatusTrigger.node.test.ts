import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { WhatsAppVideoStatusTrigger } from '../../../nodes/WhatsAppVideoStatusTrigger/WhatsAppVideoStatusTrigger.node';
import { runWorkflow } from '../../harness/engine';
import { D, emulatorCredentials, phone, useEmulator } from '../../harness/setup';
import type { TriggerServer } from '../../harness/triggerServer';
import { startTriggerServer } from '../../harness/triggerServer';
import { PERSISTED, SAVE_EVERY_MS, STORED_FIELD } from '../../../nodes/WhatsAppVideoStatusTrigger/recentStatuses';
import { sharedWorkflow, status, statusBody } from './n8nProcesses';

const emulator = useEmulator();
const servers: TriggerServer[] = [];
afterEach(async () => {
	emulator().setWebhookForward(undefined);
	await Promise.all(servers.splice(0).map(async (server) => await server.close()));
});

const APP_SECRET = D.metaAppSecret;

function credentials(overrides: { appSecret?: string } = {}) {
	const all = emulatorCredentials(emulator());
	all.whatsAppCloudApi = { ...all.whatsAppCloudApi, appSecret: overrides.appSecret ?? APP_SECRET };
	return all;
}

async function trigger(parameters: INodeParameters, options: { appSecret?: string; publicBase?: string } = {}): Promise<TriggerServer> {
	const server = await startTriggerServer({ parameters, credentials: credentials(options), publicBase: options.publicBase });
	servers.push(server);
	emulator().setWebhookForward((url) => server.forward(url));
	return server;
}

/** Sends one video link per recipient with the send node, each with its own callback data. */
async function sendVideos(provider: string, recipients: string[]) {
	const result = await runWorkflow({
		parameters: {
			provider,
			recipient: '={{ $json.phone }}',
			source: 'url',
			videoUrl: 'https://cdn.example.com/promo.mp4',
			options: { callbackData: '={{ "order-" + $json.index }}' },
		},
		items: recipients.map((recipient) => ({ json: { phone: recipient } })),
		credentials: credentials(),
	});
	expect(result.error).toBeUndefined();
	return result.items.map((item) => item.json);
}

const statusesOf = (server: TriggerServer) => server.executions().flat();

/** Stops n8n's clock (Date only: timers and I/O run as usual); `clock.advance(ms)` moves it. */
function stoppedClock() {
	jest.useFakeTimers({ doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
	return { advance: (ms: number) => jest.setSystemTime(Date.now() + ms) };
}
afterEach(() => jest.useRealTimers());

const pairs = (items: IDataObject[] | undefined) => (items ?? []).map((item) => `${String(item.messageId)} ${String(item.status)}`);

describe('WhatsApp Video Status Trigger', () => {
	test('is a trigger with the public contract: type, provider values, statuses and both webhooks', () => {
		const { description } = new WhatsAppVideoStatusTrigger();

		expect(description).toMatchObject({ name: 'whatsAppVideoStatusTrigger', displayName: 'WhatsApp Video Status Trigger', group: ['trigger'], inputs: [] });
		const provider = description.properties.find((property) => property.name === 'provider');
		expect(provider?.options?.map((option) => (option as { value: string }).value)).toEqual(['dialog360', 'whatsappCloud']);
		expect(description.properties.find((property) => property.name === 'statuses')?.default).toEqual(['sent', 'delivered', 'read', 'failed']);
		expect(description.webhooks?.map((webhook) => [webhook.name, webhook.httpMethod])).toEqual([
			['default', 'POST'],
			['setup', 'GET'],
		]);
	});

	describe('360dialog', () => {
		test('activation registers the URL with a secret header; each status of each sent video is one item matching the send node\'s output', async () => {
			const server = await trigger({ provider: 'dialog360' });
			await server.activate();

			const [registration] = emulator().requests.filter((request) => request.method === 'POST' && request.path === '/v1/configs/webhook');
			expect(registration.json).toEqual({ url: server.webhookUrl, headers: { 'X-Video-Status-Secret': expect.stringMatching(/^[0-9a-f]{48}$/) } });

			emulator().setRecipientOutcome(phone(1).slice(1), { failWith: 131047 });
			const sent = await sendVideos('dialog360', [phone(0), phone(1)]);
			await emulator().waitForWebhookDeliveries(5, 10_000);

			const statuses = statusesOf(server);
			expect(statuses.map((status) => [status.messageId, status.status])).toEqual(
				expect.arrayContaining([
					[sent[0].messageId, 'sent'],
					[sent[0].messageId, 'delivered'],
					[sent[0].messageId, 'read'],
					[sent[1].messageId, 'sent'],
					[sent[1].messageId, 'failed'],
				]),
			);
			expect(statuses).toHaveLength(5);
			const forFirst = statuses.filter((status) => status.messageId === sent[0].messageId).map((status) => status.status);
			expect(forFirst).toEqual(['sent', 'delivered', 'read']);
			const failed = statuses.find((status) => status.status === 'failed') as IDataObject;
			expect(failed).toMatchObject({
				provider: 'dialog360',
				recipient: phone(1).slice(1),
				callbackData: 'order-1',
				timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
				errors: [{ code: 131047, title: expect.any(String), details: expect.any(String), hint: expect.stringContaining('Set Message Type to Template') }],
			});
		});

		test('when 360dialog delivers every status twice, each status is still one item; a BSUID recipient is reported as such', async () => {
			const server = await trigger({ provider: 'dialog360' });
			await server.activate();
			emulator().setWebhookDuplicates(true);

			const [sent] = await sendVideos('dialog360', [D.contactBsuid]);
			await emulator().waitForWebhookDeliveries(6, 10_000);

			expect(emulator().webhookDeliveries().filter((delivery) => delivery.answerStatus === 200)).toHaveLength(6);
			expect(statusesOf(server).map((status) => [status.messageId, status.status, status.recipient])).toEqual([
				[sent.messageId, 'sent', D.contactBsuid],
				[sent.messageId, 'delivered', D.contactBsuid],
				[sent.messageId, 'read', D.contactBsuid],
			]);
		});

		test('a request without the secret header is answered 401 and starts nothing', async () => {
			const server = await trigger({ provider: 'dialog360' });
			await server.activate();

			const answer = await emulator().deliverWebhook('dialog360', { object: 'whatsapp_business_account', entry: [] }, { headers: { 'X-Video-Status-Secret': 'guess' } });

			expect(answer.status).toBe(401);
			expect(server.executions()).toEqual([]);
		});

		test('another URL on the number: activation refuses and explains, unless Replace Existing Webhook is on', async () => {
			const chatbot = 'https://chatbot.example.com/hook';
			await fetch(`${emulator().dialog360BaseUrl}/v1/configs/webhook`, {
				method: 'POST',
				headers: { 'D360-API-KEY': D.dialog360ApiKey, 'Content-Type': 'application/json' },
				body: JSON.stringify({ url: chatbot }),
			});

			const refused = await trigger({ provider: 'dialog360' });
			await expect(refused.activate()).rejects.toThrow(`This 360dialog number already sends its webhooks to ${chatbot}`);
			const replacing = await trigger({ provider: 'dialog360', replaceExistingWebhook: true });
			await replacing.activate();

			const configured = await fetch(`${emulator().dialog360BaseUrl}/v1/configs/webhook`, { headers: { 'D360-API-KEY': D.dialog360ApiKey } });
			expect(await configured.json()).toEqual({ url: replacing.webhookUrl });
		});

		test('an n8n URL with a port is refused at activation with what to set, before 360dialog is asked', async () => {
			const server = await trigger({ provider: 'dialog360' }, { publicBase: 'http://n8n.example.com:5678' });

			await expect(server.activate()).rejects.toThrow('has a port (5678)');
			expect(emulator().requests.filter((request) => request.method === 'POST')).toEqual([]);
		});

		test('deactivation removes our URL, and leaves one someone else set since alone', async () => {
			const server = await trigger({ provider: 'dialog360' });
			await server.activate();
			await server.deactivate();
			const afterOurs = await (await fetch(`${emulator().dialog360BaseUrl}/v1/configs/webhook`, { headers: { 'D360-API-KEY': D.dialog360ApiKey } })).json();

			await server.activate();
			await fetch(`${emulator().dialog360BaseUrl}/v1/configs/webhook`, {
				method: 'POST',
				headers: { 'D360-API-KEY': D.dialog360ApiKey, 'Content-Type': 'application/json' },
				body: JSON.stringify({ url: 'https://chatbot.example.com/hook' }),
			});
			await server.deactivate();
			const afterTheirs = await (await fetch(`${emulator().dialog360BaseUrl}/v1/configs/webhook`, { headers: { 'D360-API-KEY': D.dialog360ApiKey } })).json();

			expect(afterOurs).toEqual({ url: '' });
			expect(afterTheirs).toEqual({ url: 'https://chatbot.example.com/hook' });
		});
	});

	describe('Meta (WhatsApp Cloud API)', () => {
		test('answers Meta\'s verification with the challenge only for the right Verify Token', async () => {
			const server = await trigger({ provider: 'whatsappCloud', verifyToken: 'my-verify-token' });
			await server.activate();

			const wrong = await emulator().configureMetaWebhook({ url: server.webhookUrl, verifyToken: 'not-it' });
			const right = await emulator().configureMetaWebhook({ url: server.webhookUrl, verifyToken: 'my-verify-token' });

			expect([wrong.verified, wrong.status]).toEqual([false, 403]);
			expect([right.verified, right.status]).toEqual([true, 200]);
			expect(server.executions()).toEqual([]);
		});

		test('signed statuses become items; a forged or missing signature is 401 and starts nothing', async () => {
			const server = await trigger({ provider: 'whatsappCloud', verifyToken: 'my-verify-token' });
			await server.activate();
			await emulator().configureMetaWebhook({ url: server.webhookUrl, verifyToken: 'my-verify-token' });

			const [video] = await sendVideos('whatsappCloud', [phone(0)]);
			await emulator().waitForWebhookDeliveries(3, 10_000);
			const forged = await emulator().deliverWebhook('whatsappCloud', { object: 'whatsapp_business_account', entry: [] }, { signature: 'invalid' });
			const unsigned = await emulator().deliverWebhook('whatsappCloud', { object: 'whatsapp_business_account', entry: [] }, { signature: 'missing' });

			expect(statusesOf(server).map((status) => [status.provider, status.messageId, status.status, status.callbackData])).toEqual([
				['whatsappCloud', video.messageId, 'sent', 'order-0'],
				['whatsappCloud', video.messageId, 'delivered', 'order-0'],
				['whatsappCloud', video.messageId, 'read', 'order-0'],
			]);
			expect([forged.status, unsigned.status]).toEqual([401, 401]);
			expect(server.executions()).toHaveLength(3);
		});

		test('activation without the App Secret says where to find it', async () => {
			const server = await trigger({ provider: 'whatsappCloud', verifyToken: 'token' }, { appSecret: '' });

			await expect(server.activate()).rejects.toThrow('The Meta credential has no App Secret');
		});

		test('a webhook delivered twice is one item per status; a body with several entries and statuses is read in order', async () => {
			const server = await trigger({ provider: 'whatsappCloud', verifyToken: 'my-verify-token' });
			await server.activate();
			await emulator().configureMetaWebhook({ url: server.webhookUrl, verifyToken: 'my-verify-token' });
			const status = (id: string, state: string) => ({ id, status: state, timestamp: '1764500000', recipient_id: '4915100000000' });
			const body = {
				object: 'whatsapp_business_account',
				entry: [
					{ id: D.metaBusinessAccountId, changes: [{ field: 'messages', value: { statuses: [status('wamid.A', 'sent'), status('wamid.B', 'sent')] } }] },
					{
						id: D.metaBusinessAccountId,
						changes: [
							{ field: 'messages', value: { messages: [{ from: '4915100000000', id: 'wamid.IN', type: 'text', text: { body: 'hi' } }] } },
							{ field: 'messages', value: { statuses: [status('wamid.A', 'delivered'), status('wamid.A', 'sent')] } },
						],
					},
				],
			};

			const first = await emulator().deliverWebhook('whatsappCloud', body, { signature: 'valid' });
			const again = await emulator().deliverWebhook('whatsappCloud', body, { signature: 'valid' });

			expect([first.status, again.status]).toEqual([200, 200]);
			expect(server.executions().map((items) => items.map((item) => `${String(item.messageId)} ${String(item.status)}`))).toEqual([
				['wamid.A sent', 'wamid.B sent', 'wamid.A delivered'],
			]);
			expect(statusesOf(server)[0].timestamp).toBe('2025-11-30T10:53:20.000Z');
		});

		test('Statuses limits what starts the workflow, e.g. failures only', async () => {
			const server = await trigger({ provider: 'whatsappCloud', verifyToken: 'my-verify-token', statuses: ['failed'] });
			await server.activate();
			await emulator().configureMetaWebhook({ url: server.webhookUrl, verifyToken: 'my-verify-token' });
			emulator().setRecipientOutcome(phone(1).slice(1), { failWith: 131026 });

			const sent = await sendVideos('whatsappCloud', [phone(0), phone(1)]);
			await emulator().waitForWebhookDeliveries(5, 10_000);

			expect(statusesOf(server).map((status) => [status.messageId, status.status])).toEqual([[sent[1].messageId, 'failed']]);
			expect(statusesOf(server)[0].errors).toEqual([expect.objectContaining({ code: 131026, hint: expect.stringContaining('may not be on WhatsApp') })]);
		});

	});

	describe('n8n answers the delivery; repeats are caught in this process, in another and after a restart', () => {
		test('n8n answers each delivery, not the trigger: 200 with what arrived and what was new, after starting the execution', async () => {
			const n8n = sharedWorkflow().startProcess();
			const body = statusBody([status('wamid.A', 'sent'), status('wamid.B', 'sent')]);

			const first = await n8n.post(body);
			const again = await n8n.post(body);

			expect([first.answeredByNode, first.status, first.body, pairs(first.items)]).toEqual([false, 200, { received: 2, new: 2 }, ['wamid.A sent', 'wamid.B sent']]);
			expect([again.answeredByNode, again.status, again.body, again.items]).toEqual([false, 200, { received: 2, new: 0 }, undefined]);
		});

		test("Meta's verification and a badly signed post are answered by the trigger itself, start nothing and write nothing", async () => {
			const workflow = sharedWorkflow();
			const n8n = workflow.startProcess();

			const verified = await n8n.verify('my-verify-token', 'challenge-123');
			const refused = await n8n.verify('not-it', 'challenge-123');
			const forged = await n8n.post(statusBody([status('wamid.A', 'read')]), { signature: 'invalid' });

			expect([verified.answeredByNode, verified.status, verified.body]).toEqual([true, 200, 'challenge-123']);
			expect([refused.answeredByNode, refused.status]).toEqual([true, 403]);
			expect([forged.answeredByNode, forged.status]).toEqual([true, 401]);
			expect(n8n.executions).toEqual([]);
			expect(workflow.database.writes).toBe(0);
		});

		test('the same status delivered ten times at the same moment to one process is one execution', async () => {
			const n8n = sharedWorkflow().startProcess();

			await Promise.all(Array.from({ length: 10 }, async () => await n8n.post(statusBody([status('wamid.A', 'delivered')]))));

			expect(n8n.executions.map(pairs)).toEqual([['wamid.A delivered']]);
		});

		test('a repeat that reaches another n8n process, or arrives after a restart, is not a second event', async () => {
			const workflow = sharedWorkflow();
			const first = workflow.startProcess();
			const second = workflow.startProcess();

			const original = await first.post(statusBody([status('wamid.A', 'read')]));
			const elsewhere = await second.post(statusBody([status('wamid.A', 'read'), status('wamid.A', 'delivered')]));
			const restarted = workflow.startProcess();
			const afterRestart = await restarted.post(statusBody([status('wamid.A', 'read'), status('wamid.A', 'delivered')]));

			expect(pairs(original.items)).toEqual(['wamid.A read']);
			expect([elsewhere.body, pairs(elsewhere.items)]).toEqual([{ received: 2, new: 1 }, ['wamid.A delivered']]);
			expect([afterRestart.body, afterRestart.items]).toEqual([{ received: 2, new: 0 }, undefined]);
		});

		test('the static data is written at most once a second per process, whatever the rate: a status let through since is written with the next delivery after that second, and until then a repeat in another process is a second event', async () => {
			const clock = stoppedClock();
			const workflow = sharedWorkflow();
			const n8n = workflow.startProcess();

			for (let i = 0; i < 200; i += 1) await n8n.post(statusBody([status(`wamid.${i}`, 'sent')]));
			const writesInTheBurst = workflow.database.writes;
			const beforeTheNextWrite = workflow.startProcess();
			const unwritten = await beforeTheNextWrite.post(statusBody([status('wamid.199', 'sent')]));
			clock.advance(SAVE_EVERY_MS);
			await n8n.post(statusBody([status('wamid.200', 'sent')]));
			const restarted = workflow.startProcess();
			const repeats = await Promise.all(Array.from({ length: 201 }, async (_, i) => await restarted.post(statusBody([status(`wamid.${i}`, 'sent')]))));

			expect(n8n.executions).toHaveLength(201);
			expect(writesInTheBurst).toBe(1);
			expect(pairs(unwritten.items)).toEqual(['wamid.199 sent']);
			// The burst's one write, the other process's first, and the next delivery's after the second.
			expect(workflow.database.writes).toBe(3);
			expect(String(workflow.stored()[STORED_FIELD])).toHaveLength(201 * 12);
			expect(repeats.filter((answer) => answer.items)).toEqual([]);
		});

		test(`the static data keeps the newest ${PERSISTED} statuses, so its size stays fixed however many arrive`, async () => {
			const workflow = sharedWorkflow();
			const n8n = workflow.startProcess();
			const many = Array.from({ length: PERSISTED + 1000 }, (_, i) => status(`wamid.${i}`, 'delivered'));

			const all = await n8n.post(statusBody(many));
			const restarted = workflow.startProcess();
			const newest = await restarted.post(statusBody(many.slice(1000)));
			const oldest = await restarted.post(statusBody(many.slice(0, 1000)));

			expect(all.body).toEqual({ received: PERSISTED + 1000, new: PERSISTED + 1000 });
			expect(String(workflow.stored()[STORED_FIELD])).toHaveLength(PERSISTED * 12);
			expect(newest.body).toEqual({ received: PERSISTED, new: 0 });
			expect(oldest.body).toEqual({ received: 1000, new: 1000 });
		});

		test(`two processes taking a long campaign's statuses share the stored ${PERSISTED}: a repeat of either's recent statuses is caught after a restart`, async () => {
			const clock = stoppedClock();
			const workflow = sharedWorkflow();
			const first = workflow.startProcess();
			const second = workflow.startProcess();
			const batch = (who: string, second: number) => Array.from({ length: 100 }, (_, i) => status(`wamid.${who}-${second}-${i}`, 'delivered'));

			// A minute at 100 statuses a second each: each process has let through more than the stored window holds.
			for (let s = 0; s < 60; s += 1) {
				await first.post(statusBody(batch('first', s)));
				await second.post(statusBody(batch('second', s)));
				clock.advance(SAVE_EVERY_MS);
			}
			const restarted = workflow.startProcess();
			const repeats = await restarted.post(statusBody([...batch('first', 55), ...batch('second', 55), ...batch('first', 59), ...batch('second', 59)]));

			expect(repeats.body).toEqual({ received: 400, new: 0 });
			expect(String(workflow.stored()[STORED_FIELD])).toHaveLength(PERSISTED * 12);
		});

		test('when two processes save at the same moment, the loser of that race puts its statuses back with its next look, a second later', async () => {
			const clock = stoppedClock();
			const workflow = sharedWorkflow();
			const first = workflow.startProcess();
			const second = workflow.startProcess();

			// Both requests load the same saved copy before either saves: the later save drops the other's status.
			await Promise.all([first.post(statusBody([status('wamid.F', 'read')])), second.post(statusBody([status('wamid.S', 'read')]))]);
			const afterTheRace = workflow.startProcess();
			const lost = await afterTheRace.post(statusBody([status('wamid.F', 'read'), status('wamid.S', 'read')]));
			clock.advance(SAVE_EVERY_MS);
			await first.post(statusBody([status('wamid.F2', 'read')]));
			await second.post(statusBody([status('wamid.S2', 'read')]));
			const later = workflow.startProcess();
			const repeats = await later.post(statusBody([status('wamid.F', 'read'), status('wamid.S', 'read'), status('wamid.F2', 'read'), status('wamid.S2', 'read')]));

			expect(lost.body).toEqual({ received: 2, new: 1 });
			expect(repeats.body).toEqual({ received: 4, new: 0 });
		});

		test('statuses an earlier version remembered (recentStatuses) are still caught, and that list is replaced at the next write', async () => {
			const workflow = sharedWorkflow();
			workflow.database.staticData = JSON.stringify({ 'node:WhatsApp Video Status Trigger': { recentStatuses: ['wamid.OLD|read'] } });
			const n8n = workflow.startProcess();

			const old = await n8n.post(statusBody([status('wamid.OLD', 'read')]));
			const next = await n8n.post(statusBody([status('wamid.NEW', 'read')]));

			expect([old.items, pairs(next.items)]).toEqual([undefined, ['wamid.NEW read']]);
			expect(Object.keys(workflow.stored())).toEqual([STORED_FIELD]);
		});
	});
});
