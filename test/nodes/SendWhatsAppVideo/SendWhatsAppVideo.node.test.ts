import type { INodeParameters } from 'n8n-workflow';

import { SendWhatsAppVideo } from '../../../nodes/SendWhatsAppVideo/SendWhatsAppVideo.node';
import { BINARY_MODES, runWorkflow } from '../../harness/engine';
import type { InputItem, RunOptions } from '../../harness/engine';
import { D, emulatorCredentials, fixture, sha256, useEmulator, videoItem } from '../../harness/setup';

const emulator = useEmulator();

function send(parameters: INodeParameters, items: InputItem[], options: Partial<RunOptions> = {}) {
	return runWorkflow({ parameters, items, credentials: emulatorCredentials(emulator()), ...options });
}

const lancepilotByNumber = {
	provider: 'lancepilot',
	workspaceId: D.workspaceId,
	contactBy: 'number',
	recipient: '+49 151 2345 6789',
};
const dialog360 = { provider: 'dialog360', recipient: '+49 151 2345 6789' };

/** The Cloud API providers: the same bodies below each one's own path root and authentication. */
const CLOUD_API = [
	{ provider: 'dialog360', root: '', auth: { name: 'd360-api-key', value: D.dialog360ApiKey } },
	{ provider: 'whatsappCloud', root: `/${D.metaGraphApiVersion}/${D.metaPhoneNumberId}`, auth: { name: 'authorization', value: `Bearer ${D.metaAccessToken}` } },
];

describe('Send WhatsApp Video node', () => {
	test('keeps the public contract: type name, version, credentials and parameter names', () => {
		const { description } = new SendWhatsAppVideo();
		expect(description).toMatchObject({ name: 'sendWhatsAppVideo', displayName: 'Send WhatsApp Video', version: [1, 2], defaultVersion: 2, usableAsTool: true });
		expect(description.credentials?.map((credential) => credential.name)).toEqual(['lancepilotApi', 'dialog360Api', 'whatsAppCloudApi']);
		const names = new Set(description.properties.map((property) => property.name));
		for (const name of ['provider', 'workspaceId', 'contactBy', 'recipient', 'contactId', 'source', 'binaryPropertyName', 'videoUrl', 'mediaId', 'caption', 'options']) {
			expect(names).toContain(name);
		}
		const options = description.properties.find((property) => property.name === 'options');
		expect(options?.options?.map((option) => option.name)).toEqual(
			expect.arrayContaining(['fileName', 'replyToMessageId', 'callbackData', 'maxRetries', 'timeoutSeconds', 'timeBudgetSeconds']),
		);
	});

	describe.each(BINARY_MODES)('with binary data kept %s', (binaryMode) => {
		test('Lancepilot: a binary video goes as multipart "file" (name, type, bytes) plus "caption" to the contact by number', async () => {
			const result = await send({ ...lancepilotByNumber, source: 'binary', caption: 'Your weekly report' }, [videoItem()], { binaryMode });

			expect(result.error).toBeUndefined();
			const [request] = emulator().requests;
			expect(emulator().requests).toHaveLength(1);
			expect(request.method).toBe('POST');
			expect(request.path).toBe(`/workspaces/${D.workspaceId}/contacts/number/%2B4915123456789/messages/video`);
			expect(request.multipart).toEqual([
				expect.objectContaining({
					name: 'file',
					filename: 'baseline-aac-faststart.mp4',
					contentType: 'video/mp4',
					size: fixture('baseline-aac-faststart.mp4').length,
					sha256: sha256(fixture('baseline-aac-faststart.mp4')),
				}),
				expect.objectContaining({ name: 'caption', value: 'Your weekly report' }),
			]);
			expect(result.items).toEqual([
				{
					json: {
						provider: 'lancepilot',
						recipient: '4915123456789',
						status: 'created',
						messageId: (request.responseBody as { data: { id: string } }).data.id,
						mediaId: null,
						response: request.responseBody,
						video: expect.objectContaining({ container: 'mp4', codec: 'H.264', faststart: true, warnings: [] }),
					},
					pairedItem: { item: 0 },
				},
			]);
		});

		test.each(CLOUD_API)('$provider: a binary video is uploaded to …/media, then sent by its media id', async ({ provider, root, auth }) => {
			const result = await send({ ...dialog360, provider, source: 'binary', caption: 'Hello' }, [videoItem('h264.3gp', 'video/3gpp')], { binaryMode });

			expect(result.error).toBeUndefined();
			const [upload, message] = emulator().requests.sort((a, b) => a.id - b.id);
			expect(emulator().requests).toHaveLength(2);
			expect([upload.provider, upload.path, upload.headers[auth.name]]).toEqual([provider, `${root}/media`, auth.value]);
			expect(upload.multipart).toEqual([
				expect.objectContaining({ name: 'messaging_product', value: 'whatsapp' }),
				expect.objectContaining({ name: 'file', filename: 'h264.3gp', contentType: 'video/3gpp', sha256: sha256(fixture('h264.3gp')) }),
			]);
			const mediaId = (upload.responseBody as { id: string }).id;
			expect([message.path, message.headers[auth.name]]).toEqual([`${root}/messages`, auth.value]);
			expect(message.json).toEqual({
				messaging_product: 'whatsapp',
				recipient_type: 'individual',
				to: '4915123456789',
				type: 'video',
				video: { id: mediaId, caption: 'Hello' },
			});
			expect(result.items[0].json).toEqual({
				provider,
				recipient: '4915123456789',
				status: 'accepted',
				messageId: (message.responseBody as { messages: Array<{ id: string }> }).messages[0].id,
				mediaId,
				response: message.responseBody,
				video: expect.objectContaining({ container: '3gp', codec: 'H.264', faststart: true, warnings: [] }),
			});
			expect(result.items[0].binary).toBeUndefined();
		});

		test('the input binary is stored the way this mode stores it (id-backed on the filesystem)', async () => {
			const result = await send({ ...dialog360, source: 'binary' }, [videoItem()], { binaryMode });
			const input = result.run.data.resultData.runData['Input Items'][0].data?.main[0]?.[0].binary?.data;
			if (binaryMode === 'filesystem') {
				expect(input?.id).toMatch(/^filesystem/);
				expect(input?.data).not.toMatch(/^AAAA/);
			} else {
				expect(input?.id).toBeUndefined();
				expect(Buffer.from(input?.data ?? '', 'base64')).toEqual(fixture('baseline-aac-faststart.mp4'));
			}
			expect(emulator().uploads()[0].multipart?.[1].sha256).toBe(sha256(fixture('baseline-aac-faststart.mp4')));
		});
	});

	test('Lancepilot: a URL goes as JSON {file, caption} to the contact by id', async () => {
		const result = await send(
			{ provider: 'lancepilot', workspaceId: D.workspaceId, contactBy: 'id', contactId: D.contactId, source: 'url', videoUrl: 'https://cdn.example.com/promo.mp4', caption: 'Promo' },
			[{ json: {} }],
		);
		expect(result.error).toBeUndefined();
		const [request] = emulator().requests;
		expect(request.path).toBe(`/workspaces/${D.workspaceId}/contacts/${D.contactId}/messages/video`);
		expect(request.contentType).toMatch(/^application\/json/);
		expect(request.json).toEqual({ file: 'https://cdn.example.com/promo.mp4', caption: 'Promo' });
		expect(result.items[0].json).toMatchObject({ provider: 'lancepilot', recipient: D.contactId, status: 'created', mediaId: null });
	});

	test('Lancepilot: no caption part or field is sent when the caption is empty', async () => {
		await send({ ...lancepilotByNumber, source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' }, [{}]);
		await send({ ...lancepilotByNumber, source: 'binary' }, [videoItem()]);
		const [byUrl, byFile] = emulator().requests.sort((a, b) => a.id - b.id);
		expect(byUrl.json).toEqual({ file: 'https://cdn.example.com/a.mp4' });
		expect(byFile.multipart?.map((part) => part.name)).toEqual(['file']);
	});

	test('Lancepilot: messageId is null when the created resource carries no id', async () => {
		emulator().setLancepilotOmitMessageId(true);
		const result = await send({ ...lancepilotByNumber, source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' }, [{}]);
		expect(result.items[0].json.messageId).toBeNull();
		expect(result.items[0].json.response).toEqual(emulator().requests[0].responseBody);
	});

	test.each(CLOUD_API)('$provider: a URL goes as video.link, with reply context and callback data from the options', async ({ provider, root }) => {
		const result = await send(
			{
				...dialog360,
				provider,
				source: 'url',
				videoUrl: 'https://cdn.example.com/promo.mp4',
				options: { replyToMessageId: 'wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI', callbackData: 'order-42' },
			},
			[{}],
		);
		expect(result.error).toBeUndefined();
		expect(emulator().requests.map((request) => request.path)).toEqual([`${root}/messages`]);
		expect(emulator().requests[0].json).toEqual({
			messaging_product: 'whatsapp',
			recipient_type: 'individual',
			to: '4915123456789',
			type: 'video',
			video: { link: 'https://cdn.example.com/promo.mp4' },
			context: { message_id: 'wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI' },
			biz_opaque_callback_data: 'order-42',
		});
		expect(result.items[0].json).toMatchObject({ status: 'accepted', mediaId: null });
	});

	test.each(CLOUD_API)('$provider: an already uploaded media id is sent as video.id without uploading again', async ({ provider }) => {
		await send({ ...dialog360, provider, source: 'binary' }, [videoItem()]);
		const mediaId = emulator().storedMedia()[0].id;
		emulator().reset();
		// reset() forgets uploads; upload once more and reuse that id.
		await send({ ...dialog360, provider, source: 'binary' }, [videoItem()]);
		const reusable = emulator().storedMedia()[0].id;
		expect(reusable).not.toBe(mediaId);

		const result = await send({ ...dialog360, provider, source: 'mediaId', mediaId: reusable, caption: 'again' }, [{}]);
		expect(result.error).toBeUndefined();
		expect(emulator().uploads()).toHaveLength(1);
		expect(emulator().requests.at(-1)?.json).toMatchObject({ video: { id: reusable, caption: 'again' } });
		expect(result.items[0].json.mediaId).toBe(reusable);
	});

	test('"File Name" overrides the binary\'s name, and the extension follows the real container', async () => {
		await send({ ...lancepilotByNumber, source: 'binary', options: { fileName: 'Weekly report' } }, [videoItem()]);
		await send({ ...lancepilotByNumber, source: 'binary', options: { fileName: 'clip.mov' } }, [videoItem('h264.3gp')]);
		await send({ ...lancepilotByNumber, source: 'binary' }, [{ binary: { data: { bytes: fixture('baseline-aac-faststart.mp4') } } }]);
		const names = emulator().requests.sort((a, b) => a.id - b.id).map((request) => request.multipart?.[0].filename);
		expect(names).toEqual(['Weekly report.mp4', 'clip.3gp', 'video.mp4']);
	});

	test('reads the video from the binary property the user names', async () => {
		const result = await send({ ...dialog360, source: 'binary', binaryPropertyName: 'upload' }, [videoItem(undefined, 'video/mp4', 'upload')]);
		expect(result.error).toBeUndefined();
		expect(emulator().uploads()).toHaveLength(1);
	});

	test('every item becomes its own message, in order, each paired with its input item', async () => {
		const recipients = ['+4915111111111', '+4915122222222', '+4915133333333'];
		const result = await send(
			{ ...dialog360, recipient: '={{ $json.phone }}', source: 'url', videoUrl: '={{ $json.url }}' },
			recipients.map((phone, index) => ({ json: { phone, url: `https://cdn.example.com/${index}.mp4` } })),
		);
		expect(result.items.map((item) => [item.json.recipient, item.pairedItem])).toEqual([
			['4915111111111', { item: 0 }],
			['4915122222222', { item: 1 }],
			['4915133333333', { item: 2 }],
		]);
		expect(emulator().messagesCreated().map((request) => (request.json as { video: { link: string } }).video.link).sort()).toEqual([
			'https://cdn.example.com/0.mp4',
			'https://cdn.example.com/1.mp4',
			'https://cdn.example.com/2.mp4',
		]);
	});

	describe('Continue On Fail', () => {
		test('a bad item becomes an error item naming item and field; the others are still sent', async () => {
			const result = await send(
				{ ...dialog360, recipient: '={{ $json.phone }}', source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' },
				[{ json: { phone: '+4915111111111' } }, { json: { phone: 'call me' } }, { json: { phone: '+4915133333333' } }],
				{ continueOnFail: true },
			);
			expect(result.error).toBeUndefined();
			expect(result.items).toHaveLength(3);
			expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
			expect(result.items[0].json.status).toBe('accepted');
			expect(result.items[1].json.error).toBe('Invalid "Phone Number" in item 1: "call me" contains characters that are not digits');
			expect(result.items[1].json.description).toMatch(/international format/);
			expect(result.items[2].json.status).toBe('accepted');
			expect(emulator().messagesCreated().map((request) => (request.json as { to: string }).to).sort()).toEqual(['4915111111111', '4915133333333']);
		});

		test('a provider error becomes an error item with the provider\'s message and HTTP code', async () => {
			const result = await send(
				{ provider: 'lancepilot', workspaceId: D.workspaceId, contactBy: 'id', contactId: '={{ $json.contact }}', source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' },
				[{ json: { contact: '00000000-0000-4000-8000-000000000000' } }, { json: { contact: D.contactId } }],
				{ continueOnFail: true },
			);
			expect(result.items[0].json).toMatchObject({ error: 'Lancepilot: Contact not found. (404)', httpCode: '404' });
			expect(result.items[1].json.status).toBe('created');
			expect(emulator().messagesCreated()).toHaveLength(1);
		});
	});

	describe('without Continue On Fail', () => {
		test('a bad item stops the run before any item is sent, with an error naming item and field', async () => {
			const result = await send(
				{ ...dialog360, recipient: '={{ $json.phone }}', source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' },
				[{ json: { phone: '+4915111111111' } }, { json: { phone: '+49 151' } }],
			);
			expect(result.items).toEqual([]);
			expect(result.error?.message).toBe('Invalid "Phone Number" in item 1: "+49 151" has 5 digits; a phone number with country code has 8 to 15');
			expect(result.error?.name).toBe('NodeOperationError');
			expect(emulator().requests).toEqual([]);
		});
	});
});

test('a caption keeps its line breaks; a whitespace-only caption is left out', async () => {
	const caption = 'Line one\n\n  - indented point\n';
	await send({ ...dialog360, source: 'url', videoUrl: 'https://cdn.example.com/a.mp4', caption }, [{}]);
	await send({ ...dialog360, source: 'url', videoUrl: 'https://cdn.example.com/b.mp4', caption: ' \n ' }, [{}]);
	const [first, second] = emulator().requests.sort((a, b) => a.id - b.id);
	expect((first.json as { video: { caption: string } }).video.caption).toBe(caption);
	expect((second.json as { video: object }).video).toEqual({ link: 'https://cdn.example.com/b.mp4' });
});
