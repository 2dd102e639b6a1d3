import { D, D360_AUTH, META_AUTH, expectMetaError, mp4Bytes, postForm, postJson } from './helpers';
import { BSUID_RE, isBsuid, startEmulator, type CloudApiProviderName, type Emulator } from './server';

let emu: Emulator;
beforeAll(async () => {
	emu = await startEmulator();
});
afterEach(() => emu.reset());
afterAll(() => emu.close());

const TO = D.contactNumber.slice(1);
const LINK = 'https://cdn.example.com/clip.mp4';
const BSUID = D.contactBsuid;
const PARENT_BSUID = D.contactParentBsuid;

describe('BSUID format', () => {
	it.each([
		'US.13491208655302741918',
		'US.ENT.11815799212886844830',
		'DE.a',
		'BR.AbC123',
		`IN.${'9'.repeat(128)}`,
		`IN.ENT.${'z'.repeat(128)}`,
		'US.ENT',
	])('accepts %s', (value) => {
		expect(isBsuid(value)).toBe(true);
	});

	it.each([
		['a phone number', '4915123456789'],
		['lower-case country', 'us.13491208655302741918'],
		['three-letter country', 'USA.13491208655302741918'],
		['one-letter country', 'U.13491208655302741918'],
		['no dot', 'US13491208655302741918'],
		['nothing after the dot', 'US.'],
		['nothing after ENT.', 'US.ENT.'],
		['129 characters', `US.${'1'.repeat(129)}`],
		['129 characters after ENT.', `US.ENT.${'1'.repeat(129)}`],
		['a dash', 'US.1349-1208'],
		['an underscore', 'US.1349_1208'],
		['a space', 'US. 13491208655302741918'],
		['a trailing newline', 'US.13491208655302741918\n'],
		['a second dot', 'US.1349.1208'],
		['lower-case ent', 'US.ent.11815799212886844830'],
		['a username instead', '@demo_user'],
	])('refuses %s', (_label, value) => {
		expect(BSUID_RE.test(value)).toBe(false);
	});
});

describe.each<[CloudApiProviderName, () => string, Record<string, string>]>([
	['dialog360', () => `${emu.dialog360BaseUrl}/messages`, D360_AUTH],
	['whatsappCloud', () => `${emu.metaBaseUrl}/${D.metaGraphApiVersion}/${D.metaPhoneNumberId}/messages`, META_AUTH],
])('%s: recipients by BSUID', (provider, url, auth) => {
	const send = (body: unknown) => postJson(url(), body, auth);
	const message = (recipient: Record<string, unknown>) => ({
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		...recipient,
		type: 'video',
		video: { link: LINK, caption: 'for a username' },
	});

	it.each([BSUID, PARENT_BSUID])('sends to %s given as recipient, answering user_id instead of wa_id', async (bsuid) => {
		const res = await send(message({ recipient: bsuid }));
		expect(res.status).toBe(200);
		expect(res.json).toEqual({
			messaging_product: 'whatsapp',
			contacts: [{ input: bsuid, user_id: bsuid }],
			messages: [{ id: expect.stringMatching(/^wamid\./), message_status: 'accepted' }],
		});
		const created = emu.messagesCreated(provider);
		expect(created).toHaveLength(1);
		expect(created[0].created).toEqual({
			kind: 'message',
			provider,
			messageId: (res.json as { messages: Array<{ id: string }> }).messages[0].id,
			recipient: bsuid,
			recipientKind: 'bsuid',
			source: 'link',
			caption: 'for a username',
		});
		expect(created[0].json).toEqual(message({ recipient: bsuid }));
	});

	it('lets to win when both to and recipient are present', async () => {
		const res = await send(message({ to: TO, recipient: BSUID }));
		expect(res.status).toBe(200);
		expect((res.json as { contacts: unknown }).contacts).toEqual([{ input: TO, wa_id: TO }]);
		const [record] = emu.messagesCreated(provider);
		expect(record.created).toMatchObject({ recipient: TO });
		expect(record.created).not.toHaveProperty('recipientKind');
	});

	it('still checks to when both are present', async () => {
		expectMetaError(await send(message({ to: `+${TO}`, recipient: BSUID })), 100, 'Param to');
		expect(emu.messagesCreated()).toHaveLength(0);
	});

	it.each<[string, Record<string, unknown>, string]>([
		['neither to nor recipient', {}, 'The parameter to or recipient is required.'],
		['a phone number as recipient', { recipient: TO }, 'Param recipient'],
		['a lower-case BSUID', { recipient: BSUID.toLowerCase() }, 'Param recipient'],
		['a BSUID with a dash', { recipient: 'US.1349-1208' }, 'Param recipient'],
		['an over-long BSUID', { recipient: `US.${'1'.repeat(129)}` }, 'Param recipient'],
		['an empty recipient', { recipient: '' }, 'Param recipient'],
		['a numeric recipient', { recipient: 1349120865530274 }, 'Param recipient'],
		['a recipient object', { recipient: { user_id: BSUID } }, 'Param recipient'],
		['a BSUID in to', { to: BSUID }, 'Param to'],
	])('refuses %s with code 100', async (_label, recipient, details) => {
		const error = expectMetaError(await send(message(recipient)), 100, details);
		expect(error.error.message).toBe('(#100) Invalid parameter');
		expect(emu.messagesCreated()).toHaveLength(0);
	});
});

describe.each<[CloudApiProviderName, () => string, Record<string, string>]>([
	['dialog360', () => emu.dialog360BaseUrl, D360_AUTH],
	['whatsappCloud', () => `${emu.metaBaseUrl}/${D.metaGraphApiVersion}/${D.metaPhoneNumberId}`, META_AUTH],
])('%s: interactive messages with a video header', (provider, root, auth) => {
	const send = (body: unknown) => postJson(`${root()}/messages`, body, auth);
	const upload = async (contentType = 'video/mp4', filename = 'clip.mp4'): Promise<string> => {
		const res = await postForm(
			`${root()}/media`,
			[
				{ name: 'messaging_product', value: 'whatsapp' },
				{ name: 'file', value: mp4Bytes(2000), filename, contentType },
			],
			auth,
		);
		expect(res.status).toBe(200);
		return (res.json as { id: string }).id;
	};
	const envelope = (interactive: unknown, extra: Record<string, unknown> = {}) => ({
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		to: TO,
		type: 'interactive',
		interactive,
		...extra,
	});
	const YES_NO = [
		{ type: 'reply', reply: { id: 'yes', title: 'Yes' } },
		{ type: 'reply', reply: { id: 'no', title: 'No' } },
	];
	const buttons = (overrides: Record<string, unknown> = {}) => ({
		type: 'button',
		header: { type: 'video', video: { link: LINK } },
		body: { text: 'Would you like a demo?' },
		action: { buttons: YES_NO },
		...overrides,
	});
	const ctaUrl = (overrides: Record<string, unknown> = {}) => ({
		type: 'cta_url',
		header: { type: 'video', video: { link: LINK } },
		body: { text: 'Our spring collection' },
		footer: { text: 'Offer ends Sunday' },
		action: { name: 'cta_url', parameters: { display_text: 'Book now', url: 'https://shop.example.com/book' } },
		...overrides,
	});
	const reply = (id: unknown, title: unknown) => ({ type: 'reply', reply: { id, title } });

	it('accepts reply buttons under an uploaded video and records the buttons, body and footer', async () => {
		const id = await upload();
		const body = envelope(buttons({ header: { type: 'video', video: { id } }, footer: { text: 'Tap to answer' } }), {
			context: { message_id: 'wamid.ABC' },
			biz_opaque_callback_data: 'order-7',
		});
		const res = await send(body);

		expect(res.status).toBe(200);
		const messageId = (res.json as { messages: Array<{ id: string }> }).messages[0].id;
		expect(res.json).toEqual({
			messaging_product: 'whatsapp',
			contacts: [{ input: TO, wa_id: TO }],
			messages: [{ id: messageId, message_status: 'accepted' }],
		});
		const [record] = emu.messagesCreated(provider);
		expect(record.created).toEqual({
			kind: 'message',
			provider,
			messageId,
			recipient: TO,
			source: 'media-id',
			interactive: {
				type: 'button',
				body: 'Would you like a demo?',
				footer: 'Tap to answer',
				buttons: [
					{ id: 'yes', title: 'Yes' },
					{ id: 'no', title: 'No' },
				],
			},
		});
		expect(record.json).toEqual(body);
	});

	it('accepts a link button under a video link and records its text and address', async () => {
		const res = await send(envelope(ctaUrl()));

		expect(res.status).toBe(200);
		expect(emu.messagesCreated(provider)[0].created).toMatchObject({
			source: 'link',
			interactive: { type: 'cta_url', body: 'Our spring collection', footer: 'Offer ends Sunday', displayText: 'Book now', url: 'https://shop.example.com/book' },
		});
	});

	it('takes the limits exactly, counting characters as code points', async () => {
		const res = await send(
			envelope(
				buttons({
					body: { text: '🎬'.repeat(1024) },
					footer: { text: 'é'.repeat(60) },
					action: { buttons: [reply('a'.repeat(256), '👍'.repeat(20)), reply('b', 'B'), reply('c', 'C')] },
				}),
			),
		);
		expect(res.status).toBe(200);
		expect((await send(envelope(ctaUrl({ action: { name: 'cta_url', parameters: { display_text: '✓'.repeat(20), url: 'http://a.example' } } })))).status).toBe(200);
	});

	const over = (base: Record<string, unknown>, path: string, value: unknown) => {
		const copy = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
		const keys = path.split('.');
		let at: Record<string, unknown> = copy;
		for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
		at[keys[keys.length - 1]] = value;
		return copy;
	};

	it.each<[string, () => unknown, number, string]>([
		['four buttons', () => buttons({ action: { buttons: [...YES_NO, reply('c', 'C'), reply('d', 'D')] } }), 131009, 'must have 1 to 3 buttons (got 4)'],
		['no buttons', () => buttons({ action: { buttons: [] } }), 131009, 'must have 1 to 3 buttons (got 0)'],
		['a title of 21 characters', () => buttons({ action: { buttons: [reply('yes', 'x'.repeat(21))] } }), 131009, "['reply']['title'] is 21 characters long; the maximum is 20"],
		['an id of 257 characters', () => buttons({ action: { buttons: [reply('y'.repeat(257), 'Yes')] } }), 131009, "['reply']['id'] is 257 characters long; the maximum is 256"],
		['two buttons with the same id', () => buttons({ action: { buttons: [reply('yes', 'Yes'), reply('yes', 'Sure')] } }), 131009, 'is not unique'],
		['a body of 1,025 characters', () => buttons({ body: { text: 'x'.repeat(1025) } }), 131009, "interactive['body']['text'] is 1025 characters long; the maximum is 1024"],
		['a footer of 61 characters', () => buttons({ footer: { text: 'x'.repeat(61) } }), 131009, "interactive['footer']['text'] is 61 characters long; the maximum is 60"],
		['display text of 21 characters', () => over(ctaUrl(), 'action.parameters.display_text', 'x'.repeat(21)), 131009, "['display_text'] is 21 characters long; the maximum is 20"],
		['an empty title', () => buttons({ action: { buttons: [reply('yes', '')] } }), 100, "['reply']['title'] must be a non-empty string"],
		['a numeric id', () => buttons({ action: { buttons: [reply(1, 'Yes')] } }), 100, "['reply']['id'] must be a non-empty string"],
		['a button of another type', () => buttons({ action: { buttons: [{ type: 'url', reply: { id: 'a', title: 'A' } }] } }), 100, "['type'] must be \"reply\""],
		['an unknown key on a button', () => buttons({ action: { buttons: [{ ...reply('a', 'A'), extra: 1 }] } }), 100, 'Unexpected key "extra"'],
		['no body', () => buttons({ body: undefined }), 100, "The parameter interactive['body'] is required."],
		['an empty body', () => buttons({ body: { text: '' } }), 100, "interactive['body']['text'] must be a non-empty string"],
		['a footer without text', () => buttons({ footer: {} }), 100, "The parameter interactive['footer']['text'] is required."],
		['no header', () => buttons({ header: undefined }), 100, "The parameter interactive['header'] is required"],
		['an image header', () => buttons({ header: { type: 'image', image: { link: LINK } } }), 100, 'Unexpected key "image"'],
		['a header of type image', () => buttons({ header: { type: 'image' } }), 100, "interactive['header']['type'] must be \"video\""],
		['a header video with id and link', () => buttons({ header: { type: 'video', video: { id: '1', link: LINK } } }), 100, 'exactly one of id or link (got both)'],
		['an unknown media id', () => buttons({ header: { type: 'video', video: { id: '123456789012345' } } }), 100, 'is not a valid whatsapp business account media attachment ID'],
		['a header link that is not http(s)', () => buttons({ header: { type: 'video', video: { link: 'ftp://cdn.example.com/a.mp4' } } }), 100, 'must be an http or https URL'],
		['a list message', () => buttons({ type: 'list' }), 100, "interactive['type'] must be \"button\" or \"cta_url\""],
		['an unknown key on interactive', () => buttons({ caption: 'no' }), 100, 'Unexpected key "caption" on param "interactive".'],
		['a link button without a url', () => over(ctaUrl(), 'action.parameters', { display_text: 'Book now' }), 100, "The parameter interactive['action']['parameters']['url'] is required."],
		['a link button to a javascript: url', () => over(ctaUrl(), 'action.parameters.url', 'javascript:alert(1)'), 100, 'must be an http or https URL'],
		['a link button action of another name', () => over(ctaUrl(), 'action.name', 'url'), 100, "interactive['action']['name'] must be \"cta_url\""],
		['a link button with reply buttons', () => ctaUrl({ action: { buttons: YES_NO } }), 100, 'Unexpected key "buttons"'],
		['reply buttons with a link button action', () => buttons({ action: { name: 'cta_url', parameters: {} } }), 100, 'Unexpected key "name"'],
	])('refuses %s', async (_label, interactive, code, details) => {
		expectMetaError(await send(envelope(interactive())), code, details);
		expect(emu.messagesCreated()).toHaveLength(0);
	});

	it('refuses a link button whose video is a media id: Meta documents only a link there', async () => {
		const id = await upload();
		expectMetaError(await send(envelope(ctaUrl({ header: { type: 'video', video: { id } } }))), 100, 'of a cta_url message takes a link, not an id');
		expect(emu.messagesCreated()).toHaveLength(0);
	});

	it('refuses a header id that is not a video', async () => {
		const id = await upload('image/png', 'a.png');
		expectMetaError(await send(envelope(buttons({ header: { type: 'video', video: { id } } }))), 100, 'refers to media of type image/png');
	});

	it.each([
		['no interactive object', { interactive: undefined }, 'The parameter interactive is required.'],
		['a video object beside it', { video: { link: LINK } }, 'Param video is not allowed in a message of type interactive'],
		['a template beside it', { template: { name: 'product_tour' } }, 'Param template is not allowed in a message of type interactive'],
	])('refuses %s', async (_label, extra, details) => {
		expectMetaError(await send(envelope(buttons(), extra)), 100, details);
	});

	it('refuses an interactive object on a video message', async () => {
		const res = await send({ messaging_product: 'whatsapp', to: TO, type: 'video', video: { link: LINK }, interactive: buttons() });
		expectMetaError(res, 100, 'Param interactive is not allowed in a message of type video');
	});
});
