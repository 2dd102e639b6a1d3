/**
 * n8n's SSRF protection (n8n-core >= 2.20, N8N_SSRF_PROTECTION_ENABLED=true) refusing the node's
 * own downloads, with the engine's real protection: `npm run test:compat current` runs these;
 * this repository's devDependency engine (n8n-core 2.8) has no SSRF protection, so `npm test`
 * skips them. The emulator and the video host on 127.0.0.1 are allowed; a video host on 127.0.0.2
 * and a second emulator on 127.0.0.3 (another provider address) are not.
 */
import type { INodeParameters } from 'n8n-workflow';

import { runWorkflow } from '../../harness/engine';
import type { MediaHost } from '../../harness/mediaServer';
import { startMediaHost } from '../../harness/mediaServer';
import { D, emulatorCredentials, useEmulator } from '../../harness/setup';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const engineVersion = (require('n8n-core/package.json') as { version: string }).version;
const [major, minor] = engineVersion.split('.').map(Number);
const describeWithSsrf = major > 2 || (major === 2 && minor >= 20) ? describe : describe.skip;

// Read when n8n first builds its network services, which happens on the first request below.
process.env.N8N_SSRF_PROTECTION_ENABLED = 'true';
process.env.N8N_SSRF_ALLOWED_IP_RANGES = '127.0.0.1/32';

const emulator = useEmulator();
const blockedEmulator = useEmulator({ host: '127.0.0.3' });
let blocked: MediaHost;
let allowed: MediaHost;
beforeAll(async () => {
	blocked = await startMediaHost({ host: '127.0.0.2' });
	allowed = await startMediaHost();
});
afterAll(async () => {
	await blocked.close();
	await allowed.close();
});
beforeEach(() => {
	blocked.requests.length = 0;
	allowed.requests.length = 0;
});

async function send(parameters: INodeParameters) {
	return await runWorkflow({ parameters, items: [{}], credentials: emulatorCredentials(emulator()), continueOnFail: true });
}

const VIDEO = '/files/baseline-aac-faststart.mp4';

describeWithSsrf(`SSRF protection of n8n-core ${engineVersion}`, () => {
	test.each([
		['Download and Upload', () => ({ provider: 'dialog360', videoUrl: `${blocked.origin}${VIDEO}`, options: { urlDelivery: 'upload' } })],
		['Check Link Before Sending', () => ({ provider: 'dialog360', videoUrl: `${blocked.origin}${VIDEO}`, options: { checkLink: true } })],
		[
			'Download and Upload, redirected there by an allowed host',
			() => ({ provider: 'dialog360', videoUrl: `${allowed.origin}/away/${encodeURIComponent(`${blocked.origin}${VIDEO}`)}`, options: { urlDelivery: 'upload' } }),
		],
	])('%s, from a blocked address: refused naming the field, the item and the setting; nothing requested or sent', async (_name, parameters) => {
		const result = await send({ recipient: '+4915123456789', source: 'url', ...parameters() });
		const { error, description } = result.items[0].json;
		expect(error).toBe(
			`Invalid "Video URL" in item 0: n8n refused to fetch the video from ${new URL(blocked.origin).host}: n8n's SSRF protection blocks 127.0.0.2 (a private, loopback or otherwise restricted address)`,
		);
		expect(description).toContain('N8N_SSRF_ALLOWED_IP_RANGES=127.0.0.2/32');
		expect(blocked.requests).toEqual([]);
		expect(emulator().requests).toEqual([]);
	});

	test('a link sent as is goes to the provider: n8n does not fetch it, the provider does', async () => {
		const result = await send({ provider: 'lancepilot', workspaceId: D.workspaceId, contactBy: 'number', recipient: '+4915123456789', source: 'url', videoUrl: `${blocked.origin}${VIDEO}` });
		expect(result.items[0].json.status).toBe('created');
		expect(blocked.requests).toEqual([]);
	});

	test("a provider Base URL on a blocked address: refused once, naming the credential's Base URL and the setting; nothing reaches it", async () => {
		const result = await runWorkflow({
			parameters: { provider: 'dialog360', recipient: '+4915123456789', source: 'url', videoUrl: 'https://example.com/videos/welcome.mp4' },
			items: [{}],
			credentials: emulatorCredentials(blockedEmulator()),
			continueOnFail: true,
		});
		const { error, description } = result.items[0].json;
		expect(error).toBe(
			`n8n refused to connect to 360dialog at ${new URL(blockedEmulator().dialog360BaseUrl).host}: n8n's SSRF protection blocks 127.0.0.3 (a private, loopback or otherwise restricted address)`,
		);
		expect(description).toContain('The Base URL in the 360dialog credential');
		expect(description).toContain('N8N_SSRF_ALLOWED_IP_RANGES=127.0.0.3/32');
		expect(description).toContain('Nothing was sent to the recipient.');
		expect(blockedEmulator().requests).toEqual([]);
	});

	test('a download from an allowed address is uploaded and sent', async () => {
		const result = await send({ provider: 'dialog360', recipient: '+4915123456789', source: 'url', videoUrl: `${allowed.origin}${VIDEO}`, options: { urlDelivery: 'upload' } });
		expect(result.items[0].json).toMatchObject({ status: 'accepted', mediaId: expect.any(String) });
		expect(allowed.requests.map((r) => r.path)).toEqual([VIDEO]);
	});
});
