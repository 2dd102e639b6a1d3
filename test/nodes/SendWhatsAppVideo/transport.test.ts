import { createServer } from 'node:net';

import { metaErrorBody } from '../../emulator/server';
import { runWorkflow } from '../../harness/engine';
import { D, emulatorCredentials, providerFailure, useEmulator, videoItem } from '../../harness/setup';

const emulator = useEmulator();

const dialog360 = { provider: 'dialog360', recipient: '+4915123456789', source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' };
const lancepilot = { provider: 'lancepilot', workspaceId: D.workspaceId, contactBy: 'number', recipient: '+4915123456789', source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' };

describe('answers that cannot be read are errors that say whether the video may have gone out', () => {
	test.each([
		['malformed JSON', 'malformed' as const, /a body that is not JSON/],
		['an HTML page', 'html' as const, /a body that is not JSON/],
		['an empty body', 'empty' as const, /an empty body/],
	])('a 200 with %s from /messages', async (_name, kind, problem) => {
		emulator().injectFault({ provider: 'dialog360', path: '/messages', kind });
		const error = await providerFailure(emulator(), dialog360);
		expect(error.message).toMatch(/^360dialog answered HTTP 20\d with /);
		expect(error.message).toMatch(problem);
		expect(error.description).toMatch(/may or may not have been delivered/);
	});

	test('a 200 with an unreadable body from /media says no message was sent', async () => {
		emulator().injectFault({ provider: 'dialog360', path: '/media', kind: 'html' });
		const result = await runWorkflow({ parameters: { ...dialog360, source: 'binary', options: { maxRetries: 0 } }, items: [videoItem()], credentials: emulatorCredentials(emulator()), continueOnFail: true });
		expect(result.items[0].json.description).toMatch(/Nothing was sent to the recipient/);
		expect(emulator().messagesCreated()).toEqual([]);
	});

	test('a connection reset before the answer is reported as such, with the unknown outcome', async () => {
		emulator().injectFault({ provider: 'lancepilot', kind: 'reset-after' });
		const error = await providerFailure(emulator(), lancepilot);
		expect(error.message).toMatch(/^Could not reach Lancepilot at 127\.0\.0\.1:\d+: the connection was reset$/);
		expect(error.description).toMatch(/may or may not have been delivered/);
		expect(emulator().messagesCreated()).toHaveLength(1);
	});

	test('a refused connection names the host and says to check the Base URL', async () => {
		const closedPort = await new Promise<number>((resolve) => {
			const server = createServer().listen(0, '127.0.0.1', () => {
				const { port } = server.address() as { port: number };
				server.close(() => resolve(port));
			});
		});
		const result = await runWorkflow({
			parameters: { ...dialog360, options: { maxRetries: 1 } },
			items: [{}],
			credentials: { dialog360Api: { apiKey: D.dialog360ApiKey, baseUrl: `http://127.0.0.1:${closedPort}` } },
		});
		expect(result.error?.message).toBe(
			`Could not reach 360dialog at 127.0.0.1:${closedPort}: the connection was refused (gave up after 2 attempts)`,
		);
		expect(result.error?.description).toMatch(/Check the Base URL in the 360dialog credential.*Nothing was sent to the recipient/);
	});
});

describe('secrets never appear in outputs or errors', () => {
	test('a provider that echoes the token back has it removed from the error item', async () => {
		const token = 'lp_canary_token_5f0c2d1e';
		emulator().injectFault({ provider: 'lancepilot', kind: 'status', status: 401, body: { message: `Token ${token} is not valid.` } });
		const result = await runWorkflow({
			parameters: lancepilot,
			items: [{}],
			credentials: emulatorCredentials(emulator(), { apiToken: token }),
			continueOnFail: true,
		});
		expect(result.items[0].json.error).toBe('Lancepilot rejected the API token (401 Token [redacted] is not valid.)');
		expect(JSON.stringify(result.run)).not.toContain(token);
	});

	test('the key is absent from a stopped run, including the error\'s recorded response', async () => {
		const key = 'd360_canary_key_9a8b7c6d';
		emulator().injectFault({ provider: 'dialog360', kind: 'status', status: 403, body: { error: `key ${key} lacks permission` } });
		const result = await runWorkflow({ parameters: dialog360, items: [{}], credentials: emulatorCredentials(emulator(), { apiKey: key }) });
		expect(result.error?.message).toBe('360dialog rejected the API key (403 key [redacted] lacks permission)');
		expect(JSON.stringify(result.run)).not.toContain(key);
		expect(JSON.stringify(result.error, Object.getOwnPropertyNames(result.error))).not.toContain(key);
	});
});

describe('WhatsApp\'s "wait" refusals are waited out within the Time Budget per Item', () => {
	/** Attempts at the emulator for the item, in arrival order. */
	const attempts = () => emulator().requests.filter((request) => request.path === '/messages').sort((a, b) => a.startedAt - b.startedAt);

	test('131056 (too many messages to this recipient) is retried after Meta\'s 1 s, then 4 s, even with Max Retries 0, and the video goes out once', async () => {
		emulator().injectFault({ provider: 'dialog360', path: '/messages', kind: 'status', status: 400, body: metaErrorBody(131056, 'Pair rate limit hit'), times: 2 });

		const result = await runWorkflow({ parameters: { ...dialog360, options: { maxRetries: 0 } }, items: [{}], credentials: emulatorCredentials(emulator()) });

		expect(result.error).toBeUndefined();
		expect(result.items[0].json.status).toBe('accepted');
		expect(emulator().messagesCreated()).toHaveLength(1);
		const [first, second, third] = attempts();
		expect(second.startedAt - first.finishedAt).toBeGreaterThanOrEqual(995);
		expect(third.startedAt - second.finishedAt).toBeGreaterThanOrEqual(3995);
	});

	test('131057 (number being upgraded) is retried after 1 s and the video goes out once', async () => {
		emulator().injectFault({ provider: 'dialog360', path: '/messages', kind: 'status', status: 400, body: metaErrorBody(131057, 'Business account is in maintenance mode') });

		const result = await runWorkflow({ parameters: dialog360, items: [{}], credentials: emulatorCredentials(emulator()) });

		expect(result.items[0].json.status).toBe('accepted');
		expect(emulator().messagesCreated()).toHaveLength(1);
		const [first, second] = attempts();
		expect(second.startedAt - first.finishedAt).toBeGreaterThanOrEqual(995);
	});

	test('a recipient still refused when the Time Budget runs out: one last try at the end of the budget, then an error that says so', async () => {
		emulator().injectFault({ provider: 'dialog360', path: '/messages', kind: 'status', status: 400, body: metaErrorBody(131056, 'Pair rate limit hit'), times: Infinity });

		const result = await runWorkflow({ parameters: { ...dialog360, options: { timeBudgetSeconds: 2 } }, items: [{}], credentials: emulatorCredentials(emulator()), continueOnFail: true });

		expect(result.items[0].json.error).toMatch(/\(gave up after 3 attempts: the item's time budget of 2 s is used up\)$/);
		expect(result.items[0].json.description).toMatch(/Nothing was sent to the recipient/);
		const [first, , last] = attempts();
		// At the end of the 2 s budget: neither given up after the 1 s wait nor kept for Meta's next 4 s.
		expect(last.startedAt - first.startedAt).toBeGreaterThan(1900);
		expect(emulator().messagesCreated()).toEqual([]);
	});
});
