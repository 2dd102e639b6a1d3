import { D, LP_AUTH, http, mp4Bytes, postForm, postJson, toBytes, webFormDataBody } from './helpers';
import { LANCEPILOT_MAX_FILE_BYTES, LANCEPILOT_MESSAGES as M, startEmulator, type Emulator } from './server';
import { sha256Hex } from './values';

let emu: Emulator;
beforeAll(async () => {
	emu = await startEmulator();
});
afterEach(() => emu.reset());
afterAll(() => emu.close());

const UNKNOWN_UUID = '00000000-1111-4222-8333-444444444444';
const byNumber = (number: string, workspace: string = D.workspaceId): string =>
	`${emu.lancepilotBaseUrl}/workspaces/${workspace}/contacts/number/${number}/messages/video`;
const byContact = (contact: string = D.contactId, workspace: string = D.workspaceId): string =>
	`${emu.lancepilotBaseUrl}/workspaces/${workspace}/contacts/${contact}/messages/video`;
const NUMBER = encodeURIComponent(D.contactNumber); // %2B4915123456789
const LINK = 'https://cdn.example.com/videos/clip.mp4';

const validationError = (errors: Record<string, string[]>) => ({ message: 'Validation error', errors });

describe('Lancepilot authentication', () => {
	it.each([
		['no Authorization header', {}],
		['an unknown token', { Authorization: 'Bearer not-the-token' }],
		['a lower-case scheme', { Authorization: `bearer ${D.lancepilotToken}` }],
		['another scheme', { Authorization: `Token ${D.lancepilotToken}` }],
		['the 360dialog header instead', { 'D360-API-KEY': D.lancepilotToken }],
	])('answers 401 Unauthenticated for %s', async (_label, headers: Record<string, string>) => {
		for (const url of [`${emu.lancepilotBaseUrl}/workspaces`, `${emu.lancepilotBaseUrl}/nope`]) {
			const res = await http(url, { headers });
			expect(res.status).toBe(401);
			expect(res.json).toEqual({ message: 'Unauthenticated.' });
		}
		const send = await postJson(byNumber(NUMBER), { file: LINK }, headers);
		expect(send.status).toBe(401);
		expect(emu.messagesCreated()).toHaveLength(0);
	});

	it('accepts any of several configured tokens', async () => {
		const multi = await startEmulator({ lancepilotTokens: ['first', 'second'] });
		try {
			expect((await http(`${multi.lancepilotBaseUrl}/workspaces`, { headers: { Authorization: 'Bearer second' } })).status).toBe(200);
			expect((await http(`${multi.lancepilotBaseUrl}/workspaces`, { headers: LP_AUTH })).status).toBe(401);
		} finally {
			await multi.close();
		}
	});
});

describe('Lancepilot routing', () => {
	it('lists the seeded workspaces', async () => {
		const res = await http(`${emu.lancepilotBaseUrl}/workspaces`, { headers: LP_AUTH });
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('application/json');
		expect(res.json).toEqual({ data: [{ id: D.workspaceId, type: 'workspaces', attributes: { name: D.workspaceName } }] });
	});

	it.each([
		'/workspace',
		'/workspaces/',
		'//workspaces',
		`/workspaces/${D.workspaceId}/contacts/number/${NUMBER}/messages/text`,
		`/workspaces/${D.workspaceId}/contacts/number/${NUMBER}/messages/video/extra`,
	])('answers 404 Not found for %s', async (path) => {
		const res = await http(`${emu.lancepilotBaseUrl}${path}`, { method: 'POST', headers: LP_AUTH });
		expect(res.status).toBe(404);
		expect(res.json).toEqual({ message: 'Not found.', status: 404 });
	});

	it('answers 405 with Allow for a wrong method', async () => {
		const post = await http(`${emu.lancepilotBaseUrl}/workspaces`, { method: 'POST', headers: LP_AUTH });
		expect(post.status).toBe(405);
		expect(post.headers.get('allow')).toBe('GET, HEAD');
		const get = await http(byNumber(NUMBER), { headers: LP_AUTH });
		expect(get.status).toBe(405);
		expect(get.headers.get('allow')).toBe('POST');
		expect(get.json).toEqual({ message: expect.stringContaining('The GET method is not supported') });
		const put = await http(byContact(), { method: 'PUT', headers: LP_AUTH });
		expect(put.status).toBe(405);
	});

	it.each([UNKNOWN_UUID, 'not-a-uuid', 'demo'])('answers 404 Workspace not found for workspace %s', async (workspace) => {
		for (const url of [byNumber(NUMBER, workspace), byContact(D.contactId, workspace)]) {
			const res = await postJson(url, { file: LINK }, LP_AUTH);
			expect(res.status).toBe(404);
			expect(res.json).toEqual({ message: 'Workspace not found.', status: 404 });
		}
	});

	it.each([UNKNOWN_UUID, 'not-a-uuid', encodeURIComponent(D.contactNumber)])(
		'answers 404 Contact not found for contact %s',
		async (contact) => {
			const res = await postJson(byContact(contact), { file: LINK }, LP_AUTH);
			expect(res.status).toBe(404);
			expect(res.json).toEqual({ message: 'Contact not found.', status: 404 });
		},
	);
});

describe('Lancepilot send by number', () => {
	it('accepts %2B + digits and records the plus form', async () => {
		const res = await postJson(byNumber(NUMBER), { file: LINK, caption: 'Hello' }, LP_AUTH);
		expect(res.status).toBe(201);
		expect(res.json).toEqual({
			status: 201,
			message: 'Resource created successfully.',
			data: {
				id: expect.stringMatching(/^[0-9a-f-]{36}$/),
				type: 'messages',
				attributes: { contact: D.contactNumber, kind: 'video', caption: 'Hello', file: LINK },
			},
		});
		const [record] = emu.messagesCreated('lancepilot');
		expect(record.path).toBe(`/workspaces/${D.workspaceId}/contacts/number/%2B4915123456789/messages/video`);
		expect(record.lancepilot).toEqual({
			workspaceId: D.workspaceId,
			target: { kind: 'number', raw: '%2B4915123456789', decoded: '+4915123456789', form: 'plus', contactCreated: false },
		});
		expect(record.created).toMatchObject({ kind: 'message', provider: 'lancepilot', source: 'link', caption: 'Hello' });
		expect(record.json).toEqual({ file: LINK, caption: 'Hello' });
	});

	it('accepts bare digits and records the digits form', async () => {
		const res = await postJson(byNumber('4915123456789'), { file: LINK }, LP_AUTH);
		expect(res.status).toBe(201);
		expect(emu.messagesCreated()[0].lancepilot?.target).toMatchObject({ form: 'digits', contactCreated: false });
	});

	it('accepts a literal + (a path keeps it, unlike a query string) and records the raw segment', async () => {
		const res = await postJson(byNumber('+4915123456789'), { file: LINK }, LP_AUTH);
		expect(res.status).toBe(201);
		expect(emu.messagesCreated()[0].lancepilot?.target).toMatchObject({ raw: '+4915123456789', form: 'plus' });
	});

	it('creates an unknown but valid number as a contact once', async () => {
		const first = await postJson(byNumber('%2B14155550123'), { file: LINK }, LP_AUTH);
		expect(first.status).toBe(201);
		const second = await postJson(byNumber('14155550123'), { file: LINK }, LP_AUTH);
		expect(second.status).toBe(201);
		const targets = emu.messagesCreated().map((r) => r.lancepilot?.target);
		expect(targets).toEqual([
			expect.objectContaining({ form: 'plus', contactCreated: true }),
			expect.objectContaining({ form: 'digits', contactCreated: false }),
		]);
		emu.reset();
		await postJson(byNumber('14155550123'), { file: LINK }, LP_AUTH);
		expect(emu.messagesCreated()[0].lancepilot?.target).toMatchObject({ contactCreated: true });
	});

	it.each(['1234567', '1234567890123456', '%2B49%20151%2023456789', '%2B49-15123456789', 'abc', '%2B%2B4915123456789', '4915123456789%2B'])(
		'answers 422 for the invalid number %s',
		async (number) => {
			const res = await postJson(byNumber(number), { file: LINK }, LP_AUTH);
			expect(res.status).toBe(422);
			expect(res.json).toEqual(validationError({ number: ['The number must be a valid E.164 phone number.'] }));
			expect(emu.messagesCreated()).toHaveLength(0);
		},
	);

	it('reports number and body errors together, Laravel style', async () => {
		const res = await postJson(byNumber('12'), { caption: 5 }, LP_AUTH);
		expect(res.status).toBe(422);
		expect(res.json).toEqual(
			validationError({ number: [M.numberInvalid], file: [M.fileRequired], caption: [M.captionString] }),
		);
	});
});

describe('Lancepilot send by contact id', () => {
	it('sends to a known contact and reports the contact id', async () => {
		const res = await postJson(byContact(), { file: 'http://example.com/a.3gp' }, LP_AUTH);
		expect(res.status).toBe(201);
		expect(res.json).toMatchObject({
			data: { attributes: { contact: D.contactId, kind: 'video', caption: null, file: 'http://example.com/a.3gp' } },
		});
		expect(emu.messagesCreated()[0].lancepilot).toEqual({
			workspaceId: D.workspaceId,
			target: { kind: 'contact', contactId: D.contactId },
		});
	});

	it('omits data.id when configured, both by option and at runtime', async () => {
		emu.setLancepilotOmitMessageId(true);
		const res = await postJson(byContact(), { file: LINK }, LP_AUTH);
		expect(res.status).toBe(201);
		const data = (res.json as { data: Record<string, unknown> }).data;
		expect(data).not.toHaveProperty('id');
		expect(data.type).toBe('messages');
		expect(emu.messagesCreated()[0].created).not.toHaveProperty('messageId');
		emu.reset();
		expect(((await postJson(byContact(), { file: LINK }, LP_AUTH)).json as { data: object }).data).toHaveProperty('id');

		const noId = await startEmulator({ lancepilotOmitMessageId: true });
		try {
			const r = await postJson(`${noId.lancepilotBaseUrl}/workspaces/${D.workspaceId}/contacts/${D.contactId}/messages/video`, { file: LINK }, LP_AUTH);
			expect((r.json as { data: object }).data).not.toHaveProperty('id');
		} finally {
			await noId.close();
		}
	});
});

describe('Lancepilot JSON body validation', () => {
	it.each<[string, unknown, Record<string, string[]>]>([
		['no file', { caption: 'x' }, { file: [M.fileRequired] }],
		['a null file', { file: null }, { file: [M.fileRequired] }],
		['an empty file', { file: '' }, { file: [M.fileRequired] }],
		['a non-URL file', { file: 'clip.mp4' }, { file: [M.fileUrl] }],
		['an ftp URL', { file: 'ftp://example.com/clip.mp4' }, { file: [M.fileUrl] }],
		['a numeric file', { file: 42 }, { file: [M.fileUrl] }],
		['a numeric caption', { file: LINK, caption: 5 }, { caption: [M.captionString] }],
		['a null caption', { file: LINK, caption: null }, { caption: [M.captionString] }],
		['a 1025-character caption', { file: LINK, caption: 'a'.repeat(1025) }, { caption: [M.captionTooLong] }],
		['an unknown field', { file: LINK, type: 'video' }, { type: ['The type field is prohibited.'] }],
		['a nested video object', { video: { link: LINK } }, { video: ['The video field is prohibited.'], file: [M.fileRequired] }],
		['an array body', [{ file: LINK }], { body: [M.bodyNotObject] }],
	])('answers 422 for %s', async (_label, body, errors) => {
		const res = await postJson(byNumber(NUMBER), body, LP_AUTH);
		expect(res.status).toBe(422);
		expect(res.json).toEqual(validationError(errors));
		expect(emu.messagesCreated()).toHaveLength(0);
	});

	it('counts caption length in code points, not UTF-16 units', async () => {
		const emoji = '🎬'.repeat(1024); // 2048 UTF-16 units
		expect((await postJson(byContact(), { file: LINK, caption: emoji }, LP_AUTH)).status).toBe(201);
		const tooLong = await postJson(byContact(), { file: LINK, caption: `${emoji}!` }, LP_AUTH);
		expect(tooLong.json).toEqual(validationError({ caption: [M.captionTooLong] }));
	});

	it('accepts an empty caption and a JSON content type with charset', async () => {
		const res = await http(byContact(), {
			method: 'POST',
			headers: { ...LP_AUTH, 'Content-Type': 'application/json; charset=utf-8' },
			body: JSON.stringify({ file: LINK, caption: '' }),
		});
		expect(res.status).toBe(201);
		expect(res.json).toMatchObject({ data: { attributes: { caption: '' } } });
	});

	it('answers 400 for malformed JSON and 422 for an empty JSON body', async () => {
		const bad = await http(byContact(), { method: 'POST', headers: { ...LP_AUTH, 'Content-Type': 'application/json' }, body: '{"file":' });
		expect(bad.status).toBe(400);
		expect(bad.json).toEqual({ message: 'Malformed JSON body.' });
		const empty = await http(byContact(), { method: 'POST', headers: { ...LP_AUTH, 'Content-Type': 'application/json' } });
		expect(empty.status).toBe(422);
		expect(empty.json).toEqual(validationError({ file: [M.fileRequired] }));
	});

	it.each<[string, Record<string, string>, string | undefined]>([
		['text/plain', { 'Content-Type': 'text/plain' }, JSON.stringify({ file: LINK })],
		['form-urlencoded', { 'Content-Type': 'application/x-www-form-urlencoded' }, `file=${encodeURIComponent(LINK)}`],
		['no content type and no body', {}, undefined],
	])('answers 422 naming the body for %s', async (_label, headers, body) => {
		const init: RequestInit = { method: 'POST', headers: { ...LP_AUTH, ...headers } };
		if (body !== undefined) init.body = toBytes(body);
		const res = await http(byContact(), init);
		expect(res.status).toBe(422);
		expect(res.json).toEqual(validationError({ body: [M.bodyContentType] }));
	});
});

describe('Lancepilot multipart body validation', () => {
	const video = mp4Bytes(2048);

	it('accepts an mp4 upload with a caption and records the parts', async () => {
		const res = await postForm(
			byNumber(NUMBER),
			[
				{ name: 'file', value: video, filename: 'holiday clip.mp4', contentType: 'video/mp4' },
				{ name: 'caption', value: 'Schöne Grüße 🎬' },
			],
			LP_AUTH,
		);
		expect(res.status).toBe(201);
		expect(res.json).toMatchObject({
			data: { attributes: { contact: D.contactNumber, kind: 'video', caption: 'Schöne Grüße 🎬', file: 'holiday clip.mp4' } },
		});
		const [record] = emu.messagesCreated('lancepilot');
		expect(record.created).toMatchObject({ source: 'upload', caption: 'Schöne Grüße 🎬' });
		expect(record.multipart).toEqual([
			{ name: 'file', filename: 'holiday clip.mp4', contentType: 'video/mp4', size: 2048, sha256: sha256Hex(video) },
			{ name: 'caption', size: Buffer.byteLength('Schöne Grüße 🎬'), sha256: expect.any(String), value: 'Schöne Grüße 🎬' },
		]);
		expect(record.contentType).toMatch(/^multipart\/form-data; boundary=/);
	});

	it('accepts a 3gp upload encoded by undici, without caption', async () => {
		const { body, contentType } = await webFormDataBody([
			{ name: 'file', value: video, filename: 'clip.3gp', contentType: 'video/3gpp' },
		]);
		const res = await http(byContact(), { method: 'POST', headers: { ...LP_AUTH, 'Content-Type': contentType }, body: toBytes(body) });
		expect(res.status).toBe(201);
		expect(res.json).toMatchObject({ data: { attributes: { caption: null, file: 'clip.3gp' } } });
	});

	it('accepts exactly 16384 KB and rejects one byte more', async () => {
		const atLimit = await postForm(
			byContact(),
			[{ name: 'file', value: Buffer.alloc(LANCEPILOT_MAX_FILE_BYTES, 1), filename: 'big.mp4', contentType: 'video/mp4' }],
			LP_AUTH,
		);
		expect(atLimit.status).toBe(201);
		const over = await postForm(
			byContact(),
			[{ name: 'file', value: Buffer.alloc(LANCEPILOT_MAX_FILE_BYTES + 1, 1), filename: 'big.mp4', contentType: 'video/mp4' }],
			LP_AUTH,
		);
		expect(over.status).toBe(422);
		expect(over.json).toEqual(validationError({ file: ['The file field must not be greater than 16384 kilobytes.'] }));
	});

	it.each<[string, Parameters<typeof postForm>[1], Record<string, string[]>]>([
		['only a caption', [{ name: 'caption', value: 'hi' }], { file: [M.fileRequired] }],
		['a text file part', [{ name: 'file', value: 'https://example.com/a.mp4' }], { file: [M.fileNotFile] }],
		[
			'video/quicktime',
			[{ name: 'file', value: video, filename: 'a.mov', contentType: 'video/quicktime' }],
			{ file: ['The file field must be a file of type: mp4, 3gp.'] },
		],
		[
			'application/octet-stream',
			[{ name: 'file', value: video, filename: 'a.mp4', contentType: 'application/octet-stream' }],
			{ file: [M.fileType] },
		],
		['an empty file', [{ name: 'file', value: Buffer.alloc(0), filename: 'a.mp4', contentType: 'video/mp4' }], { file: [M.fileType] }],
		[
			'an unknown part',
			[
				{ name: 'file', value: video, filename: 'a.mp4', contentType: 'video/mp4' },
				{ name: 'messaging_product', value: 'whatsapp' },
			],
			{ messaging_product: ['The messaging_product field is prohibited.'] },
		],
		[
			'two file parts',
			[
				{ name: 'file', value: video, filename: 'a.mp4', contentType: 'video/mp4' },
				{ name: 'file', value: video, filename: 'b.mp4', contentType: 'video/mp4' },
			],
			{ file: ['The file field must not be sent more than once.'] },
		],
		[
			'a caption sent as a file',
			[
				{ name: 'file', value: video, filename: 'a.mp4', contentType: 'video/mp4' },
				{ name: 'caption', value: 'hi', filename: 'caption.txt', contentType: 'text/plain' },
			],
			{ caption: [M.captionString] },
		],
		[
			'a 1025-character caption',
			[
				{ name: 'file', value: video, filename: 'a.mp4', contentType: 'video/mp4' },
				{ name: 'caption', value: 'ä'.repeat(1025) },
			],
			{ caption: [M.captionTooLong] },
		],
	])('answers 422 for %s', async (_label, parts, errors) => {
		const res = await postForm(byContact(), parts, LP_AUTH);
		expect(res.status).toBe(422);
		expect(res.json).toEqual(validationError(errors));
		expect(emu.messagesCreated()).toHaveLength(0);
	});

	it('answers 422 naming the body for malformed multipart', async () => {
		const headers = { ...LP_AUTH, 'Content-Type': 'multipart/form-data; boundary=xyz' };
		const truncated = await http(byContact(), {
			method: 'POST',
			headers,
			body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\nContent-Type: video/mp4\r\n\r\nabc',
		});
		expect(truncated.status).toBe(422);
		expect(truncated.json).toEqual(validationError({ body: [expect.stringContaining('closing boundary is missing')] }));
		const noBoundary = await http(byContact(), { method: 'POST', headers: { ...LP_AUTH, 'Content-Type': 'multipart/form-data' }, body: 'x' });
		expect(noBoundary.status).toBe(422);
		expect(noBoundary.json).toEqual(validationError({ body: [expect.stringContaining('boundary parameter is missing')] }));
	});
});
