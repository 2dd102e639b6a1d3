/**
 * Meta's WhatsApp Cloud API, directly: what is Meta's own (its fields, Graph API errors) and
 * everything 360dialog users get (upload once, retries, Continue On Fail). The bodies both send
 * for each source are specified once, for both, in SendWhatsAppVideo.node.test.ts.
 */
import type { INodeParameters } from 'n8n-workflow';

import { SendWhatsAppVideo } from '../../../../nodes/SendWhatsAppVideo/SendWhatsAppVideo.node';
import { metaErrorBody } from '../../../emulator/server';
import type { RunOptions } from '../../../harness/engine';
import { BINARY_MODES, runWorkflow } from '../../../harness/engine';
import { D, emulatorCredentials, providerFailure, useEmulator, videoItem } from '../../../harness/setup';

const emulator = useEmulator();
const ROOT = `/${D.metaGraphApiVersion}/${D.metaPhoneNumberId}`;
const meta = { provider: 'whatsappCloud', recipient: '+49 151 2345 6789' };

function send(parameters: INodeParameters, items: RunOptions['items'], options: Partial<RunOptions> = {}) {
	return runWorkflow({ parameters, items, credentials: emulatorCredentials(emulator()), ...options });
}

describe.each(BINARY_MODES)('Meta, binary data kept %s', (binaryMode) => {
	test('the same video for many recipients is uploaded once', async () => {
		const items = [0, 1, 2].map((index) => ({ ...videoItem(), json: { phone: `+4915100000${index}0` } }));
		const result = await send({ ...meta, recipient: '={{ $json.phone }}', source: 'binary' }, items, { binaryMode });
		expect(result.error).toBeUndefined();
		expect(emulator().uploads()).toHaveLength(1);
		const mediaId = emulator().storedMedia()[0].id;
		// Items go out concurrently: compare by recipient, not arrival order.
		const sent = emulator().messagesCreated('whatsappCloud').map((request) => request.json as { to: string; video: unknown });
		expect(sent.sort((a, b) => a.to.localeCompare(b.to))).toEqual(
			[0, 1, 2].map((index) => expect.objectContaining({ to: `4915100000${index}0`, video: { id: mediaId } })),
		);
	});
});

describe('Meta in the node\'s description', () => {
	test('the node shows Meta its own fields and every Cloud API option', () => {
		const { description } = new SendWhatsAppVideo();
		const shownFor = (name: string) =>
			description.properties.filter((property) => property.name === name).flatMap((property) => (property.displayOptions?.show?.provider as string[]) ?? []);
		expect(description.properties.find((property) => property.name === 'provider')?.options).toContainEqual(
			expect.objectContaining({ name: 'WhatsApp Cloud API (Meta)', value: 'whatsappCloud' }),
		);
		expect(description.credentials).toContainEqual(expect.objectContaining({ name: 'whatsAppCloudApi', displayOptions: { show: { provider: ['whatsappCloud'] } } }));
		expect(shownFor('recipient')).toContain('whatsappCloud');
		expect(shownFor('mediaId')).toContain('whatsappCloud');
		expect(shownFor('workspaceId')).not.toContain('whatsappCloud');
		const options = description.properties.find((property) => property.name === 'options')?.options as Array<{ name: string; displayOptions?: { show?: Record<string, unknown> } }>;
		for (const option of ['callbackData', 'replyToMessageId', 'uploadsPerSecond', 'urlDelivery']) {
			expect(options.find((candidate) => candidate.name === option)?.displayOptions?.show?.['/provider']).toEqual(['dialog360', 'whatsappCloud']);
		}
	});
});

describe('Meta errors, retries and Continue On Fail', () => {
	test('a wrong or expired token: code 190 with advice, and the token appears nowhere', async () => {
		const error = await providerFailure(emulator(), { ...meta, source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' }, { accessToken: 'EAAG-expired-token-123' });
		expect(error.message).toBe('WhatsApp error 190: Invalid OAuth access token - Cannot parse access token');
		expect(error.description).toMatch(/access token is wrong or has expired/);
		expect(error.httpCode).toBe('401');
		expect(JSON.stringify(error)).not.toContain('EAAG-expired-token-123');
		expect(emulator().messagesCreated()).toHaveLength(0);
	});

	test('a Phone Number ID Meta does not know is reported as Meta words it (code 100)', async () => {
		const error = await providerFailure(emulator(), { ...meta, source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' }, { phoneNumberId: '999999999999999' });
		expect(error.message).toMatch(/^WhatsApp error 100: Unsupported post request\. Object with ID '999999999999999' does not exist/);
	});

	test('Meta\'s throughput limit (130429) is retried and the video goes out once', async () => {
		emulator().injectFault({ provider: 'whatsappCloud', path: `${ROOT}/messages`, kind: 'status', status: 400, body: metaErrorBody(130429, 'Rate limit hit'), times: 1 });
		const result = await send({ ...meta, source: 'url', videoUrl: 'https://cdn.example.com/a.mp4', options: { maxRetries: 2 } }, [{}]);
		expect(result.error).toBeUndefined();
		expect(emulator().requests.map((request) => request.status)).toEqual([400, 200]);
		expect(emulator().messagesCreated('whatsappCloud')).toHaveLength(1);
	});

	test('a 500 on a send is not retried: the video may have gone out', async () => {
		emulator().injectFault({ provider: 'whatsappCloud', path: `${ROOT}/messages`, kind: 'status', status: 500, times: 1 });
		const result = await send({ ...meta, source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' }, [{}], { continueOnFail: true });
		expect(emulator().requests).toHaveLength(1);
		expect(result.items[0].json.description).toMatch(/may or may not have been delivered.*WhatsApp Cloud API \(Meta\) dashboard/);
	});

	test('with Continue On Fail a bad item becomes an error item and the others are sent', async () => {
		const items = [{ json: { to: '+4915123456789' } }, { json: { to: '0151 2345678' } }, { json: { to: '+4915123456780' } }];
		const result = await send({ ...meta, recipient: '={{ $json.to }}', source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' }, items, { continueOnFail: true });
		expect(result.items.map((item) => item.json.status ?? item.json.error)).toEqual([
			'accepted',
			expect.stringMatching(/^Invalid "Phone Number" in item 1: .* national number/),
			'accepted',
		]);
		expect(emulator().messagesCreated('whatsappCloud')).toHaveLength(2);
	});
});
