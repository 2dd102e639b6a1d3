import type { INodeParameters } from 'n8n-workflow';

import { metaErrorBody } from '../../emulator/cloudApi';
import type { RecordedRequest } from '../../emulator/server';
import { BINARY_MODES, runWorkflow } from '../../harness/engine';
import type { InputItem, RunOptions } from '../../harness/engine';
import type { MediaHost } from '../../harness/mediaServer';
import { startMediaHost } from '../../harness/mediaServer';
import { D, emulatorCredentials, fixture, phone, sha256, useEmulator, videoItem } from '../../harness/setup';

const emulator = useEmulator();
let host: MediaHost;
beforeAll(async () => {
	host = await startMediaHost();
});
afterAll(async () => await host.close());

function send(parameters: INodeParameters, items: InputItem[], options: Partial<RunOptions> = {}) {
	return runWorkflow({ parameters, items, credentials: emulatorCredentials(emulator()), ...options });
}

const locator = (value: string) => ({ __rl: true, mode: 'list', value });

/** Each provider with its way of naming the emulator's templates and of listing them. */
const PROVIDERS = [
	{
		provider: 'lancepilot',
		base: { provider: 'lancepilot', workspaceId: D.workspaceId, contactBy: 'number' },
		listing: `/workspaces/${D.workspaceId}/templates`,
		spring: '41',
		tour: '43',
		digest: '44',
		photo: '45',
		pending: '46',
		paused: '47',
		unknown: '999',
		unknownAsked: 'template ID 999',
		malformed: 'spring_promo|en_US',
		template: (name: string, language: string, id: number) => ({ id, name, language }),
	},
	...[
		{ provider: 'dialog360', listing: '/v1/configs/templates', messages: '/messages' },
		{
			provider: 'whatsappCloud',
			listing: `/${D.metaGraphApiVersion}/${D.metaBusinessAccountId}/message_templates`,
			messages: `/${D.metaGraphApiVersion}/${D.metaPhoneNumberId}/messages`,
		},
	].map(({ provider, listing }) => ({
		provider,
		base: { provider },
		listing,
		spring: 'spring_promo|en_US',
		tour: 'product_tour|en_US',
		digest: 'weekly_digest|en_US',
		photo: 'photo_offer|en_US',
		pending: 'autumn_teaser|en_US',
		paused: 'winter_recap|en_US',
		unknown: 'spring_promo|fr_FR',
		unknownAsked: 'template "spring_promo" in fr_FR',
		malformed: 'spring_promo',
		template: (name: string, language: string) => ({ name, language }),
	})),
];
const CLOUD_API = PROVIDERS.filter(({ provider }) => provider !== 'lancepilot');

const byMethod = (method: string) => emulator().requests.filter((request) => request.method === method).sort((a, b) => a.id - b.id);
const listingReads = (path: string) => byMethod('GET').filter((request) => request.path === path);
const templateOf = (request: RecordedRequest) => (request.created?.kind === 'message' ? request.created.template : undefined);

/** Three customers, each with a name and a coupon, all getting the same promo video. */
function customers(): InputItem[] {
	const { binary } = videoItem();
	return ['Ada', 'Grace', 'Edsger'].map((name, index) => ({ json: { phone: phone(index), name, coupon: `SPRING-${name.toUpperCase()}` }, binary }));
}

const SPRING_PARAMETERS = {
	messageType: 'template',
	recipient: '={{ $json.phone }}',
	bodyParameters: { parameter: [{ text: '={{ $json.name }}' }, { text: '20%' }] },
	buttonParameter: '={{ $json.coupon }}',
};

describe('Template messages (Message Type "Template")', () => {
	describe.each(BINARY_MODES)('with binary data kept %s', (binaryMode) => {
		test.each(PROVIDERS)(
			'$provider: one binary video as the header of spring_promo for three customers, body and button parameters per item',
			async ({ provider, base, listing, spring, template }) => {
				const result = await send(
					{ ...base, ...SPRING_PARAMETERS, template: locator(spring), source: 'binary', caption: 'not for templates' },
					customers(),
					{ binaryMode },
				);

				expect(result.error).toBeUndefined();
				// The listing has 67 templates in pages of 50: read once for the whole run.
				expect(listingReads(listing)).toHaveLength(2);
				// In recipient order (phone(0) < phone(1) < phone(2)), whatever order they finished in.
				const recipientOf = (request: RecordedRequest) => (request.created?.kind === 'message' ? request.created.recipient : '');
				const sends = emulator()
					.messagesCreated(provider as 'lancepilot')
					.sort((a, b) => recipientOf(a).localeCompare(recipientOf(b)));
				expect(sends.map(templateOf)).toEqual(
					['Ada', 'Grace', 'Edsger'].map((name) =>
						expect.objectContaining({
							name: 'spring_promo',
							language: 'en_US',
							bodyParameters: [name, '20%'],
							buttonParameter: `SPRING-${name.toUpperCase()}`,
						}),
					),
				);
				expect(result.items.map((item) => item.json.template)).toEqual([0, 1, 2].map(() => template('spring_promo', 'en_US', 41)));
				expect(result.items.map((item) => item.json.recipient)).toEqual([0, 1, 2].map((index) => phone(index).slice(1)));
				if (provider === 'lancepilot') {
					expect(sends.map((request) => request.path)).toEqual(
						[0, 1, 2].map((index) => `/workspaces/${D.workspaceId}/contacts/number/${encodeURIComponent(phone(index))}/template-messages`),
					);
					expect(sends[0].multipart).toEqual([
						expect.objectContaining({ name: 'template_id', value: '41' }),
						expect.objectContaining({
							name: 'template_data[header][file]',
							contentType: 'video/mp4',
							sha256: sha256(fixture('baseline-aac-faststart.mp4')),
						}),
						expect.objectContaining({ name: 'template_data[body][variables][0]', value: 'Ada' }),
						expect.objectContaining({ name: 'template_data[body][variables][1]', value: '20%' }),
						expect.objectContaining({ name: 'template_data[buttons][0][type]', value: 'URL' }),
						expect.objectContaining({ name: 'template_data[buttons][0][variables][0]', value: 'SPRING-ADA' }),
					]);
				} else {
					const uploads = emulator().uploads();
					expect(uploads).toHaveLength(1);
					const mediaId = (uploads[0].responseBody as { id: string }).id;
					expect(sends[0].json).toEqual({
						messaging_product: 'whatsapp',
						recipient_type: 'individual',
						to: phone(0).slice(1),
						type: 'template',
						template: {
							name: 'spring_promo',
							language: { code: 'en_US' },
							components: [
								{ type: 'header', parameters: [{ type: 'video', video: { id: mediaId } }] },
								{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }, { type: 'text', text: '20%' }] },
								{ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'SPRING-ADA' }] },
							],
						},
					});
					expect(result.items.map((item) => item.json.mediaId)).toEqual([mediaId, mediaId, mediaId]);
				}
			},
		);
	});

	test.each(PROVIDERS)('$provider: a video link as the header of a template without variables', async ({ provider, base, tour, template }) => {
		const url = 'https://cdn.example.com/tour.mp4';
		const result = await send({ ...base, messageType: 'template', recipient: '+49 151 2345 6789', template: locator(tour), source: 'url', videoUrl: url }, [
			{ json: {} },
		]);

		expect(result.error).toBeUndefined();
		const [message] = emulator().messagesCreated(provider as 'lancepilot');
		expect(result.items[0].json.template).toEqual(template('product_tour', 'en_US', 43));
		if (provider === 'lancepilot') {
			expect(message.json).toEqual({ template_id: 43, template_data: { header: { file: url } } });
		} else {
			expect(message.json).toMatchObject({
				type: 'template',
				template: { name: 'product_tour', language: { code: 'en_US' }, components: [{ type: 'header', parameters: [{ type: 'video', video: { link: url } }] }] },
			});
		}
	});

	test.each(CLOUD_API)('$provider: a media id as the header, with reply context and callback data', async ({ base, tour }) => {
		const first = await send({ ...base, recipient: '+4915123456789', source: 'binary' }, [videoItem()]);
		const mediaId = first.items[0].json.mediaId as string;

		const result = await send(
			{
				...base,
				messageType: 'template',
				recipient: '+4915123456789',
				template: locator(tour),
				source: 'mediaId',
				mediaId,
				options: { replyToMessageId: 'wamid.ABC', callbackData: 'order-7' },
			},
			[{ json: {} }],
		);

		expect(result.error).toBeUndefined();
		const message = byMethod('POST').at(-1) as RecordedRequest;
		expect(message.json).toMatchObject({
			type: 'template',
			template: { components: [{ type: 'header', parameters: [{ type: 'video', video: { id: mediaId } }] }] },
			context: { message_id: 'wamid.ABC' },
			biz_opaque_callback_data: 'order-7',
		});
		expect(result.items[0].json).toMatchObject({ status: 'accepted', mediaId, template: { name: 'product_tour', language: 'en_US' } });
	});

	test.each(CLOUD_API)('$provider: a video URL with "Download and Upload" is fetched, checked, uploaded once and sent by id', async ({ base, tour }) => {
		const result = await send(
			{
				...base,
				messageType: 'template',
				recipient: '={{ $json.phone }}',
				template: locator(tour),
				source: 'url',
				videoUrl: `${host.origin}/files/moov-at-end.mp4`,
				options: { urlDelivery: 'upload' },
			},
			[{ json: { phone: phone(0) } }, { json: { phone: phone(1) } }],
		);

		expect(result.error).toBeUndefined();
		expect(emulator().uploads()).toHaveLength(1);
		const mediaId = (emulator().uploads()[0].responseBody as { id: string }).id;
		expect(byMethod('POST').filter((request) => request.path.endsWith('/messages')).map((request) => request.json)).toEqual(
			[0, 1].map(() => expect.objectContaining({ template: expect.objectContaining({ components: [{ type: 'header', parameters: [{ type: 'video', video: { id: mediaId } }] }] }) })),
		);
		expect(result.items[0].json.video).toMatchObject({ faststart: true });
	});

	describe('refused before anything is sent, naming item, field and fix', () => {
		const cases = PROVIDERS.flatMap((p) => [
			{ ...p, what: 'a template unknown in that language', value: p.unknown, extra: {}, field: 'Template', problem: `${p.unknownAsked} does not exist in this account` },
			{ ...p, what: 'a pending template', value: p.pending, extra: { bodyParameters: { parameter: [{ text: 'Ada' }] } }, field: 'Template', problem: 'is PENDING, not approved' },
			{ ...p, what: 'a paused template', value: p.paused, extra: { bodyParameters: { parameter: [{ text: 'Ada' }] } }, field: 'Template', problem: 'is PAUSED, not approved' },
			{ ...p, what: 'an image header', value: p.photo, extra: { bodyParameters: { parameter: [{ text: 'Ada' }] } }, field: 'Template', problem: 'has an image header, not a video header' },
			{ ...p, what: 'too few body parameters', value: p.spring, extra: { bodyParameters: { parameter: [{ text: 'Ada' }] }, buttonParameter: 'X' }, field: 'Body Parameters', problem: 'spring_promo expects 2 body parameters, got 1' },
			{ ...p, what: 'a missing URL button variable', value: p.spring, extra: { bodyParameters: { parameter: [{ text: 'Ada' }, { text: '20%' }] } }, field: 'Button Parameter', problem: "spring_promo's URL button needs a value" },
			{ ...p, what: 'a button parameter for a static URL button', value: p.digest, extra: { bodyParameters: { parameter: [{ text: 'Ada' }] }, buttonParameter: 'X' }, field: 'Button Parameter', problem: 'weekly_digest has no URL button with a variable' },
			{ ...p, what: 'a value that is not a template reference', value: p.malformed, extra: {}, field: 'Template', problem: 'is not a' },
		]);

		test.each(cases)('$provider: $what', async ({ base, value, extra, field, problem }) => {
			const result = await send(
				{ ...base, messageType: 'template', recipient: '+4915123456789', template: locator(value), source: 'url', videoUrl: 'https://cdn.example.com/a.mp4', ...extra },
				[{ json: {} }],
			);

			expect(result.items).toEqual([]);
			expect(result.error?.message).toContain(`Invalid "${field}" in item 0: `);
			expect(result.error?.message).toContain(problem);
			expect(result.error?.description).toBeTruthy();
			expect(byMethod('POST')).toEqual([]);
		});

		test('the error for a wrong language names the languages the template exists in', async () => {
			const result = await send(
				{ provider: 'dialog360', messageType: 'template', recipient: '+4915123456789', template: locator('spring_promo|fr_FR'), source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' },
				[{ json: {} }],
			);

			expect(result.error?.description).toContain('It exists in: en_US, de_DE.');
		});

		test('Meta without the Business Account ID in the credential says what to add, and sends nothing', async () => {
			const credentials = emulatorCredentials(emulator());
			credentials.whatsAppCloudApi = { ...credentials.whatsAppCloudApi, businessAccountId: '' };
			const result = await runWorkflow({
				parameters: { provider: 'whatsappCloud', messageType: 'template', recipient: '+4915123456789', template: locator('product_tour|en_US'), source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' },
				items: [{ json: {} }],
				credentials,
			});

			expect(result.error?.message).toContain('Business Account ID');
			expect(emulator().requests).toEqual([]);
		});
	});

	test.each(PROVIDERS)('$provider: with Continue On Fail an item whose parameter is empty becomes an error item, the others are sent', async ({ provider, base, spring }) => {
		const items = customers().map((item, index) => ({ ...item, json: { ...item.json, name: index === 1 ? '' : item.json?.name } }));
		const result = await send({ ...base, ...SPRING_PARAMETERS, template: locator(spring), source: 'binary' }, items, { continueOnFail: true });

		expect(result.error).toBeUndefined();
		expect(result.items[1].json.error).toBe('Invalid "Body Parameters" in item 1: parameter 1 ({{1}}) is empty');
		expect([result.items[0].json.status, result.items[2].json.status]).toEqual(provider === 'lancepilot' ? ['created', 'created'] : ['accepted', 'accepted']);
		expect(emulator().messagesCreated(provider as 'lancepilot').map((request) => templateOf(request)?.bodyParameters[0])).toEqual(
			expect.arrayContaining(['Ada', 'Edsger']),
		);
		expect(emulator().messagesCreated(provider as 'lancepilot')).toHaveLength(2);
	});

	test.each(CLOUD_API)('$provider: a template paused after the check is reported with WhatsApp\'s code and advice', async ({ base, tour }) => {
		emulator().injectFault({ method: 'POST', path: /\/messages$/, kind: 'status', status: 400, body: metaErrorBody(132015, 'Template is paused') });
		const result = await send(
			{ ...base, messageType: 'template', recipient: '+4915123456789', template: locator(tour), source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' },
			[{ json: {} }],
		);

		expect(result.error?.message).toContain('WhatsApp error 132015');
		expect(result.error?.description).toContain('paused or disabled');
	});

	test('a saved video workflow without Message Type still sends a video message with its caption', async () => {
		const result = await send({ provider: 'dialog360', recipient: '+4915123456789', source: 'url', videoUrl: 'https://cdn.example.com/a.mp4', caption: 'Hi' }, [{ json: {} }]);

		expect(result.error).toBeUndefined();
		expect(emulator().messagesCreated('dialog360')[0].json).toMatchObject({ type: 'video', video: { link: 'https://cdn.example.com/a.mp4', caption: 'Hi' } });
		expect(byMethod('GET')).toEqual([]);
	});
});
