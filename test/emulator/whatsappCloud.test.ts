import {
	D,
	D360_AUTH,
	META_AUTH,
	expectMetaError,
	http,
	mp4Bytes,
	postForm,
	postJson,
	toBytes,
	webFormDataBody,
	type PartSpec,
} from './helpers';
import { DIALOG360_MAX_MEDIA_BYTES, metaErrorBody, startEmulator, type Emulator } from './server';
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
const V = D.metaGraphApiVersion;
const PHONE = D.metaPhoneNumberId;
const OTHER_PHONE = '109999999999999';

const phoneUrl = (version: string = V, phoneNumberId: string = PHONE) => `${emu.metaBaseUrl}/${version}/${phoneNumberId}`;
const messagesUrl = (version?: string, phoneNumberId?: string) => `${phoneUrl(version, phoneNumberId)}/messages`;
const mediaUrl = (version?: string, phoneNumberId?: string) => `${phoneUrl(version, phoneNumberId)}/media`;

const upload = (parts: PartSpec[], headers: Record<string, string> = META_AUTH, url = mediaUrl()) => postForm(url, parts, headers);
const videoParts = (overrides: Partial<PartSpec> = {}): PartSpec[] => [
	{ name: 'messaging_product', value: 'whatsapp' },
	{ name: 'file', value: video, filename: 'clip.mp4', contentType: 'video/mp4', ...overrides },
];
async function uploadVideo(): Promise<string> {
	const res = await upload(videoParts());
	expect(res.status).toBe(200);
	return (res.json as { id: string }).id;
}
const send = (body: unknown, headers: Record<string, string> = META_AUTH, url = messagesUrl()) => postJson(url, body, headers);
const message = (video: Record<string, unknown> = { link: LINK }, extra: Record<string, unknown> = {}) => ({
	messaging_product: 'whatsapp',
	recipient_type: 'individual',
	to: TO,
	type: 'video',
	video,
	...extra,
});

/** Meta's 401 for a token it cannot use: Graph API's shape, no error_data. */
function expectTokenError(res: { status: number; json: unknown }): void {
	expect(res.status).toBe(401);
	expect(res.json).toEqual({
		error: {
			message: 'Invalid OAuth access token - Cannot parse access token',
			type: 'OAuthException',
			code: 190,
			fbtrace_id: expect.stringMatching(/^A[A-Za-z0-9_-]+$/),
		},
	});
}

function expectUnsupported(res: { status: number; json: unknown }, method: string, objectId: string): void {
	const body = expectMetaError(res, 100, `Object with ID '${objectId}'`);
	expect(body.error).toMatchObject({
		message: `Unsupported ${method} request. Object with ID '${objectId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
		type: 'GraphMethodException',
		error_subcode: 33,
	});
}

describe('Meta mounting', () => {
	it('serves the Graph API root under /meta', () => {
		expect(emu.metaBaseUrl).toBe(`http://127.0.0.1:${emu.port}/meta`);
		expect(D).toMatchObject({
			metaAccessToken: 'meta_test_token_0123456789',
			metaPhoneNumberId: '106540352242922',
			metaBusinessAccountId: '102290129340398',
			metaGraphApiVersion: 'v26.0',
		});
	});

	it('records the provider as whatsappCloud with the path below the mount', async () => {
		await http(phoneUrl(), { headers: META_AUTH });
		expect(emu.requests.map((r) => [r.provider, r.method, r.path, r.status])).toEqual([
			['whatsappCloud', 'GET', `/${V}/${PHONE}`, 200],
		]);
	});
});

describe('Meta authentication', () => {
	it.each([
		['no Authorization header', {}],
		['a wrong token', { Authorization: 'Bearer wrong' }],
		['the token without the Bearer scheme', { Authorization: D.metaAccessToken }],
		['a Basic scheme', { Authorization: `Basic ${D.metaAccessToken}` }],
		['a Bearer scheme without a token', { Authorization: 'Bearer ' }],
		['the 360dialog key header', { 'D360-API-KEY': D.dialog360ApiKey }],
		['the 360dialog key as Bearer token', { Authorization: `Bearer ${D.dialog360ApiKey}` }],
		['the Lancepilot token', { Authorization: `Bearer ${D.lancepilotToken}` }],
	])('answers 401 with code 190 for %s on every route', async (_label, headers: Record<string, string>) => {
		for (const url of [phoneUrl(), `${emu.metaBaseUrl}/v1/unknown/path/here`, `${emu.metaBaseUrl}/media-download/1`]) {
			expectTokenError(await http(url, { headers }));
		}
		expectTokenError(await send(message(), headers));
		expectTokenError(await upload(videoParts(), headers));
		expect(emu.messagesCreated()).toHaveLength(0);
		expect(emu.uploads()).toHaveLength(0);
		expect(emu.storedMedia()).toHaveLength(0);
	});

	it('refuses a token passed as ?access_token= instead of the header', async () => {
		expectTokenError(await http(`${phoneUrl()}?access_token=${D.metaAccessToken}`));
	});

	it('refuses two Authorization headers even when one is right', async () => {
		const headers = new Headers();
		headers.append('Authorization', `Bearer ${D.metaAccessToken}`);
		headers.append('Authorization', 'Bearer other');
		// fetch joins repeated headers with ", ", which is no valid token.
		expectTokenError(await http(phoneUrl(), { headers }));
	});

	it('accepts the scheme in any letter case and every configured token', async () => {
		expect((await http(phoneUrl(), { headers: { authorization: `bearer ${D.metaAccessToken}` } })).status).toBe(200);
		const custom = await startEmulator({ metaAccessTokens: ['token-a', 'token-b'] });
		try {
			for (const token of ['token-a', 'token-b']) {
				expect((await http(`${custom.metaBaseUrl}/${V}/${PHONE}`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
			}
			expectTokenError(await http(`${custom.metaBaseUrl}/${V}/${PHONE}`, { headers: META_AUTH }));
		} finally {
			await custom.close();
		}
	});

	it.each([
		['metaAccessTokens', { metaAccessTokens: [] }],
		['metaAccessTokens', { metaAccessTokens: [''] }],
		['metaPhoneNumberIds', { metaPhoneNumberIds: [] }],
	])('refuses an empty %s option', async (label, options) => {
		await expect(startEmulator(options)).rejects.toThrow(`${label} must be a non-empty list of non-empty strings`);
	});
});

describe('Meta paths, version and phone number id', () => {
	it.each([
		['no version', `/${PHONE}/messages`],
		['a version without v', `/26.0/${PHONE}/messages`],
		['a version without minor', `/v26/${PHONE}/messages`],
		['a capital V', `/V26.0/${PHONE}/messages`],
		['a version with a patch level', `/v26.0.1/${PHONE}/messages`],
		['the version twice', `/${V}/${V}/${PHONE}/messages`],
		['a trailing slash', `/${V}/${PHONE}/messages/`],
		['a doubled slash', `/${V}//${PHONE}/messages`],
		['the bare version', `/${V}`],
		['the bare mount', ''],
	])('answers %s with code 2500 naming the path', async (_label, path) => {
		const res = await send(message(), META_AUTH, `${emu.metaBaseUrl}${path}`);
		const body = expectMetaError(res, 2500, `Unknown path components: ${path || '/'}`);
		expect(body.error.message).toBe(`Unknown path components: ${path || '/'}`);
		expect(emu.messagesCreated()).toHaveLength(0);
	});

	it('accepts any version of the form vN.N', async () => {
		for (const version of ['v26.0', 'v19.0', 'v100.1']) {
			expect((await send(message(), META_AUTH, messagesUrl(version))).status).toBe(200);
		}
		expect(emu.messagesCreated('whatsappCloud').map((r) => r.path)).toEqual([
			`/v26.0/${PHONE}/messages`,
			`/v19.0/${PHONE}/messages`,
			`/v100.1/${PHONE}/messages`,
		]);
	});

	it.each([
		['messages', (id: string) => send(message(), META_AUTH, messagesUrl(V, id)), 'post', [D.metaBusinessAccountId]],
		['media', (id: string) => upload(videoParts(), META_AUTH, mediaUrl(V, id)), 'post', [D.metaBusinessAccountId]],
		['phone number details', (id: string) => http(phoneUrl(V, id), { headers: META_AUTH }), 'get', []],
	])('answers %s for another phone number id with code 100 subcode 33', async (_label, call, method, moreIds) => {
		for (const id of [OTHER_PHONE, `+${PHONE}`, `${PHONE}0`, 'me', ...moreIds]) {
			expectUnsupported(await call(id), method, id);
		}
		expect(emu.messagesCreated()).toHaveLength(0);
		expect(emu.uploads()).toHaveLength(0);
	});

	it('serves every configured phone number id and records which one was used', async () => {
		const custom = await startEmulator({ metaPhoneNumberIds: [PHONE, OTHER_PHONE] });
		try {
			for (const id of [PHONE, OTHER_PHONE]) {
				const res = await postJson(`${custom.metaBaseUrl}/${V}/${id}/messages`, message(), META_AUTH);
				expect(res.status).toBe(200);
				const details = await http(`${custom.metaBaseUrl}/${V}/${id}`, { headers: META_AUTH });
				expect(details.json).toMatchObject({ id });
			}
			expect(custom.messagesCreated('whatsappCloud').map((r) => r.path)).toEqual([
				`/${V}/${PHONE}/messages`,
				`/${V}/${OTHER_PHONE}/messages`,
			]);
		} finally {
			await custom.close();
		}
	});

	it('answers an unknown edge of the phone number with code 2500', async () => {
		expectMetaError(await send(message(), META_AUTH, `${phoneUrl()}/message`), 2500, 'Unknown path components: /message');
		expectMetaError(await send(message(), META_AUTH, `${phoneUrl()}/messages/extra`), 2500, `/${V}/${PHONE}/messages/extra`);
	});

	it.each([
		['GET', 'messages'],
		['PUT', 'messages'],
		['DELETE', 'messages'],
		['GET', 'media'],
	])('answers %s on /%s with code 100 subcode 33', async (method, edge) => {
		const res = await http(`${phoneUrl()}/${edge}`, { method, headers: META_AUTH });
		expectUnsupported(res, method.toLowerCase(), PHONE);
	});
});

describe('Meta phone number details (credential test)', () => {
	it('answers display_phone_number, verified_name and id', async () => {
		const res = await http(phoneUrl(), { headers: META_AUTH });
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('application/json');
		expect(res.json).toEqual({ display_phone_number: D.metaDisplayPhoneNumber, verified_name: D.metaVerifiedName, id: PHONE });
	});

	it('honours ?fields= and always adds the id, as Graph API does', async () => {
		const res = await http(`${phoneUrl()}?fields=verified_name,quality_rating`, { headers: META_AUTH });
		expect(res.json).toEqual({ verified_name: D.metaVerifiedName, quality_rating: 'GREEN', id: PHONE });
		const bad = await http(`${phoneUrl()}?fields=verified_name,access_token`, { headers: META_AUTH });
		const body = expectMetaError(bad, 100, 'access_token');
		expect(body.error.message).toBe('(#100) Tried accessing nonexisting field (access_token) on node type (WhatsAppBusinessPhoneNumber)');
	});

	it.each(['POST', 'DELETE'])('answers %s on the phone number with code 100 subcode 33', async (method) => {
		expectUnsupported(await http(phoneUrl(), { method, headers: META_AUTH }), method.toLowerCase(), PHONE);
	});

	it('describes the business account and lists its phone numbers', async () => {
		const account = await http(`${emu.metaBaseUrl}/${V}/${D.metaBusinessAccountId}`, { headers: META_AUTH });
		expect(account.json).toEqual({ id: D.metaBusinessAccountId, name: expect.any(String) });
		const numbers = await http(`${emu.metaBaseUrl}/${V}/${D.metaBusinessAccountId}/phone_numbers`, { headers: META_AUTH });
		expect(numbers.json).toEqual({
			data: [{ display_phone_number: D.metaDisplayPhoneNumber, verified_name: D.metaVerifiedName, id: PHONE }],
		});
		const post = await http(`${emu.metaBaseUrl}/${V}/${D.metaBusinessAccountId}/phone_numbers`, { method: 'POST', headers: META_AUTH });
		expectUnsupported(post, 'post', D.metaBusinessAccountId);
	});
});

describe('Meta media upload', () => {
	it('stores an mp4 uploaded with form-data and answers a numeric id', async () => {
		const res = await upload(videoParts({ filename: 'my clip ü.mp4' }));
		expect(res.status).toBe(200);
		expect(res.json).toEqual({ id: expect.stringMatching(/^[1-9][0-9]{14}$/) });
		const id = (res.json as { id: string }).id;
		expect(emu.storedMedia()).toEqual([
			{
				id,
				provider: 'whatsappCloud',
				filename: 'my clip ü.mp4',
				mimeType: 'video/mp4',
				size: 3000,
				sha256: sha256Hex(video),
				data: video,
				uploadedAt: expect.any(Number),
			},
		]);
		expect(emu.uploads()).toHaveLength(1);
		expect(emu.uploads()[0]).toMatchObject({
			provider: 'whatsappCloud',
			method: 'POST',
			path: `/${V}/${PHONE}/media`,
			created: { kind: 'media', provider: 'whatsappCloud', mediaId: id },
		});
		expect(emu.uploads()[0].multipart?.map((p) => [p.name, p.value, p.filename, p.sha256])).toEqual([
			['messaging_product', 'whatsapp', undefined, sha256Hex(Buffer.from('whatsapp'))],
			['file', undefined, 'my clip ü.mp4', sha256Hex(video)],
		]);
	});

	it('accepts a 3gpp upload encoded by undici and an optional matching type part', async () => {
		const { body, contentType } = await webFormDataBody([
			{ name: 'messaging_product', value: 'whatsapp' },
			{ name: 'type', value: 'video/3gpp' },
			{ name: 'file', value: video, filename: 'clip.3gp', contentType: 'video/3gpp' },
		]);
		const res = await http(mediaUrl(), { method: 'POST', headers: { ...META_AUTH, 'Content-Type': contentType }, body: toBytes(body) });
		expect(res.status).toBe(200);
		expect(emu.storedMedia()[0]).toMatchObject({ mimeType: 'video/3gpp', provider: 'whatsappCloud' });
	});

	it('accepts other WhatsApp media types and exactly 16 MB', async () => {
		expect((await upload(videoParts({ filename: 'a.png', contentType: 'image/png' }))).status).toBe(200);
		expect((await upload(videoParts({ filename: 'a.ogg', contentType: 'audio/ogg' }))).status).toBe(200);
		expect((await upload(videoParts({ value: Buffer.alloc(DIALOG360_MAX_MEDIA_BYTES, 2) }))).status).toBe(200);
		expect(emu.storedMedia().map((m) => m.mimeType)).toEqual(['image/png', 'audio/ogg', 'video/mp4']);
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
		['a duplicate messaging_product', [videoParts()[0], ...videoParts()], 100, 'Param messaging_product was sent 2 times'],
		['a type part that disagrees', [...videoParts(), { name: 'type', value: 'image/png' }], 100, 'Param type'],
	])('rejects %s', async (_label, parts, code, details) => {
		expectMetaError(await upload(parts), code, details);
		expect(emu.uploads()).toHaveLength(0);
		expect(emu.storedMedia()).toHaveLength(0);
	});

	it('rejects a file over 16 MB with 131053', async () => {
		const res = await upload(videoParts({ value: Buffer.alloc(DIALOG360_MAX_MEDIA_BYTES + 1, 2) }));
		const body = expectMetaError(res, 131053, `${DIALOG360_MAX_MEDIA_BYTES + 1} bytes`);
		expect(body.error.message).toBe('(#131053) Media upload error');
		expect(emu.storedMedia()).toHaveLength(0);
	});

	it('rejects a JSON upload and malformed multipart with code 100', async () => {
		expectMetaError(await postJson(mediaUrl(), { messaging_product: 'whatsapp', file: LINK }, META_AUTH), 100, 'multipart/form-data');
		const broken = await http(mediaUrl(), {
			method: 'POST',
			headers: { ...META_AUTH, 'Content-Type': 'multipart/form-data; boundary=abc' },
			body: '--abc\r\nContent-Disposition: form-data; name="messaging_product"\r\n\r\nwhatsapp',
		});
		expectMetaError(broken, 100, 'not valid multipart/form-data');
	});

	it('keeps Meta’s media apart from 360dialog’s: an id is valid only where it was uploaded', async () => {
		const metaId = await uploadVideo();
		const d360 = await postForm(`${emu.dialog360BaseUrl}/media`, videoParts(), D360_AUTH);
		const d360Id = (d360.json as { id: string }).id;
		expect(emu.storedMedia().map((m) => [m.provider, m.id])).toEqual([
			['dialog360', d360Id],
			['whatsappCloud', metaId],
		]);
		expectMetaError(await send(message({ id: d360Id })), 100, "video['id']");
		expectMetaError(await postJson(`${emu.dialog360BaseUrl}/messages`, message({ id: metaId }), D360_AUTH), 100, "video['id']");
		expect((await send(message({ id: metaId }))).status).toBe(200);
		expect(emu.uploads().map((r) => r.created)).toEqual([
			{ kind: 'media', provider: 'whatsappCloud', mediaId: metaId },
			{ kind: 'media', provider: 'dialog360', mediaId: d360Id },
		]);
	});
});

describe('Meta media lookup and delete', () => {
	it('describes, serves and deletes an uploaded medium', async () => {
		const id = await uploadVideo();
		const info = await http(`${emu.metaBaseUrl}/${V}/${id}`, { headers: META_AUTH });
		expect(info.status).toBe(200);
		expect(info.json).toEqual({
			messaging_product: 'whatsapp',
			url: `${emu.metaBaseUrl}/media-download/${id}`,
			mime_type: 'video/mp4',
			sha256: sha256Hex(video),
			file_size: video.length,
			id,
		});

		const download = await fetch(`${emu.metaBaseUrl}/media-download/${id}`, { headers: META_AUTH });
		expect(download.status).toBe(200);
		expect(download.headers.get('content-type')).toBe('video/mp4');
		expect(Buffer.from(await download.arrayBuffer()).equals(video)).toBe(true);
		expectTokenError(await http(`${emu.metaBaseUrl}/media-download/${id}`));

		const deleted = await http(`${emu.metaBaseUrl}/${V}/${id}`, { method: 'DELETE', headers: META_AUTH });
		expect(deleted.status).toBe(200);
		expect(deleted.json).toEqual({ success: true });
		expect(emu.storedMedia()).toHaveLength(0);

		expectUnsupported(await http(`${emu.metaBaseUrl}/${V}/${id}`, { headers: META_AUTH }), 'get', id);
		expectUnsupported(await http(`${emu.metaBaseUrl}/${V}/${id}`, { method: 'DELETE', headers: META_AUTH }), 'delete', id);
		const gone = await http(`${emu.metaBaseUrl}/media-download/${id}`, { headers: META_AUTH });
		expect(gone.status).toBe(404);
		expect(gone.json).toEqual({
			error: expect.objectContaining({ code: 803, type: 'OAuthException', message: expect.stringContaining('(#803)') }),
		});
		expectMetaError(await send(message({ id })), 100, "video['id']");
	});

	it('answers an unknown id with code 100 subcode 33', async () => {
		expectUnsupported(await http(`${emu.metaBaseUrl}/${V}/999999999999999`, { headers: META_AUTH }), 'get', '999999999999999');
	});
});

describe('Meta send video message', () => {
	it('sends by link and records it as whatsappCloud', async () => {
		const res = await send(message({ link: LINK, caption: 'Hi 🎬' }));
		expect(res.status).toBe(200);
		expect(res.json).toEqual({
			messaging_product: 'whatsapp',
			contacts: [{ input: TO, wa_id: TO }],
			messages: [{ id: expect.stringMatching(/^wamid\.[A-Za-z0-9+/=]{20,}$/), message_status: 'accepted' }],
		});
		const [record] = emu.messagesCreated('whatsappCloud');
		expect(record.created).toEqual({
			kind: 'message',
			provider: 'whatsappCloud',
			messageId: (res.json as { messages: Array<{ id: string }> }).messages[0].id,
			recipient: TO,
			source: 'link',
			caption: 'Hi 🎬',
		});
		expect(record).toMatchObject({ method: 'POST', path: `/${V}/${PHONE}/messages`, json: message({ link: LINK, caption: 'Hi 🎬' }) });
		expect(record.headers.authorization).toBe(`Bearer ${D.metaAccessToken}`);
		expect(emu.messagesCreated('dialog360')).toHaveLength(0);
		expect(emu.messagesCreated('lancepilot')).toHaveLength(0);
		expect(emu.messagesCreated()).toHaveLength(1);
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
		expect(emu.messagesCreated('whatsappCloud')[0].created).toMatchObject({ source: 'media-id', recipient: TO });
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
		['neither to nor recipient', { ...message(), to: undefined }, 'The parameter to or recipient is required.'],
		['a to with +', message({ link: LINK }, { to: `+${TO}` }), 'Param to'],
		['a too short to', message({ link: LINK }, { to: '1234567' }), 'Param to'],
		['a too long to', message({ link: LINK }, { to: '1234567890123456' }), 'Param to'],
		['a numeric to', message({ link: LINK }, { to: Number(TO) }), 'Param to'],
		['a missing type', { ...message(), type: undefined }, 'parameter type'],
		['type image', message({ link: LINK }, { type: 'image' }), 'Param type'],
		['a missing video', { ...message(), video: undefined }, 'parameter video'],
		['both id and link', message({ id: '123456789012345', link: LINK }), 'both'],
		['neither id nor link', message({ caption: 'hi' }), 'neither'],
		['an unknown video key', message({ link: LINK, filename: 'a.mp4' }), 'Unexpected key "filename" on param "video"'],
		['an unknown media id', message({ id: '123456789012345' }), "video['id']"],
		['an ftp link', message({ link: 'ftp://example.com/a.mp4' }), "video['link']"],
		['a 1025-character caption', message({ link: LINK, caption: 'a'.repeat(1025) }), "video['caption']"],
		['a context without message_id', message({ link: LINK }, { context: {} }), "context['message_id']"],
		['513 characters of callback data', message({ link: LINK }, { biz_opaque_callback_data: 'x'.repeat(513) }), 'biz_opaque_callback_data'],
	])('rejects %s with code 100 naming the field', async (_label, body, details) => {
		const error = expectMetaError(await send(body), 100, details);
		expect(error.error.message).toBe('(#100) Invalid parameter');
		expect(error.error.type).toBe('OAuthException');
		expect(emu.messagesCreated()).toHaveLength(0);
	});

	it('rejects non-JSON bodies and malformed JSON', async () => {
		const form = await postForm(messagesUrl(), [{ name: 'messaging_product', value: 'whatsapp' }, { name: 'to', value: TO }], META_AUTH);
		expectMetaError(form, 100, 'application/json');
		const noType = await http(messagesUrl(), { method: 'POST', headers: META_AUTH, body: JSON.stringify(message()) });
		expectMetaError(noType, 100, 'application/json');
		const malformed = await http(messagesUrl(), {
			method: 'POST',
			headers: { ...META_AUTH, 'Content-Type': 'application/json' },
			body: '{"messaging_product": "whatsapp",',
		});
		expectMetaError(malformed, 100, 'not valid JSON');
		expect(emu.messagesCreated()).toHaveLength(0);
	});
});

describe('Meta faults', () => {
	it('answers a status fault in Graph API’s shape by status, without processing', async () => {
		const cases: Array<[number, number]> = [
			[401, 190],
			[403, 10],
			[429, 130429],
			[500, 2],
			[503, 2],
			[400, 1],
		];
		for (const [status, code] of cases) {
			const handle = emu.injectFault({ provider: 'whatsappCloud', path: `/${V}/${PHONE}/messages`, kind: 'status', status });
			const res = await send(message());
			expect(res.status).toBe(status);
			expect(res.json).toEqual({ error: expect.objectContaining({ code, fbtrace_id: expect.any(String) }) });
			expect(handle.applied).toBe(1);
		}
		expect((await send(message())).status).toBe(200);
		expect(emu.messagesCreated('whatsappCloud')).toHaveLength(1);
		expect(emu.requests.map((r) => r.fault)).toEqual([
			'status:401',
			'status:403',
			'status:429',
			'status:500',
			'status:503',
			'status:400',
			undefined,
		]);
	});

	it('marks server trouble as transient and keeps Retry-After', async () => {
		emu.injectFault({ provider: 'whatsappCloud', kind: 'status', status: 503, headers: { 'Retry-After': '3' } });
		const res = await send(message());
		expect(res.headers.get('retry-after')).toBe('3');
		expect(res.json).toEqual({
			error: {
				message: 'An unexpected error has occurred. Please retry your request later.',
				type: 'OAuthException',
				code: 2,
				is_transient: true,
				fbtrace_id: expect.any(String),
			},
		});
	});

	it('sends an injected Meta body verbatim', async () => {
		emu.injectFault({ provider: 'whatsappCloud', path: /\/messages$/, kind: 'status', status: 400, body: metaErrorBody(131056, 'pair rate limit') });
		const body = expectMetaError(await send(message()), 131056, 'pair rate limit');
		expect(body.error.message).toBe('(#131056) (Business Account, Consumer Account) pair rate limit hit');
		expect(emu.messagesCreated()).toHaveLength(0);
	});

	it('applies only to the named provider', async () => {
		emu.injectFault({ provider: 'whatsappCloud', kind: 'status', status: 500, times: Infinity });
		expect((await postJson(`${emu.dialog360BaseUrl}/messages`, message(), D360_AUTH)).status).toBe(200);
		expect((await send(message())).status).toBe(500);
		emu.clearFaults();
		emu.injectFault({ provider: 'dialog360', kind: 'status', status: 500, times: Infinity });
		expect((await send(message())).status).toBe(200);
		expect(emu.messagesCreated().map((r) => r.provider)).toEqual(['dialog360', 'whatsappCloud']);
	});

	it('creates the message and then hangs up on reset-after', async () => {
		emu.injectFault({ provider: 'whatsappCloud', method: 'POST', path: `/${V}/${PHONE}/messages`, kind: 'reset-after' });
		await expect(send(message())).rejects.toThrow();
		const created = emu.messagesCreated('whatsappCloud');
		expect(created).toHaveLength(1);
		expect(created[0]).toMatchObject({ responseSent: false, status: 200, fault: 'reset-after' });
	});

	it('creates nothing on reset-before and stores the upload on a late answer (delay)', async () => {
		emu.injectFault({ provider: 'whatsappCloud', path: `/${V}/${PHONE}/media`, kind: 'reset-before' });
		await expect(upload(videoParts())).rejects.toThrow();
		expect(emu.storedMedia()).toHaveLength(0);

		emu.injectFault({ provider: 'whatsappCloud', path: `/${V}/${PHONE}/media`, kind: 'delay', delayMs: 150 });
		const started = Date.now();
		const res = await upload(videoParts());
		expect(res.status).toBe(200);
		expect(Date.now() - started).toBeGreaterThanOrEqual(140);
		expect(emu.uploads().map((r) => r.fault)).toEqual(['delay:150ms']);
		expect(emu.storedMedia()).toHaveLength(1);
	});

	it('cuts a successful answer in half on malformed', async () => {
		emu.injectFault({ provider: 'whatsappCloud', kind: 'malformed' });
		const res = await send(message());
		expect(res.status).toBe(200);
		expect(res.json).toBeUndefined();
		expect(res.text.startsWith('{"messaging_product":"whatsapp"')).toBe(true);
		expect(emu.messagesCreated('whatsappCloud')).toHaveLength(1);
	});

	it('answers a too-large body with 413 in Meta’s shape', async () => {
		const small = await startEmulator({ maxBodyBytes: 1000 });
		try {
			const res = await postForm(`${small.metaBaseUrl}/${V}/${PHONE}/media`, videoParts(), META_AUTH);
			expectMetaError(res, 100, 'too large', 413);
			expect(small.requests[0]).toMatchObject({ provider: 'whatsappCloud', status: 413 });
		} finally {
			await small.close();
		}
	});

	it('waits out latency before processing', async () => {
		emu.setLatency(120);
		const started = Date.now();
		expect((await send(message())).status).toBe(200);
		expect(Date.now() - started).toBeGreaterThanOrEqual(110);
	});
});
