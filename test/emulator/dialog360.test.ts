import { D, D360_AUTH, expectMetaError, http, mp4Bytes, postForm, postJson, toBytes, webFormDataBody, type PartSpec } from './helpers';
import { DIALOG360_MAX_MEDIA_BYTES, startEmulator, type Emulator } from './server';
import { sha256Hex } from './values';

let emu: Emulator;
beforeAll(async () => {
	emu = await startEmulator();
});
afterEach(() => emu.reset());
afterAll(() => emu.close());

const TO = D.contactNumber.slice(1); // 4915123456789
const LINK = 'https://cdn.example.com/clip.mp4';
const video = mp4Bytes(3000);

const upload = (parts: PartSpec[], headers: Record<string, string> = D360_AUTH) =>
	postForm(`${emu.dialog360BaseUrl}/media`, parts, headers);
const videoParts = (overrides: Partial<PartSpec> = {}): PartSpec[] => [
	{ name: 'messaging_product', value: 'whatsapp' },
	{ name: 'file', value: video, filename: 'clip.mp4', contentType: 'video/mp4', ...overrides },
];
async function uploadVideo(): Promise<string> {
	const res = await upload(videoParts());
	expect(res.status).toBe(200);
	return (res.json as { id: string }).id;
}
const send = (body: unknown) => postJson(`${emu.dialog360BaseUrl}/messages`, body, D360_AUTH);
const message = (video: Record<string, unknown> = { link: LINK }, extra: Record<string, unknown> = {}) => ({
	messaging_product: 'whatsapp',
	recipient_type: 'individual',
	to: TO,
	type: 'video',
	video,
	...extra,
});

describe('360dialog authentication', () => {
	it.each([
		['no key', {}],
		['a wrong key', { 'D360-API-KEY': 'wrong' }],
		['a Bearer token instead', { Authorization: `Bearer ${D.dialog360ApiKey}` }],
		['the Lancepilot token', { 'D360-API-KEY': D.lancepilotToken }],
	])('answers 401 in 360dialog’s own shape for %s', async (_label, headers: Record<string, string>) => {
		for (const path of ['/whatsapp_business_profile?fields=about', '/v1/messages', '/123456789012345']) {
			const res = await http(`${emu.dialog360BaseUrl}${path}`, { headers });
			expect(res.status).toBe(401);
			expect(res.json).toEqual({ error: 'Invalid request' });
		}
		expect((await postJson(`${emu.dialog360BaseUrl}/messages`, message(), headers)).status).toBe(401);
		expect((await upload(videoParts(), headers)).status).toBe(401);
		expect(emu.messagesCreated()).toHaveLength(0);
		expect(emu.uploads()).toHaveLength(0);
	});

	it('accepts the key header in any letter case', async () => {
		const res = await http(`${emu.dialog360BaseUrl}/whatsapp_business_profile?fields=about`, {
			headers: { 'd360-api-key': D.dialog360ApiKey },
		});
		expect(res.status).toBe(200);
	});
});

describe('360dialog business profile', () => {
	it('answers the credential test', async () => {
		const res = await http(`${emu.dialog360BaseUrl}/whatsapp_business_profile?fields=about`, { headers: D360_AUTH });
		expect(res.status).toBe(200);
		expect(res.json).toEqual({ data: [{ about: 'Demo business', messaging_product: 'whatsapp' }] });
		expect(emu.requests[0].query).toEqual({ fields: 'about' });
	});

	it('returns all fields without a fields parameter and rejects unknown fields', async () => {
		const all = await http(`${emu.dialog360BaseUrl}/whatsapp_business_profile`, { headers: D360_AUTH });
		expect(all.json).toEqual({ data: [expect.objectContaining({ about: 'Demo business', vertical: 'OTHER', messaging_product: 'whatsapp' })] });
		const bad = await http(`${emu.dialog360BaseUrl}/whatsapp_business_profile?fields=about,secret`, { headers: D360_AUTH });
		expectMetaError(bad, 100, 'secret');
	});

	it('rejects a wrong method', async () => {
		const res = await http(`${emu.dialog360BaseUrl}/whatsapp_business_profile`, { method: 'POST', headers: D360_AUTH });
		expectMetaError(res, 100, 'does not support POST');
	});
});

describe('360dialog media upload', () => {
	it('stores an mp4 uploaded with form-data and answers a numeric id', async () => {
		const res = await upload(videoParts({ filename: 'my clip ü.mp4' }));
		expect(res.status).toBe(200);
		expect(res.json).toEqual({ id: expect.stringMatching(/^[1-9][0-9]{14}$/) });
		const id = (res.json as { id: string }).id;
		expect(emu.storedMedia()).toEqual([
			expect.objectContaining({ id, filename: 'my clip ü.mp4', mimeType: 'video/mp4', size: 3000, sha256: sha256Hex(video) }),
		]);
		expect(emu.uploads()).toHaveLength(1);
		expect(emu.uploads()[0].created).toEqual({ kind: 'media', provider: 'dialog360', mediaId: id });
		expect(emu.uploads()[0].multipart?.map((p) => [p.name, p.value])).toEqual([
			['messaging_product', 'whatsapp'],
			['file', undefined],
		]);
	});

	it('accepts a 3gpp upload encoded by undici and an optional matching type part', async () => {
		const { body, contentType } = await webFormDataBody([
			{ name: 'messaging_product', value: 'whatsapp' },
			{ name: 'type', value: 'video/3gpp' },
			{ name: 'file', value: video, filename: 'clip.3gp', contentType: 'video/3gpp' },
		]);
		const res = await http(`${emu.dialog360BaseUrl}/media`, {
			method: 'POST',
			headers: { ...D360_AUTH, 'Content-Type': contentType },
			body: toBytes(body),
		});
		expect(res.status).toBe(200);
		expect(emu.storedMedia()[0].mimeType).toBe('video/3gpp');
	});

	it('accepts other WhatsApp media types and exactly 16 MB', async () => {
		expect((await upload(videoParts({ filename: 'a.png', contentType: 'image/png' }))).status).toBe(200);
		expect((await upload(videoParts({ filename: 'a.ogg', contentType: 'audio/ogg' }))).status).toBe(200);
		const atLimit = await upload(videoParts({ value: Buffer.alloc(DIALOG360_MAX_MEDIA_BYTES, 2) }));
		expect(atLimit.status).toBe(200);
	});

	it.each<[string, PartSpec[], number, string]>([
		['no messaging_product', [{ name: 'file', value: video, filename: 'a.mp4', contentType: 'video/mp4' }], 100, 'messaging_product'],
		['a wrong messaging_product', [{ name: 'messaging_product', value: 'WhatsApp' }, ...videoParts().slice(1)], 100, 'messaging_product'],
		['no file', [{ name: 'messaging_product', value: 'whatsapp' }], 100, 'parameter file is required'],
		['a file without filename', [{ name: 'messaging_product', value: 'whatsapp' }, { name: 'file', value: 'bytes' }], 100, 'Param file'],
		['video/quicktime', videoParts({ contentType: 'video/quicktime' }), 131053, 'video/quicktime'],
		['application/octet-stream', videoParts({ contentType: 'application/octet-stream' }), 131053, 'application/octet-stream'],
		['an empty file', videoParts({ value: Buffer.alloc(0) }), 131053, 'Param file is empty'],
		['an unknown part', [...videoParts(), { name: 'caption', value: 'x' }], 100, '"caption"'],
		['a duplicate file', [...videoParts(), videoParts()[1]], 100, 'Param file was sent 2 times'],
		['a type part that disagrees', [...videoParts(), { name: 'type', value: 'image/png' }], 100, 'Param type'],
	])('rejects %s', async (_label, parts, code, details) => {
		const res = await upload(parts);
		expectMetaError(res, code, details);
		expect(emu.uploads()).toHaveLength(0);
		expect(emu.storedMedia()).toHaveLength(0);
	});

	it('rejects a file over 16 MB with 131053', async () => {
		const res = await upload(videoParts({ value: Buffer.alloc(DIALOG360_MAX_MEDIA_BYTES + 1, 2) }));
		const body = expectMetaError(res, 131053, `${DIALOG360_MAX_MEDIA_BYTES + 1} bytes`);
		expect(body.error.message).toBe('(#131053) Media upload error');
	});

	it('rejects a JSON upload and malformed multipart with code 100', async () => {
		const json = await postJson(`${emu.dialog360BaseUrl}/media`, { messaging_product: 'whatsapp', file: LINK }, D360_AUTH);
		expectMetaError(json, 100, 'multipart/form-data');
		const broken = await http(`${emu.dialog360BaseUrl}/media`, {
			method: 'POST',
			headers: { ...D360_AUTH, 'Content-Type': 'multipart/form-data; boundary=abc' },
			body: '--abc\r\nContent-Disposition: form-data; name="messaging_product"\r\n\r\nwhatsapp',
		});
		expectMetaError(broken, 100, 'not valid multipart/form-data');
	});

	it('rejects GET /media', async () => {
		expectMetaError(await http(`${emu.dialog360BaseUrl}/media`, { headers: D360_AUTH }), 100, 'media');
	});
});

describe('360dialog media lookup and delete', () => {
	it('describes, serves and deletes an uploaded medium', async () => {
		const id = await uploadVideo();
		const info = await http(`${emu.dialog360BaseUrl}/${id}`, { headers: D360_AUTH });
		expect(info.status).toBe(200);
		expect(info.json).toEqual({
			messaging_product: 'whatsapp',
			url: `${emu.dialog360BaseUrl}/media-download/${id}`,
			mime_type: 'video/mp4',
			sha256: sha256Hex(video),
			file_size: video.length,
			id,
		});

		const download = await fetch(`${emu.dialog360BaseUrl}/media-download/${id}`, { headers: D360_AUTH });
		expect(download.status).toBe(200);
		expect(download.headers.get('content-type')).toBe('video/mp4');
		expect(Buffer.from(await download.arrayBuffer()).equals(video)).toBe(true);
		expect((await http(`${emu.dialog360BaseUrl}/media-download/${id}`)).status).toBe(401);

		const deleted = await http(`${emu.dialog360BaseUrl}/${id}`, { method: 'DELETE', headers: D360_AUTH });
		expect(deleted.status).toBe(200);
		expect(deleted.json).toEqual({ success: true });
		expect(emu.storedMedia()).toHaveLength(0);

		const gone = expectMetaError(await http(`${emu.dialog360BaseUrl}/${id}`, { headers: D360_AUTH }), 100, id);
		expect(gone.error.error_subcode).toBe(33);
		expectMetaError(await http(`${emu.dialog360BaseUrl}/${id}`, { method: 'DELETE', headers: D360_AUTH }), 100, id);
		expect((await http(`${emu.dialog360BaseUrl}/media-download/${id}`, { headers: D360_AUTH })).status).toBe(404);
	});

	it('answers an unknown id with code 100', async () => {
		expectMetaError(await http(`${emu.dialog360BaseUrl}/999999999999999`, { headers: D360_AUTH }), 100, '999999999999999');
	});

	it('answers an unknown multi-segment path with code 2500', async () => {
		const res = await postJson(`${emu.dialog360BaseUrl}/v1/messages`, message(), D360_AUTH);
		expectMetaError(res, 2500, '/v1/messages');
	});
});

describe('360dialog send video message', () => {
	it('sends by link', async () => {
		const res = await send(message({ link: LINK, caption: 'Hi 🎬' }));
		expect(res.status).toBe(200);
		expect(res.json).toEqual({
			messaging_product: 'whatsapp',
			contacts: [{ input: TO, wa_id: TO }],
			messages: [{ id: expect.stringMatching(/^wamid\.[A-Za-z0-9+/=]{20,}$/), message_status: 'accepted' }],
		});
		const [record] = emu.messagesCreated('dialog360');
		expect(record.created).toEqual({
			kind: 'message',
			provider: 'dialog360',
			messageId: (res.json as { messages: Array<{ id: string }> }).messages[0].id,
			recipient: TO,
			source: 'link',
			caption: 'Hi 🎬',
		});
		expect(record.json).toEqual(message({ link: LINK, caption: 'Hi 🎬' }));
		expect(emu.messagesCreated('lancepilot')).toHaveLength(0);
	});

	it('sends an uploaded media id with every optional field', async () => {
		const id = await uploadVideo();
		const res = await send(
			message(
				{ id, caption: '🎬'.repeat(1024) },
				{ context: { message_id: 'wamid.previous' }, biz_opaque_callback_data: 'x'.repeat(512) },
			),
		);
		expect(res.status).toBe(200);
		expect(emu.messagesCreated()[0].created).toMatchObject({ source: 'media-id' });
	});

	it('accepts a message without recipient_type', async () => {
		const body = message();
		delete (body as Partial<typeof body>).recipient_type;
		expect((await send(body)).status).toBe(200);
	});

	it.each<[string, unknown, string]>([
		['an array body', [message()], 'JSON object'],
		['an unknown top-level key', message({ link: LINK }, { preview_url: true }), 'Unexpected key "preview_url" on param "<root>"'],
		['a missing messaging_product', { ...message(), messaging_product: undefined }, 'messaging_product'],
		['a wrong messaging_product', message({ link: LINK }, { messaging_product: 'sms' }), 'messaging_product'],
		['a group recipient_type', message({ link: LINK }, { recipient_type: 'group' }), 'recipient_type'],
		['a missing to', { ...message(), to: undefined }, 'parameter to'],
		['a to with +', message({ link: LINK }, { to: `+${TO}` }), 'Param to'],
		['a too short to', message({ link: LINK }, { to: '1234567' }), 'Param to'],
		['a too long to', message({ link: LINK }, { to: '1234567890123456' }), 'Param to'],
		['a to with spaces', message({ link: LINK }, { to: '49 151 23456789' }), 'Param to'],
		['a numeric to', message({ link: LINK }, { to: Number(TO) }), 'Param to'],
		['a missing type', { ...message(), type: undefined }, 'parameter type'],
		['type image', message({ link: LINK }, { type: 'image' }), 'Param type'],
		['a missing video', { ...message(), video: undefined }, 'parameter video'],
		['a string video', message({ link: LINK }, { video: LINK }), 'Param video'],
		['both id and link', message({ id: '123456789012345', link: LINK }), 'both'],
		['neither id nor link', message({ caption: 'hi' }), 'neither'],
		['an unknown video key', message({ link: LINK, filename: 'a.mp4' }), 'Unexpected key "filename" on param "video"'],
		['an unknown media id', message({ id: '123456789012345' }), "video['id']"],
		['a numeric media id', message({ id: 123456789012345 }), "video['id']"],
		['an ftp link', message({ link: 'ftp://example.com/a.mp4' }), "video['link']"],
		['a relative link', message({ link: '/a.mp4' }), "video['link']"],
		['a numeric caption', message({ link: LINK, caption: 1 }), "video['caption']"],
		['a 1025-character caption', message({ link: LINK, caption: 'a'.repeat(1025) }), "video['caption']"],
		['a string context', message({ link: LINK }, { context: 'wamid.x' }), 'Param context'],
		['a context without message_id', message({ link: LINK }, { context: {} }), "context['message_id']"],
		['an unknown context key', message({ link: LINK }, { context: { message_id: 'wamid.x', from: '1' } }), 'param "context"'],
		['numeric callback data', message({ link: LINK }, { biz_opaque_callback_data: 1 }), 'biz_opaque_callback_data'],
		['513 characters of callback data', message({ link: LINK }, { biz_opaque_callback_data: 'x'.repeat(513) }), 'biz_opaque_callback_data'],
	])('rejects %s with code 100 naming the field', async (_label, body, details) => {
		const res = await send(body);
		const error = expectMetaError(res, 100, details);
		expect(error.error.message).toBe('(#100) Invalid parameter');
		expect(error.error.type).toBe('OAuthException');
		expect(emu.messagesCreated()).toHaveLength(0);
	});

	it('rejects a media id that is not a video', async () => {
		const res = await upload(videoParts({ filename: 'a.png', contentType: 'image/png' }));
		const id = (res.json as { id: string }).id;
		expectMetaError(await send(message({ id })), 100, 'image/png');
	});

	it('rejects non-JSON bodies and malformed JSON', async () => {
		const form = await postForm(
			`${emu.dialog360BaseUrl}/messages`,
			[{ name: 'messaging_product', value: 'whatsapp' }, { name: 'to', value: TO }],
			D360_AUTH,
		);
		expectMetaError(form, 100, 'application/json');
		const noType = await http(`${emu.dialog360BaseUrl}/messages`, { method: 'POST', headers: D360_AUTH, body: JSON.stringify(message()) });
		expectMetaError(noType, 100, 'application/json');
		const malformed = await http(`${emu.dialog360BaseUrl}/messages`, {
			method: 'POST',
			headers: { ...D360_AUTH, 'Content-Type': 'application/json' },
			body: '{"messaging_product": "whatsapp",',
		});
		expectMetaError(malformed, 100, 'not valid JSON');
		expect(emu.messagesCreated()).toHaveLength(0);
	});

	it('rejects GET /messages', async () => {
		expectMetaError(await http(`${emu.dialog360BaseUrl}/messages`, { headers: D360_AUTH }), 100, 'messages');
	});
});
