import { checkTemplateMessage } from './cloudApiTemplates';
import {
	D,
	D360_AUTH,
	LP_AUTH,
	META_AUTH,
	expectMetaError,
	http,
	mp4Bytes,
	postForm,
	postJson,
	type HttpResult,
	type PartSpec,
} from './helpers';
import {
	EMULATOR_TEMPLATES,
	LANCEPILOT_MAX_FILE_BYTES,
	LANCEPILOT_TEMPLATE_MESSAGES as TM,
	TEMPLATE_IDS,
	startEmulator,
	toCloudApiTemplate,
	toLancepilotTemplate,
	type CloudApiProviderName,
	type CreatedResource,
	type Emulator,
	type EmulatorTemplate,
} from './server';

let emu: Emulator;
beforeAll(async () => {
	emu = await startEmulator();
});
afterEach(() => emu.reset());
afterAll(() => emu.close());

const TOTAL = 67;
const TO = D.contactNumber.slice(1);
const VIDEO_LINK = 'https://cdn.example.com/promo.mp4';
const IMAGE_LINK = 'https://cdn.example.com/offer.png';
const video = mp4Bytes(4096);
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]);
/** The record of a message send (tests only look at message records here). */
const sent = (record: { created?: CreatedResource }) => record.created as Extract<CreatedResource, { kind: 'message' }> | undefined;
const validationError = (errors: Record<string, string[]>) => ({ message: 'Validation error', errors });

function template(name: string, language = 'en_US'): EmulatorTemplate {
	const found = EMULATOR_TEMPLATES.find((t) => t.name === name && t.language === language);
	if (!found) throw new Error(`no template ${name} ${language}`);
	return found;
}

describe('template registry', () => {
	it('holds the seven hand-written templates, then sixty fillers', () => {
		expect(EMULATOR_TEMPLATES).toHaveLength(TOTAL);
		expect(EMULATOR_TEMPLATES.slice(0, 7).map((t) => [t.name, t.language, t.status, t.header.format, t.lancepilotId])).toEqual([
			['spring_promo', 'en_US', 'APPROVED', 'VIDEO', 41],
			['spring_promo', 'de_DE', 'APPROVED', 'VIDEO', 42],
			['product_tour', 'en_US', 'APPROVED', 'VIDEO', 43],
			['weekly_digest', 'en_US', 'APPROVED', 'VIDEO', 44],
			['photo_offer', 'en_US', 'APPROVED', 'IMAGE', 45],
			['autumn_teaser', 'en_US', 'PENDING', 'VIDEO', 46],
			['winter_recap', 'en_US', 'PAUSED', 'VIDEO', 47],
		]);
		expect(TEMPLATE_IDS).toEqual({
			springPromoEn: 41,
			springPromoDe: 42,
			productTour: 43,
			weeklyDigest: 44,
			photoOffer: 45,
			autumnTeaser: 46,
			winterRecap: 47,
		});
		const fillers = EMULATOR_TEMPLATES.slice(7);
		expect(fillers.map((t) => t.name)).toEqual(Array.from({ length: 60 }, (_, i) => `order_update_${String(i + 1).padStart(2, '0')}`));
		expect(fillers.map((t) => t.lancepilotId)).toEqual(Array.from({ length: 60 }, (_, i) => 101 + i));
		expect(new Set(EMULATOR_TEMPLATES.map((t) => t.cloudId)).size).toBe(TOTAL);
		expect(EMULATOR_TEMPLATES[0].cloudId).toBe('9000000000001');
		expect(EMULATOR_TEMPLATES.every((t) => /^[1-9][0-9]*$/.test(t.cloudId))).toBe(true);
	});

	it('describes a template as a Cloud API template object', () => {
		expect(toCloudApiTemplate(template('spring_promo'))).toEqual({
			id: '9000000000001',
			name: 'spring_promo',
			language: 'en_US',
			status: 'APPROVED',
			category: 'MARKETING',
			components: [
				{ type: 'HEADER', format: 'VIDEO', example: { header_handle: [expect.any(String)] } },
				{ type: 'BODY', text: 'Hi {{1}}, our spring sale gives you {{2}} off.', example: { body_text: [['Ada', '20%']] } },
				{
					type: 'BUTTONS',
					buttons: [{ type: 'URL', text: 'Shop now', url: 'https://shop.example.com/spring/{{1}}', example: ['https://shop.example.com/spring/SPRING'] }],
				},
			],
		});
		expect(toCloudApiTemplate(template('weekly_digest')).components[2]).toEqual({
			type: 'BUTTONS',
			buttons: [
				{ type: 'URL', text: 'Read the digest', url: 'https://shop.example.com/digest' },
				{ type: 'QUICK_REPLY', text: 'Stop' },
			],
		});
		const filler = toCloudApiTemplate(template('order_update_01'));
		expect(filler.components).toEqual([
			{ type: 'HEADER', format: 'TEXT', text: 'Order update' },
			{ type: 'BODY', text: 'Your order {{1}} has shipped.', example: { body_text: [['A-1001']] } },
		]);
		expect(toCloudApiTemplate(template('product_tour')).components.map((c) => c.type)).toEqual(['HEADER', 'BODY']);
	});

	it('describes a template as a Lancepilot template object', () => {
		expect(toLancepilotTemplate(template('spring_promo', 'de_DE'))).toEqual({
			id: 42,
			name: 'spring_promo',
			language: 'de_DE',
			category: 'MARKETING',
			status: 'APPROVED',
			components: {
				header: { type: 'media', media: { type: 'video', handle: expect.any(String) } },
				body: { text: 'Hallo {{1}}, im Frühlingsverkauf sparst du {{2}}.', variables: ['Ada', '20 %'] },
				footer: null,
				buttons: [{ type: 'URL', text: 'Jetzt einkaufen', url: 'https://shop.example.com/fruehling/{{1}}', variables: ['FRUEHLING'] }],
			},
		});
		expect(toLancepilotTemplate(template('photo_offer')).components.header).toEqual({
			type: 'media',
			media: { type: 'image', handle: expect.any(String) },
		});
		expect(toLancepilotTemplate(template('order_update_60')).components).toEqual({
			header: { type: 'text', text: 'Order update' },
			body: { text: 'Your order {{1}} has shipped.', variables: ['A-1060'] },
			footer: null,
			buttons: [],
		});
	});
});

// ---- listings ----

function expectEveryTemplateOnce(names: string[]): void {
	expect(names).toHaveLength(TOTAL);
	expect(new Set(names).size).toBe(TOTAL);
	expect(names).toEqual(EMULATOR_TEMPLATES.map((t) => `${t.name}/${t.language}`));
}

describe('360dialog template listing', () => {
	const list = (query = '', headers: Record<string, string> = D360_AUTH) =>
		http(`${emu.dialog360BaseUrl}/v1/configs/templates${query}`, { headers });
	interface Page {
		count: number;
		total: number;
		offset: number;
		limit: number;
		waba_templates: Array<{ name: string; language: string; id: string }>;
	}

	it('walks all pages by offset and finds every template once', async () => {
		const names: string[] = [];
		for (let offset = 0; ; offset += 20) {
			const res = await list(`?limit=20&offset=${offset}&sort=business_templates.name&filters=${encodeURIComponent('{}')}`);
			expect(res.status).toBe(200);
			const page = res.json as Page;
			expect(page).toMatchObject({ total: TOTAL, offset, limit: 20, count: page.waba_templates.length });
			names.push(...page.waba_templates.map((t) => `${t.name}/${t.language}`));
			if (offset + page.count >= page.total) break;
		}
		expectEveryTemplateOnce(names);
	});

	it('answers 50 Cloud API template objects by default and caps the limit at 1000', async () => {
		const first = (await list()).json as Page;
		expect(first).toMatchObject({ count: 50, total: TOTAL, offset: 0, limit: 50 });
		expect(first.waba_templates[0]).toEqual(toCloudApiTemplate(EMULATOR_TEMPLATES[0]));
		const all = (await list('?limit=5000')).json as Page;
		expect(all).toMatchObject({ count: TOTAL, total: TOTAL, limit: 1000 });
		const past = (await list('?offset=100')).json as Page;
		expect(past).toEqual({ count: 0, total: TOTAL, offset: 100, limit: 50, waba_templates: [] });
	});

	it.each(['?limit=0', '?limit=-1', '?limit=ten', '?limit=', '?offset=-5', '?offset=1.5'])('refuses %s with code 100', async (query) => {
		expectMetaError(await list(query), 100, /Param (limit|offset)/);
	});

	it('needs the API key and GET', async () => {
		const res = await list('', {});
		expect(res.status).toBe(401);
		expect(res.json).toEqual({ error: 'Invalid request' });
		const post = await http(`${emu.dialog360BaseUrl}/v1/configs/templates`, { method: 'POST', headers: D360_AUTH });
		expectMetaError(post, 100, 'does not support POST');
	});
});

describe('Meta template listing', () => {
	const V = D.metaGraphApiVersion;
	const url = (objectId: string = D.metaBusinessAccountId, query = '') => `${emu.metaBaseUrl}/${V}/${objectId}/message_templates${query}`;
	interface Page {
		data: Array<Record<string, unknown>>;
		paging?: { cursors: { before: string; after: string }; next?: string };
	}

	it('follows paging.next with the Bearer header until the last page', async () => {
		const names: string[] = [];
		let next: string | undefined = url(undefined, '?fields=name,language,status,category,components&limit=10');
		let pages = 0;
		while (next !== undefined) {
			expect(next.startsWith(`${emu.metaBaseUrl}/${V}/${D.metaBusinessAccountId}/message_templates?`)).toBe(true);
			expect(next).not.toContain('access_token');
			const res = await http(next, { headers: META_AUTH });
			expect(res.status).toBe(200);
			const page = res.json as Page;
			pages++;
			expect(page.paging?.cursors).toEqual({ before: expect.any(String), after: expect.any(String) });
			for (const entry of page.data) {
				expect(Object.keys(entry)).toEqual(['name', 'language', 'status', 'category', 'components', 'id']);
				names.push(`${String(entry.name)}/${String(entry.language)}`);
			}
			next = page.paging?.next;
		}
		expect(pages).toBe(7);
		expectEveryTemplateOnce(names);
	});

	it('answers 25 templates without components by default, and at most 100 a page', async () => {
		const res = await http(url(), { headers: META_AUTH });
		const page = res.json as Page;
		expect(page.data).toHaveLength(25);
		expect(page.data[0]).toEqual({ name: 'spring_promo', language: 'en_US', status: 'APPROVED', category: 'MARKETING', id: '9000000000001' });
		expect(page.paging?.next).toContain('limit=25');
		const spring = (await http(url(undefined, '?fields=components&limit=1'), { headers: META_AUTH })).json as Page;
		expect(spring.data).toEqual([{ components: toCloudApiTemplate(EMULATOR_TEMPLATES[0]).components, id: '9000000000001' }]);
		const big = (await http(url(undefined, '?limit=500'), { headers: META_AUTH })).json as Page;
		expect(big.data).toHaveLength(TOTAL);
		expect(big.paging).toEqual({ cursors: { before: expect.any(String), after: expect.any(String) } });
	});

	it('resumes after a cursor and ends with an empty page after the last one', async () => {
		const first = (await http(url(undefined, '?limit=3'), { headers: META_AUTH })).json as Page;
		const second = (await http(url(undefined, `?limit=3&after=${first.paging?.cursors.after}`), { headers: META_AUTH })).json as Page;
		expect(second.data.map((t) => t.name)).toEqual(['weekly_digest', 'photo_offer', 'autumn_teaser']);
		const all = (await http(url(undefined, '?limit=100'), { headers: META_AUTH })).json as Page;
		const end = await http(url(undefined, `?after=${all.paging?.cursors.after}`), { headers: META_AUTH });
		expect(end.json).toEqual({ data: [] });
	});

	it('refuses the phone number id as Graph API does', async () => {
		const res = await http(url(D.metaPhoneNumberId), { headers: META_AUTH });
		const body = expectMetaError(res, 100, 'message_templates');
		expect(body.error.message).toBe('(#100) Tried accessing nonexisting field (message_templates) on node type (WhatsAppBusinessPhoneNumber)');
	});

	it('refuses an unknown object id with subcode 33', async () => {
		const res = await http(url('123456789'), { headers: META_AUTH });
		const body = expectMetaError(res, 100, "Object with ID '123456789' does not exist");
		expect(body.error).toMatchObject({
			message: "Unsupported get request. Object with ID '123456789' does not exist, cannot be loaded due to missing permissions, or does not support this operation.",
			error_subcode: 33,
		});
	});

	it.each<[string, string]>([
		['an unknown field', '?fields=name,secret'],
		['a zero limit', '?limit=0'],
		['a word as limit', '?limit=all'],
		['a forged cursor', `?after=${Buffer.from('page:2').toString('base64url')}`],
	])('refuses %s with code 100', async (_label, query) => {
		expectMetaError(await http(url(undefined, query), { headers: META_AUTH }), 100, /secret|limit|after/);
	});

	it('needs the token and GET', async () => {
		expect((await http(url())).status).toBe(401);
		expectMetaError(await http(url(), { method: 'POST', headers: META_AUTH }), 100, 'does not support POST');
	});
});

describe('Lancepilot template listing', () => {
	const url = (query = '', workspace: string = D.workspaceId) => `${emu.lancepilotBaseUrl}/workspaces/${workspace}/templates${query}`;
	interface Page {
		data: Array<{ id: number; name: string; language: string }>;
		meta: { current_page: number; last_page: number; per_page: number; total: number };
	}

	it('walks all pages and finds every template once', async () => {
		const names: string[] = [];
		let last = Infinity;
		for (let page = 1; page <= last; page++) {
			const res = await http(url(`?per_page=10&page=${page}`), { headers: LP_AUTH });
			expect(res.status).toBe(200);
			const body = res.json as Page;
			expect(body.meta).toEqual({ current_page: page, last_page: 7, per_page: 10, total: TOTAL });
			last = body.meta.last_page;
			names.push(...body.data.map((t) => `${t.name}/${t.language}`));
		}
		expectEveryTemplateOnce(names);
	});

	it('answers 15 Lancepilot template objects by default, and an empty page past the end', async () => {
		const first = (await http(url(), { headers: LP_AUTH })).json as Page;
		expect(first.meta).toEqual({ current_page: 1, last_page: 5, per_page: 15, total: TOTAL });
		expect(first.data).toHaveLength(15);
		expect(first.data[0]).toEqual(toLancepilotTemplate(EMULATOR_TEMPLATES[0]));
		const past = (await http(url('?page=9'), { headers: LP_AUTH })).json as Page;
		expect(past).toEqual({ data: [], meta: { current_page: 9, last_page: 5, per_page: 15, total: TOTAL } });
		expect(((await http(url('?per_page=100'), { headers: LP_AUTH })).json as Page).data).toHaveLength(TOTAL);
	});

	it.each<[string, Record<string, string[]>]>([
		['?per_page=101', { per_page: ['The per page field must not be greater than 100.'] }],
		['?per_page=0', { per_page: ['The per page field must be at least 1.'] }],
		['?per_page=ten&page=0', { per_page: ['The per page field must be an integer.'], page: ['The page field must be at least 1.'] }],
		['?page=-1', { page: ['The page field must be an integer.'] }],
	])('answers 422 for %s', async (query, errors) => {
		const res = await http(url(query), { headers: LP_AUTH });
		expect(res.status).toBe(422);
		expect(res.json).toEqual(validationError(errors));
	});

	it('shows one template by id', async () => {
		const res = await http(`${url()}/41`, { headers: LP_AUTH });
		expect(res.status).toBe(200);
		expect(res.json).toEqual({ data: toLancepilotTemplate(EMULATOR_TEMPLATES[0]) });
		expect(((await http(`${url()}/160`, { headers: LP_AUTH })).json as { data: { name: string } }).data.name).toBe('order_update_60');
		for (const id of ['999', '0', 'spring_promo']) {
			const missing = await http(`${url()}/${id}`, { headers: LP_AUTH });
			expect(missing.status).toBe(404);
			expect(missing.json).toEqual({ message: 'Template not found.', status: 404 });
		}
	});

	it('answers 404 for an unknown workspace, 405 for POST and 401 without token', async () => {
		for (const path of [url('', '00000000-1111-4222-8333-444444444444'), `${url('', 'demo')}/41`]) {
			const res = await http(path, { headers: LP_AUTH });
			expect(res.status).toBe(404);
			expect(res.json).toEqual({ message: 'Workspace not found.', status: 404 });
		}
		const post = await http(url(), { method: 'POST', headers: LP_AUTH });
		expect(post.status).toBe(405);
		expect(post.headers.get('allow')).toBe('GET, HEAD');
		expect((await http(url())).status).toBe(401);
	});
});

// ---- Cloud API sends ----

type Component = Record<string, unknown>;
const header = (type: string, media: Record<string, unknown>): Component => ({ type: 'header', parameters: [{ type, [type]: media }] });
const body = (...texts: string[]): Component => ({ type: 'body', parameters: texts.map((text) => ({ type: 'text', text })) });
const urlButton = (...texts: string[]): Component => ({
	type: 'button',
	sub_type: 'url',
	index: '0',
	parameters: texts.map((text) => ({ type: 'text', text })),
});
const VIDEO_HEADER = header('video', { link: VIDEO_LINK });
const IMAGE_HEADER = header('image', { link: IMAGE_LINK });
const SPRING_BODY = body('Ada', '20%');
const SPRING_BUTTON = urlButton('SPRING');
const SPRING_COMPONENTS = [VIDEO_HEADER, SPRING_BODY, SPRING_BUTTON];
const VIDEO_PARAMETER = { type: 'video', video: { link: VIDEO_LINK } };
const textHeader = (text: string): Component => ({ type: 'header', parameters: [{ type: 'text', text }] });
const UNKNOWN_MEDIA_ID = '123456789012345';
/** Graph API's wording for a wrong number of parameters. */
const params = (where: string, given: number, expected: number): string =>
	`${where}: number of localizable_params (${given}) does not match the expected number of params (${expected})`;

describe.each<[CloudApiProviderName, () => string, () => string, Record<string, string>]>([
	['dialog360', () => `${emu.dialog360BaseUrl}/messages`, () => `${emu.dialog360BaseUrl}/media`, D360_AUTH],
	[
		'whatsappCloud',
		() => `${emu.metaBaseUrl}/${D.metaGraphApiVersion}/${D.metaPhoneNumberId}/messages`,
		() => `${emu.metaBaseUrl}/${D.metaGraphApiVersion}/${D.metaPhoneNumberId}/media`,
		META_AUTH,
	],
])('%s: template messages', (provider, messagesUrl, mediaUrl, auth) => {
	const send = (message: unknown) => postJson(messagesUrl(), message, auth);
	const templateMessage = (name: string, components?: unknown, extra: Record<string, unknown> = {}, language = 'en_US') => ({
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		to: TO,
		type: 'template',
		template: { name, language: { code: language }, ...(components !== undefined ? { components } : {}) },
		...extra,
	});
	async function upload(bytes: Buffer, filename: string, contentType: string): Promise<string> {
		const parts: PartSpec[] = [
			{ name: 'messaging_product', value: 'whatsapp' },
			{ name: 'file', value: bytes, filename, contentType },
		];
		const res = await postForm(mediaUrl(), parts, auth);
		expect(res.status).toBe(200);
		return (res.json as { id: string }).id;
	}
	function expectAccepted(res: HttpResult): string {
		expect(res.status).toBe(200);
		expect(res.json).toEqual({
			messaging_product: 'whatsapp',
			contacts: [{ input: TO, wa_id: TO }],
			messages: [{ id: expect.stringMatching(/^wamid\./), message_status: 'accepted' }],
		});
		return (res.json as { messages: Array<{ id: string }> }).messages[0].id;
	}

	it('sends spring_promo with a video link and records the template', async () => {
		const messageId = expectAccepted(await send(templateMessage('spring_promo', SPRING_COMPONENTS)));
		const records = emu.messagesCreated(provider);
		expect(records).toHaveLength(1);
		expect(records[0].created).toEqual({
			kind: 'message',
			provider,
			messageId,
			recipient: TO,
			source: 'link',
			template: { name: 'spring_promo', language: 'en_US', bodyParameters: ['Ada', '20%'], buttonParameter: 'SPRING' },
		});
	});

	it('sends spring_promo in German with an uploaded video, to a BSUID, with reply context and callback data', async () => {
		const id = await upload(video, 'promo.mp4', 'video/mp4');
		const res = await send({
			...templateMessage('spring_promo', [header('video', { id }), body('Ada', '20 %'), urlButton('FRUEHLING')], {}, 'de_DE'),
			to: undefined,
			recipient: D.contactBsuid,
			context: { message_id: 'wamid.previous' },
			biz_opaque_callback_data: 'campaign-7',
		});
		expect(res.status).toBe(200);
		expect(res.json).toMatchObject({ contacts: [{ input: D.contactBsuid, user_id: D.contactBsuid }] });
		expect(emu.messagesCreated(provider)[0].created).toEqual({
			kind: 'message',
			provider,
			messageId: expect.stringMatching(/^wamid\./),
			recipient: D.contactBsuid,
			recipientKind: 'bsuid',
			source: 'media-id',
			template: { name: 'spring_promo', language: 'de_DE', bodyParameters: ['Ada', '20 %'], buttonParameter: 'FRUEHLING' },
		});
	});

	it('sends templates without body variables or buttons, with or without empty components', async () => {
		expectAccepted(await send(templateMessage('product_tour', [VIDEO_HEADER])));
		expectAccepted(await send(templateMessage('product_tour', [VIDEO_HEADER, { type: 'body', parameters: [] }])));
		expectAccepted(await send(templateMessage('weekly_digest', [VIDEO_HEADER, body('Ada')])));
		expect(emu.messagesCreated(provider).map((r) => sent(r)?.template)).toEqual([
			{ name: 'product_tour', language: 'en_US', bodyParameters: [] },
			{ name: 'product_tour', language: 'en_US', bodyParameters: [] },
			{ name: 'weekly_digest', language: 'en_US', bodyParameters: ['Ada'] },
		]);
	});

	it('sends the image template by link and by uploaded image', async () => {
		expectAccepted(await send(templateMessage('photo_offer', [IMAGE_HEADER, body('Ada')])));
		const id = await upload(png, 'offer.png', 'image/png');
		expectAccepted(await send(templateMessage('photo_offer', [header('image', { id }), body('Ada')])));
		expect(emu.messagesCreated(provider).map((r) => sent(r)?.source)).toEqual(['link', 'media-id']);
	});

	it('sends a text-header template without a header component and records no source', async () => {
		expectAccepted(await send(templateMessage('order_update_07', [body('A-77')])));
		const created = emu.messagesCreated(provider)[0].created;
		expect(created).not.toHaveProperty('source');
		expect(created).not.toHaveProperty('caption');
		expect(created).toMatchObject({ template: { name: 'order_update_07', language: 'en_US', bodyParameters: ['A-77'] } });
	});

	it.each<[string, string, unknown, string]>([
		['an unknown name', 'summer_promo', SPRING_COMPONENTS, 'template name (summer_promo) does not exist in en_US'],
		['a language it does not have', 'product_tour', [VIDEO_HEADER], 'template name (product_tour) does not exist in de_DE'],
		['a PENDING template', 'autumn_teaser', [VIDEO_HEADER, body('Ada')], 'template name (autumn_teaser) does not exist in en_US'],
	])('answers 132001 for %s', async (_label, name, components, details) => {
		const language = details.endsWith('de_DE') ? 'de_DE' : 'en_US';
		const res = await send(templateMessage(name, components, {}, language));
		const error = expectMetaError(res, 132001, details);
		expect(error.error.message).toBe('(#132001) Template name does not exist in the translation');
		expect(emu.messagesCreated()).toHaveLength(0);
	});

	it('answers 132015 for a PAUSED template', async () => {
		const res = await send(templateMessage('winter_recap', [VIDEO_HEADER, body('Ada')]));
		const error = expectMetaError(res, 132015, 'winter_recap');
		expect(error.error.message).toBe('(#132015) Template is paused');
	});

	it.each<[string, string, unknown[], string]>([
		['no header component', 'spring_promo', [SPRING_BODY, SPRING_BUTTON], 'expected VIDEO, received UNKNOWN'],
		['a header without parameters', 'spring_promo', [{ type: 'header', parameters: [] }, SPRING_BODY, SPRING_BUTTON], 'received UNKNOWN'],
		['an image for the video header', 'spring_promo', [IMAGE_HEADER, SPRING_BODY, SPRING_BUTTON], 'expected VIDEO, received IMAGE'],
		['a video for the image header', 'photo_offer', [VIDEO_HEADER, body('Ada')], 'expected IMAGE, received VIDEO'],
		['a text parameter for the video header', 'product_tour', [textHeader('Hi')], 'received TEXT'],
	])('answers 132012 for %s', async (_label, name, components, details) => {
		const error = expectMetaError(await send(templateMessage(name, components)), 132012, details);
		expect(error.error.message).toBe('(#132012) Parameter format does not match format in the created template');
	});

	it.each<[string, string, unknown[], string]>([
		['one body parameter of two', 'spring_promo', [VIDEO_HEADER, body('Ada'), SPRING_BUTTON], params('body', 1, 2)],
		['three body parameters of two', 'spring_promo', [VIDEO_HEADER, body('Ada', '20%', 'x'), SPRING_BUTTON], params('body', 3, 2)],
		['no body component', 'photo_offer', [IMAGE_HEADER], params('body', 0, 1)],
		['a body parameter for a body without variables', 'product_tour', [VIDEO_HEADER, body('Ada')], params('body', 1, 0)],
		['no button component', 'spring_promo', [VIDEO_HEADER, SPRING_BODY], params('button at index 0 (URL)', 0, 1)],
		['a button without parameters', 'spring_promo', [VIDEO_HEADER, SPRING_BODY, urlButton()], params('button at index 0 (URL)', 0, 1)],
		['two button parameters', 'spring_promo', [VIDEO_HEADER, SPRING_BODY, urlButton('A', 'B')], params('button at index 0 (URL)', 2, 1)],
		['a button for a static URL', 'weekly_digest', [VIDEO_HEADER, body('Ada'), urlButton('x')], 'has no variable'],
		['a button for a template without buttons', 'product_tour', [VIDEO_HEADER, urlButton('x')], 'no URL button there'],
		[
			'a button at an index without URL',
			'spring_promo',
			[VIDEO_HEADER, SPRING_BODY, SPRING_BUTTON, { ...urlButton('x'), index: '1' }],
			'button at index 1',
		],
		['a header parameter for a text header', 'order_update_01', [textHeader('x'), body('A-1')], params('header', 1, 0)],
		['two header parameters', 'product_tour', [{ type: 'header', parameters: [VIDEO_PARAMETER, VIDEO_PARAMETER] }], params('header', 2, 1)],
	])('answers 132000 for %s', async (_label, name, components, details) => {
		const error = expectMetaError(await send(templateMessage(name, components)), 132000, details);
		expect(error.error.message).toBe('(#132000) Number of parameters does not match the expected number of params');
		expect(emu.messagesCreated()).toHaveLength(0);
	});

	it('answers 132005 when the body would be longer than 1024 characters', async () => {
		// "Your order " and " has shipped." are 24 characters.
		expectAccepted(await send(templateMessage('order_update_02', [body('ü'.repeat(1000))])));
		const res = await send(templateMessage('order_update_02', [body('ü'.repeat(1001))]));
		const error = expectMetaError(res, 132005, 'the text is 1025 characters after substitution; the maximum is 1024');
		expect(error.error.message).toBe('(#132005) Translated text too long');
	});

	const tour = (extra: Record<string, unknown>) => ({ template: { name: 'product_tour', language: { code: 'en_US' }, ...extra } });
	it.each<[string, Record<string, unknown>, string]>([
		['no template', { template: undefined }, 'The parameter template is required.'],
		['a string template', { template: 'spring_promo' }, 'Param template must be an object'],
		['an unknown template key', tour({ namespace: 'x' }), 'Unexpected key "namespace" on param "template"'],
		['no name', { template: { language: { code: 'en_US' } } }, "template['name']"],
		['a language string', tour({ language: 'en_US' }), "template['language']"],
		['a language without code', tour({ language: {} }), "template['language']['code']"],
		['a wrong language policy', tour({ language: { code: 'en_US', policy: 'fallback' } }), 'policy'],
		['components as an object', tour({ components: {} }), "template['components'] must be an array"],
		['a video object as well', { video: { link: VIDEO_LINK } }, 'Param video is not allowed in a message of type template'],
	])('answers 100 for %s', async (_label, override, details) => {
		const message = { ...templateMessage('spring_promo', SPRING_COMPONENTS), ...override };
		const error = expectMetaError(await send(message), 100, details);
		expect(error.error.message).toBe('(#100) Invalid parameter');
	});

	const bodyWith = (parameter: unknown): Component => ({ type: 'body', parameters: [parameter] });
	const quickReply = { type: 'button', sub_type: 'quick_reply', index: '1', parameters: [{ type: 'payload', payload: 'STOP' }] };
	it.each<[string, string, unknown[], string]>([
		['an unknown component type', 'product_tour', [VIDEO_HEADER, { type: 'footer' }], "['components'][1]['type'] must be one of header, body, button"],
		['a component that is a string', 'product_tour', ['header'], "template['components'][0] must be an object"],
		['an unknown component key', 'product_tour', [{ ...VIDEO_HEADER, format: 'VIDEO' }], 'Unexpected key "format"'],
		['two header components', 'product_tour', [VIDEO_HEADER, VIDEO_HEADER], 'more than one header'],
		['parameters as an object', 'photo_offer', [IMAGE_HEADER, { type: 'body', parameters: { type: 'text', text: 'Ada' } }], "['parameters'] must be an array"],
		['an unknown parameter type', 'photo_offer', [IMAGE_HEADER, bodyWith({ type: 'string', text: 'Ada' })], "['type'] must be one of"],
		['a currency body parameter', 'photo_offer', [IMAGE_HEADER, bodyWith({ type: 'currency', currency: {} })], 'must be "text"'],
		['an empty body text', 'photo_offer', [IMAGE_HEADER, body('')], "['text'] must not be empty"],
		['a numeric body text', 'photo_offer', [IMAGE_HEADER, bodyWith({ type: 'text', text: 5 })], "['text'] must be a string"],
		['an unknown media id', 'product_tour', [header('video', { id: UNKNOWN_MEDIA_ID })], "['video']['id'] is not a valid whatsapp business account media"],
		['both id and link', 'product_tour', [header('video', { id: UNKNOWN_MEDIA_ID, link: VIDEO_LINK })], 'exactly one of id or link (got both)'],
		['neither id nor link', 'product_tour', [header('video', {})], 'got neither'],
		['a caption on the header video', 'product_tour', [header('video', { link: VIDEO_LINK, caption: 'x' })], 'Unexpected key "caption"'],
		['an ftp link', 'product_tour', [header('video', { link: 'ftp://cdn.example.com/a.mp4' })], "['video']['link'] must be an http or https URL"],
		['a quick reply button', 'weekly_digest', [VIDEO_HEADER, body('Ada'), quickReply], "['sub_type'] must be \"url\""],
		['a numeric button index', 'spring_promo', [VIDEO_HEADER, SPRING_BODY, { ...SPRING_BUTTON, index: 0 }], "['index'] must be a string"],
		['an empty button text', 'spring_promo', [VIDEO_HEADER, SPRING_BODY, urlButton('')], "['text'] must not be empty"],
	])('answers 100 for %s', async (_label, name, components, details) => {
		expectMetaError(await send(templateMessage(name, components)), 100, details);
		expect(emu.messagesCreated()).toHaveLength(0);
	});

	it('accepts only media ids this provider stores, of the header’s kind', async () => {
		const imageId = await upload(png, 'offer.png', 'image/png');
		const videoForImage = await send(templateMessage('product_tour', [header('video', { id: imageId })]));
		expectMetaError(videoForImage, 100, 'refers to media of type image/png');
		const videoId = await upload(video, 'promo.mp4', 'video/mp4');
		const imageForVideo = await send(templateMessage('photo_offer', [header('image', { id: videoId }), body('Ada')]));
		expectMetaError(imageForVideo, 100, 'refers to media of type video/mp4');

		// An id uploaded through the other Cloud API provider is unknown here.
		const other =
			provider === 'dialog360'
				? { url: `${emu.metaBaseUrl}/${D.metaGraphApiVersion}/${D.metaPhoneNumberId}/media`, auth: META_AUTH }
				: { url: `${emu.dialog360BaseUrl}/media`, auth: D360_AUTH };
		const foreign = await postForm(
			other.url,
			[
				{ name: 'messaging_product', value: 'whatsapp' },
				{ name: 'file', value: video, filename: 'promo.mp4', contentType: 'video/mp4' },
			],
			other.auth,
		);
		const foreignId = (foreign.json as { id: string }).id;
		const res = await send(templateMessage('product_tour', [header('video', { id: foreignId })]));
		expectMetaError(res, 100, 'is not a valid whatsapp business account media attachment ID');
		expect(emu.messagesCreated()).toHaveLength(0);
	});

	it('keeps video messages as they were, refusing a template object on them', async () => {
		const base = { messaging_product: 'whatsapp', to: TO, type: 'video', video: { link: VIDEO_LINK } };
		expect((await send(base)).status).toBe(200);
		expect(emu.messagesCreated(provider)[0].created).toEqual({
			kind: 'message',
			provider,
			messageId: expect.any(String),
			recipient: TO,
			source: 'link',
		});
		const withTemplate = await send({ ...base, template: { name: 'product_tour' } });
		expectMetaError(withTemplate, 100, 'Param template is not allowed in a message of type video');
		expectMetaError(await send({ ...base, type: 'image' }), 100, 'Param type must be "video", "template" or "interactive"');
	});
});

describe('Cloud API template rules without HTTP', () => {
	it('answers 132016 for a DISABLED template', () => {
		const disabled: EmulatorTemplate = { ...EMULATOR_TEMPLATES[2], status: 'DISABLED' };
		const message = { name: 'product_tour', language: { code: 'en_US' }, components: [VIDEO_HEADER] };
		expect(checkTemplateMessage(message, () => undefined, [disabled])).toEqual({
			ok: false,
			code: 132016,
			details: expect.stringContaining('product_tour'),
		});
		expect(checkTemplateMessage(message, () => undefined)).toEqual({
			ok: true,
			source: 'link',
			template: { name: 'product_tour', language: 'en_US', bodyParameters: [] },
		});
	});

	it('treats a REJECTED template as unknown', () => {
		const rejected: EmulatorTemplate = { ...EMULATOR_TEMPLATES[2], status: 'REJECTED' };
		const message = { name: 'product_tour', language: { code: 'en_US' } };
		expect(checkTemplateMessage(message, () => undefined, [rejected])).toMatchObject({ ok: false, code: 132001 });
	});
});

// ---- Lancepilot sends ----

describe('Lancepilot template messages', () => {
	const NUMBER = encodeURIComponent(D.contactNumber);
	const byNumber = (number: string = NUMBER) =>
		`${emu.lancepilotBaseUrl}/workspaces/${D.workspaceId}/contacts/number/${number}/template-messages`;
	const byContact = (contact: string = D.contactId, workspace: string = D.workspaceId) =>
		`${emu.lancepilotBaseUrl}/workspaces/${workspace}/contacts/${contact}/template-messages`;
	const SPRING = {
		template_id: 41,
		template_data: {
			header: { file: VIDEO_LINK },
			body: { variables: ['Ada', '20%'] },
			buttons: [{ type: 'URL', variables: ['SPRING'] }],
		},
	};
	/** spring_promo with parts of template_data replaced (undefined drops a part). */
	const spring = (data: Record<string, unknown>) => ({ ...SPRING, template_data: { ...SPRING.template_data, ...data } });
	/** Another template with a video header link and the given body variables. */
	const videoTemplate = (id: number, data: Record<string, unknown> = {}) => ({
		template_id: id,
		template_data: { header: { file: VIDEO_LINK }, body: { variables: ['Ada'] }, ...data },
	});
	const HEADER_PART = 'template_data[header][file]';
	const headerFile = (value: string | Buffer, filename?: string, contentType?: string): PartSpec =>
		filename === undefined ? { name: HEADER_PART, value } : { name: HEADER_PART, value, filename, contentType };
	const springParts = (file: PartSpec = headerFile(video, 'promo.mp4', 'video/mp4')): PartSpec[] => [
		{ name: 'template_id', value: '41' },
		file,
		{ name: 'template_data[body][variables][0]', value: 'Ada' },
		{ name: 'template_data[body][variables][1]', value: '20%' },
		{ name: 'template_data[buttons][0][type]', value: 'URL' },
		{ name: 'template_data[buttons][0][variables][0]', value: 'SPRING' },
	];
	const send422 = async (res: Promise<HttpResult>, errors: Record<string, string[]>): Promise<void> => {
		const answer = await res;
		expect(answer.status).toBe(422);
		expect(answer.json).toEqual(validationError(errors));
		expect(emu.messagesCreated()).toHaveLength(0);
	};

	it('sends spring_promo by number with a video link (JSON) and records the template', async () => {
		const res = await postJson(byNumber(), SPRING, LP_AUTH);
		expect(res.status).toBe(201);
		expect(res.json).toEqual({
			status: 201,
			message: 'Resource created successfully.',
			data: {
				id: expect.stringMatching(/^[0-9a-f-]{36}$/),
				type: 'messages',
				attributes: { contact: D.contactNumber, kind: 'template', template_id: 41, file: VIDEO_LINK },
			},
		});
		const [record] = emu.messagesCreated('lancepilot');
		expect(record.created).toEqual({
			kind: 'message',
			provider: 'lancepilot',
			messageId: (res.json as { data: { id: string } }).data.id,
			recipient: D.contactNumber,
			source: 'link',
			template: { id: 41, name: 'spring_promo', language: 'en_US', bodyParameters: ['Ada', '20%'], buttonParameter: 'SPRING' },
		});
		expect(record.lancepilot?.target).toMatchObject({ kind: 'number', form: 'plus', contactCreated: false });
	});

	it('sends spring_promo by contact id with an uploaded video (multipart)', async () => {
		const res = await postForm(byContact(), springParts(), LP_AUTH);
		expect(res.status).toBe(201);
		expect(res.json).toMatchObject({ data: { attributes: { contact: D.contactId, kind: 'template', template_id: 41, file: 'promo.mp4' } } });
		expect(emu.messagesCreated('lancepilot')[0].created).toEqual({
			kind: 'message',
			provider: 'lancepilot',
			messageId: expect.any(String),
			recipient: D.contactId,
			source: 'upload',
			template: { id: 41, name: 'spring_promo', language: 'en_US', bodyParameters: ['Ada', '20%'], buttonParameter: 'SPRING' },
		});
	});

	it('accepts appended variables ([]) and a 3gp upload at exactly 16384 KB', async () => {
		const parts: PartSpec[] = [
			{ name: 'template_id', value: '42' },
			{ name: 'template_data[header][file]', value: Buffer.alloc(LANCEPILOT_MAX_FILE_BYTES, 1), filename: 'promo.3gp', contentType: 'video/3gpp' },
			{ name: 'template_data[body][variables][]', value: 'Ada' },
			{ name: 'template_data[body][variables][]', value: '20 %' },
			{ name: 'template_data[buttons][0][type]', value: 'URL' },
			{ name: 'template_data[buttons][0][variables][]', value: 'FRUEHLING' },
		];
		const res = await postForm(byContact(), parts, LP_AUTH);
		expect(res.status).toBe(201);
		expect(sent(emu.messagesCreated()[0])?.template).toEqual({
			id: 42,
			name: 'spring_promo',
			language: 'de_DE',
			bodyParameters: ['Ada', '20 %'],
			buttonParameter: 'FRUEHLING',
		});
	});

	it('sends the image template by URL and by uploaded image', async () => {
		const json = await postJson(byContact(), { template_id: 45, template_data: { header: { file: IMAGE_LINK }, body: { variables: ['Ada'] } } }, LP_AUTH);
		expect(json.status).toBe(201);
		const form = await postForm(
			byContact(),
			[
				{ name: 'template_id', value: '45' },
				{ name: 'template_data[header][file]', value: png, filename: 'offer.png', contentType: 'image/png' },
				{ name: 'template_data[body][variables][0]', value: 'Ada' },
			],
			LP_AUTH,
		);
		expect(form.status).toBe(201);
		expect(emu.messagesCreated().map((r) => sent(r)?.source)).toEqual(['link', 'upload']);
	});

	it('sends templates without header file, body variables or buttons where they have none', async () => {
		const tour = await postJson(byContact(), { template_id: 43, template_data: { header: { file: VIDEO_LINK } } }, LP_AUTH);
		expect(tour.status).toBe(201);
		const order = await postJson(byContact(), { template_id: 101, template_data: { body: { variables: ['A-1'] } } }, LP_AUTH);
		expect(order.status).toBe(201);
		expect(order.json).toMatchObject({ data: { attributes: { kind: 'template', template_id: 101, file: null } } });
		const [tourRecord, orderRecord] = emu.messagesCreated();
		expect(sent(tourRecord)?.template).toEqual({ id: 43, name: 'product_tour', language: 'en_US', bodyParameters: [] });
		expect(orderRecord.created).not.toHaveProperty('source');
		expect(sent(orderRecord)?.template).toEqual({ id: 101, name: 'order_update_01', language: 'en_US', bodyParameters: ['A-1'] });
	});

	it('creates an unknown number as a contact and honours the omitted message id', async () => {
		emu.setLancepilotOmitMessageId(true);
		const res = await postJson(byNumber('14155550123'), SPRING, LP_AUTH);
		expect(res.status).toBe(201);
		expect((res.json as { data: object }).data).not.toHaveProperty('id');
		const [record] = emu.messagesCreated();
		expect(record.lancepilot?.target).toMatchObject({ kind: 'number', form: 'digits', contactCreated: true });
		expect(record.created).not.toHaveProperty('messageId');
	});

	const H = 'template_data.header.file';
	const VARS = 'template_data.body.variables';
	const BUTTONS = 'template_data.buttons';
	it.each<[string, unknown, Record<string, string[]>]>([
		['no template_id', { template_data: SPRING.template_data }, { template_id: ['The template id field is required.'] }],
		['a string template_id', { ...SPRING, template_id: '41' }, { template_id: ['The template id field must be an integer.'] }],
		['a fractional template_id', { ...SPRING, template_id: 41.5 }, { template_id: [TM.templateIdInteger] }],
		['an unknown template_id', { ...SPRING, template_id: 999 }, { template_id: ['The selected template id is invalid.'] }],
		['the PENDING template', videoTemplate(46), { template_id: ['The selected template is not approved.'] }],
		['the PAUSED template', videoTemplate(47), { template_id: [TM.templateNotApproved] }],
		['no header file', spring({ header: undefined }), { [H]: ['The template_data.header.file field is required.'] }],
		['a header file that is no URL', spring({ header: { file: 'promo.mp4' } }), { [H]: ['The template_data.header.file field must be a valid URL.'] }],
		[
			'the older header.media.file shape',
			spring({ header: { media: { file: VIDEO_LINK } } }),
			{ 'template_data.header.media': ['The template_data.header.media field is prohibited.'], [H]: [TM.required(H)] },
		],
		['a header file for a text header', videoTemplate(101), { [H]: ['The template_data.header.file field is prohibited.'] }],
		['one body variable of two', spring({ body: { variables: ['Ada'] } }), { [VARS]: ['The template_data.body.variables field must contain 2 items.'] }],
		['no body variables', spring({ body: undefined }), { [VARS]: ['The template_data.body.variables field is required.'] }],
		['a body variable for a body without variables', videoTemplate(43, { body: { variables: ['x'] } }), { [VARS]: [TM.size(VARS, 0)] }],
		['variables as a string', spring({ body: { variables: 'Ada' } }), { [VARS]: ['The template_data.body.variables field must be an array.'] }],
		[
			'an empty and a numeric variable',
			spring({ body: { variables: ['', 20] } }),
			{
				[`${VARS}.0`]: ['The template_data.body.variables.0 field is required.'],
				[`${VARS}.1`]: ['The template_data.body.variables.1 field must be a string.'],
			},
		],
		['no buttons', spring({ buttons: undefined }), { [BUTTONS]: ['The template_data.buttons field is required.'] }],
		[
			'two button variables',
			spring({ buttons: [{ type: 'URL', variables: ['A', 'B'] }] }),
			{ [`${BUTTONS}.0.variables`]: ['The template_data.buttons.0.variables field must contain 1 items.'] },
		],
		[
			'no button variables',
			spring({ buttons: [{ type: 'URL' }] }),
			{ [`${BUTTONS}.0.variables`]: ['The template_data.buttons.0.variables field is required.'] },
		],
		[
			'a lower-case button type',
			spring({ buttons: [{ type: 'url', variables: ['SPRING'] }] }),
			{ [`${BUTTONS}.0.type`]: ['The selected template_data.buttons.0.type is invalid.'] },
		],
		['two buttons', spring({ buttons: [...SPRING.template_data.buttons, ...SPRING.template_data.buttons] }), { [BUTTONS]: [TM.size(BUTTONS, 1)] }],
		['buttons for a static URL', videoTemplate(44, { buttons: [{ type: 'URL', variables: ['x'] }] }), { [BUTTONS]: [TM.prohibited(BUTTONS)] }],
		[
			'unknown fields at every level',
			{
				...spring({ footer: {}, body: { variables: ['Ada', '20%'], text: 'x' }, buttons: [{ type: 'URL', variables: ['S'], url: 'x' }] }),
				to: TO,
			},
			{
				'template_data.footer': ['The template_data.footer field is prohibited.'],
				'template_data.body.text': ['The template_data.body.text field is prohibited.'],
				'template_data.buttons.0.url': ['The template_data.buttons.0.url field is prohibited.'],
				to: ['The to field is prohibited.'],
			},
		],
		['template_data as a list', { template_id: 43, template_data: [] }, { template_data: [TM.array('template_data')], [H]: [TM.required(H)] }],
		['an array body', [SPRING], { body: ['The JSON body must be an object.'] }],
	])('answers 422 for %s (JSON)', async (_label, payload, errors) => {
		await send422(postJson(byContact(), payload, LP_AUTH), errors);
	});

	it('reports number and template errors together', async () => {
		await send422(postJson(byNumber('12'), { template_id: 41, template_data: { header: { file: VIDEO_LINK } } }, LP_AUTH), {
			number: ['The number must be a valid E.164 phone number.'],
			[VARS]: [TM.required(VARS)],
			[BUTTONS]: [TM.required(BUTTONS)],
		});
	});

	const withoutPart = (name: string): PartSpec[] => springParts().filter((p) => p.name !== name);
	it.each<[string, PartSpec[], Record<string, string[]>]>([
		['a header URL as text', springParts(headerFile(VIDEO_LINK)), { [H]: ['The template_data.header.file field must be a file.'] }],
		[
			'a QuickTime upload',
			springParts(headerFile(video, 'a.mov', 'video/quicktime')),
			{ [H]: ['The template_data.header.file field must be a file of type: mp4, 3gp.'] },
		],
		['an empty upload', springParts(headerFile(Buffer.alloc(0), 'a.mp4', 'video/mp4')), { [H]: [TM.fileType(H, 'mp4, 3gp')] }],
		[
			'an upload over 16384 KB',
			springParts(headerFile(Buffer.alloc(LANCEPILOT_MAX_FILE_BYTES + 1, 1), 'a.mp4', 'video/mp4')),
			{ [H]: ['The template_data.header.file field must not be greater than 16384 kilobytes.'] },
		],
		[
			'a video for the image template',
			[
				{ name: 'template_id', value: '45' },
				headerFile(video, 'promo.mp4', 'video/mp4'),
				{ name: 'template_data[body][variables][0]', value: 'Ada' },
			],
			{ [H]: ['The template_data.header.file field must be a file of type: jpg, jpeg, png.'] },
		],
		[
			'a template_id that is no number',
			[{ name: 'template_id', value: 'spring_promo' }, ...withoutPart('template_id')],
			{ template_id: [TM.templateIdInteger] },
		],
		[
			'a duplicated variable',
			[...springParts(), { name: 'template_data[body][variables][1]', value: '30%' }],
			{ [`${VARS}.1`]: ['The template_data.body.variables.1 field must not be sent more than once.'] },
		],
		[
			'the older header[media][file] name',
			springParts({ ...headerFile(video, 'promo.mp4', 'video/mp4'), name: 'template_data[header][media][file]' }),
			{ 'template_data.header.media': [TM.prohibited('template_data.header.media')], [H]: [TM.required(H)] },
		],
		[
			'variables with a gap',
			[...withoutPart('template_data[body][variables][0]'), { name: 'template_data[body][variables][2]', value: 'x' }],
			{ [VARS]: [TM.size(VARS, 2)] },
		],
		[
			'a variable sent as a file',
			[
				...withoutPart('template_data[body][variables][0]'),
				{ name: 'template_data[body][variables][0]', value: 'Ada', filename: 'v.txt', contentType: 'text/plain' },
			],
			{ [`${VARS}.0`]: [TM.string(`${VARS}.0`)] },
		],
	])('answers 422 for %s (multipart)', async (_label, parts, errors) => {
		await send422(postForm(byContact(), parts, LP_AUTH), errors);
	});

	it('answers 400 for malformed JSON, 404 for unknown workspace or contact, 405 for GET', async () => {
		const bad = await http(byContact(), { method: 'POST', headers: { ...LP_AUTH, 'Content-Type': 'application/json' }, body: '{"template_id":' });
		expect(bad.status).toBe(400);
		const empty = await http(byContact(), { method: 'POST', headers: { ...LP_AUTH, 'Content-Type': 'application/json' } });
		expect(empty.json).toEqual(validationError({ template_id: [TM.templateIdRequired] }));
		const workspace = await postJson(byContact(D.contactId, '00000000-1111-4222-8333-444444444444'), SPRING, LP_AUTH);
		expect(workspace.json).toEqual({ message: 'Workspace not found.', status: 404 });
		const contact = await postJson(byContact('00000000-1111-4222-8333-444444444444'), SPRING, LP_AUTH);
		expect(contact.json).toEqual({ message: 'Contact not found.', status: 404 });
		const get = await http(byNumber(), { headers: LP_AUTH });
		expect(get.status).toBe(405);
		expect(get.headers.get('allow')).toBe('POST');
		expect(emu.messagesCreated()).toHaveLength(0);
	});
});
