/**
 * Message Types "Video with Reply Buttons" and "Video with a Link Button" (360dialog and Meta): the
 * video as the header of an interactive message, every WhatsApp limit checked before anything is
 * sent, and a clear refusal where the message cannot go as asked.
 */
import type { INodeParameters, INodeProperties } from 'n8n-workflow';

import { SendWhatsAppVideo } from '../../../nodes/SendWhatsAppVideo/SendWhatsAppVideo.node';
import type { RecordedRequest } from '../../emulator/server';
import { BINARY_MODES, runWorkflow } from '../../harness/engine';
import type { InputItem, RunOptions } from '../../harness/engine';
import { D, emulatorCredentials, phone, useEmulator, videoItem } from '../../harness/setup';

const emulator = useEmulator();

function send(parameters: INodeParameters, items: InputItem[], options: Partial<RunOptions> = {}) {
	return runWorkflow({ parameters, items, credentials: emulatorCredentials(emulator()), ...options });
}

const CLOUD_API = [{ provider: 'dialog360' }, { provider: 'whatsappCloud' }];
const LINK = 'https://cdn.example.com/spring.mp4';
const YES_NO = { button: [{ id: 'yes', title: 'Yes' }, { id: 'no', title: 'No' }] };

const messagesOf = (provider: string) =>
	emulator()
		.messagesCreated(provider as 'dialog360')
		.sort((a, b) => ((a.json as { to: string }).to ?? '').localeCompare((b.json as { to: string }).to ?? ''));
const interactiveOf = (request: RecordedRequest) => (request.created?.kind === 'message' ? request.created.interactive : undefined);

/** Reply buttons under a video link, to one number: what most refusal cases change one field of. */
const buttonsMessage = (provider: string): INodeParameters => ({
	provider,
	messageType: 'buttons',
	recipient: '+49 151 2345 6789',
	source: 'url',
	videoUrl: LINK,
	bodyText: 'Would you like a demo?',
	replyButtons: YES_NO,
});

const linkMessage = (provider: string): INodeParameters => ({
	provider,
	messageType: 'ctaUrl',
	recipient: '+49 151 2345 6789',
	source: 'url',
	videoUrl: LINK,
	bodyText: 'Our spring collection is here.',
	ctaDisplayText: 'Book now',
	ctaUrl: 'https://shop.example.com/book',
});

describe('Video with Reply Buttons', () => {
	describe.each(BINARY_MODES)('with binary data kept %s', (binaryMode) => {
		test.each(CLOUD_API)(
			'$provider: one binary video is uploaded once and heads the buttons of every recipient, each with its own body',
			async ({ provider }) => {
				const { binary } = videoItem();
				const items = ['Ada', 'Grace', 'Edsger'].map((name, index) => ({ json: { phone: phone(index), name }, binary }));
				const result = await send(
					{
						...buttonsMessage(provider),
						recipient: '={{ $json.phone }}',
						source: 'binary',
						bodyText: '=Hi {{ $json.name }}, would you like a demo?',
						footerText: 'Answer any time',
						caption: 'typed before switching Message Type',
					},
					items,
					{ binaryMode },
				);

				expect(result.error).toBeUndefined();
				expect(emulator().uploads()).toHaveLength(1);
				const mediaId = (emulator().uploads()[0].responseBody as { id: string }).id;
				const sent = messagesOf(provider);
				expect(sent.map((request) => request.json)).toEqual(
					['Ada', 'Grace', 'Edsger'].map((name, index) => ({
						messaging_product: 'whatsapp',
						recipient_type: 'individual',
						to: phone(index).slice(1),
						type: 'interactive',
						interactive: {
							type: 'button',
							header: { type: 'video', video: { id: mediaId } },
							body: { text: `Hi ${name}, would you like a demo?` },
							footer: { text: 'Answer any time' },
							action: {
								buttons: [
									{ type: 'reply', reply: { id: 'yes', title: 'Yes' } },
									{ type: 'reply', reply: { id: 'no', title: 'No' } },
								],
							},
						},
					})),
				);
				expect(result.items.map((item) => item.json)).toEqual(
					[0, 1, 2].map((index) =>
						expect.objectContaining({
							provider,
							recipient: phone(index).slice(1),
							status: 'accepted',
							messageId: expect.stringMatching(/^wamid\./),
							mediaId,
						}),
					),
				);
				const messageIds = new Set(sent.map((request) => (request.created?.kind === 'message' ? request.created.messageId : '')));
				expect(new Set(result.items.map((item) => item.json.messageId))).toEqual(messageIds);
			},
		);
	});

	test.each(CLOUD_API)('$provider: a media ID as the header, with reply context and callback data', async ({ provider }) => {
		const first = await send({ provider, recipient: '+4915123456789', source: 'binary' }, [videoItem()]);
		const mediaId = first.items[0].json.mediaId as string;

		const result = await send(
			{ ...buttonsMessage(provider), source: 'mediaId', mediaId, options: { replyToMessageId: 'wamid.ABC', callbackData: 'survey-7' } },
			[{ json: {} }],
		);

		expect(result.error).toBeUndefined();
		const message = messagesOf(provider).find((request) => interactiveOf(request)) as RecordedRequest;
		expect(message.json).toMatchObject({
			type: 'interactive',
			interactive: { type: 'button', header: { type: 'video', video: { id: mediaId } } },
			context: { message_id: 'wamid.ABC' },
			biz_opaque_callback_data: 'survey-7',
		});
		expect(message.json).not.toHaveProperty('interactive.footer');
		expect(result.items[0].json).toMatchObject({ status: 'accepted', mediaId });
	});

	test.each(CLOUD_API)('$provider: a video link as the header; limits are counted in characters, so 20 emoji make a title', async ({ provider }) => {
		const title = '👍'.repeat(20);
		const result = await send({ ...buttonsMessage(provider), replyButtons: { button: [{ id: ' thumbs ', title }] } }, [{ json: {} }], {
			typeVersion: 2,
		});

		expect(result.error).toBeUndefined();
		expect(interactiveOf(messagesOf(provider)[0])).toEqual({
			type: 'button',
			body: 'Would you like a demo?',
			buttons: [{ id: 'thumbs', title }],
		});
		expect(messagesOf(provider)[0].created).toMatchObject({ source: 'link' });
		expect(result.items[0].json).toMatchObject({ status: 'accepted', mediaId: null });
	});
});

describe('Video with a Link Button', () => {
	test.each(CLOUD_API)('$provider: the video goes by link, under the body, footer and one button opening the address', async ({ provider }) => {
		const result = await send({ ...linkMessage(provider), footerText: 'Offer ends Sunday', caption: 'not sent' }, [{ json: {} }]);

		expect(result.error).toBeUndefined();
		expect(messagesOf(provider).map((request) => request.json)).toEqual([
			{
				messaging_product: 'whatsapp',
				recipient_type: 'individual',
				to: '4915123456789',
				type: 'interactive',
				interactive: {
					type: 'cta_url',
					header: { type: 'video', video: { link: LINK } },
					body: { text: 'Our spring collection is here.' },
					footer: { text: 'Offer ends Sunday' },
					action: { name: 'cta_url', parameters: { display_text: 'Book now', url: 'https://shop.example.com/book' } },
				},
			},
		]);
		expect(result.items[0].json).toMatchObject({ provider, status: 'accepted', messageId: expect.stringMatching(/^wamid\./), mediaId: null });
	});
});

describe('refused before anything is sent, naming item, field and fix', () => {
	const tooLong = (count: number) => 'x'.repeat(count);
	// Fields left empty in the panel stop n8n before the node runs (see below); what the node
	// checks itself is what expressions resolve to, item by item.
	const EMPTY = '={{ $json.missing }}';
	const cases: Array<{ what: string; base: (provider: string) => INodeParameters; change: INodeParameters; field: string; problem: string }> = [
		{
			what: 'a title of 21 characters',
			base: buttonsMessage,
			change: { replyButtons: { button: [{ id: 'yes', title: tooLong(21) }] } },
			field: 'Reply Buttons',
			problem: "button 1's title \"xxxxxxxxxxxxxxxxxxxxx\" has 21 characters; the limit is 20",
		},
		{
			what: 'an ID of 257 characters',
			base: buttonsMessage,
			change: { replyButtons: { button: [{ id: 'yes', title: 'Yes' }, { id: tooLong(257), title: 'No' }] } },
			field: 'Reply Buttons',
			problem: "button 2's ID",
		},
		{
			what: 'two buttons with the same ID',
			base: buttonsMessage,
			change: { replyButtons: { button: [{ id: 'yes', title: 'Yes' }, { id: 'no', title: 'No' }, { id: 'yes', title: 'Sure' }] } },
			field: 'Reply Buttons',
			problem: 'buttons 1 and 3 have the same ID "yes"',
		},
		{ what: 'a button without a title', base: buttonsMessage, change: { replyButtons: { button: [{ id: 'yes', title: ' ' }] } }, field: 'Reply Buttons', problem: 'button 1 has no title' },
		{ what: 'a button without an ID', base: buttonsMessage, change: { replyButtons: { button: [{ id: EMPTY, title: 'Yes' }] } }, field: 'Reply Buttons', problem: 'button 1 has no ID' },
		{
			what: 'a button title that is not text',
			base: buttonsMessage,
			change: { replyButtons: { button: [{ id: 'yes', title: '={{ $json }}' }] } },
			field: 'Reply Buttons',
			problem: "button 1's title is not text",
		},
		{ what: 'an empty body', base: buttonsMessage, change: { bodyText: EMPTY }, field: 'Body Text', problem: 'it is empty' },
		{ what: 'a body of only spaces', base: buttonsMessage, change: { bodyText: '   ' }, field: 'Body Text', problem: 'it contains only whitespace' },
		{ what: 'a body of 1,025 characters', base: buttonsMessage, change: { bodyText: tooLong(1025) }, field: 'Body Text', problem: 'it has 1025 characters; the limit is 1024' },
		{ what: 'a footer of 61 characters', base: linkMessage, change: { footerText: tooLong(61) }, field: 'Footer Text', problem: 'it has 61 characters; the limit is 60' },
		{ what: 'link button text of 21 characters', base: linkMessage, change: { ctaDisplayText: tooLong(21) }, field: 'Link Button Text', problem: 'it has 21 characters; the limit is 20' },
		{ what: 'no link button text', base: linkMessage, change: { ctaDisplayText: EMPTY }, field: 'Link Button Text', problem: 'it is empty' },
		{ what: 'a link that is not http(s)', base: linkMessage, change: { ctaUrl: 'ftp://shop.example.com/book' }, field: 'Link Button URL', problem: 'the "ftp" scheme is not allowed' },
		{ what: 'a link with a password in it', base: linkMessage, change: { ctaUrl: 'https://me:secret@shop.example.com/' }, field: 'Link Button URL', problem: 'contains a user name or password' },
		{ what: 'no link', base: linkMessage, change: { ctaUrl: EMPTY }, field: 'Link Button URL', problem: 'it is empty' },
		{
			what: 'a link button with a binary video',
			base: linkMessage,
			change: { source: 'binary' },
			field: 'Video Source',
			problem: 'Message Type "Video with a Link Button" takes its video by link only, and "Binary File" would send it by media ID',
		},
		{
			what: 'a link button with a media ID',
			base: linkMessage,
			change: { source: 'mediaId', mediaId: '1037543291543636' },
			field: 'Video Source',
			problem: 'takes its video by link only, and "Media ID" would send it by media ID',
		},
		{
			what: 'a link button whose video URL would be downloaded and uploaded',
			base: linkMessage,
			change: { options: { urlDelivery: 'upload' } },
			field: 'URL Delivery',
			problem: '"Download and Upload" sends the video by media ID',
		},
	];

	test.each(CLOUD_API.flatMap(({ provider }) => cases.map((entry) => ({ provider, ...entry }))))(
		'$provider: $what',
		async ({ provider, base, change, field, problem }) => {
			const result = await send({ ...base(provider), ...change }, [videoItem()]);

			expect(result.items).toEqual([]);
			expect(result.error?.message).toContain(`Invalid "${field}" in item 0: `);
			expect(result.error?.message).toContain(problem);
			expect(result.error?.description).toBeTruthy();
			expect(emulator().requests).toEqual([]);
		},
	);

	test.each([
		['no reply buttons', { replyButtons: {} }],
		['four reply buttons', { replyButtons: { button: ['a', 'b', 'c', 'd'].map((id) => ({ id, title: id.toUpperCase() })) } }],
		['an empty Body Text', { bodyText: '' }],
	])('%s in the panel: n8n itself refuses to run the workflow, and nothing is sent', async (_what, change) => {
		// n8n 2.8 says "The workflow has issues …", n8n 2.41 "The 'Send WhatsApp Video' node has issues: …".
		await expect(send({ ...buttonsMessage('dialog360'), ...change }, [{ json: {} }])).rejects.toThrow(/has issues/);
		expect(emulator().requests).toEqual([]);
	});

	test('the link-only refusal says why and what to choose instead', async () => {
		const result = await send({ ...linkMessage('whatsappCloud'), source: 'binary' }, [videoItem()]);

		expect(result.error?.description).toBe(
			'WhatsApp documents only a link for the video of a link button message. Set Video Source to URL with a public link to the video file, or set Message Type to "Video with Reply Buttons", which also takes an uploaded video or a media ID.',
		);
	});

	test('a limit broken by one item stops the run before any item is sent, naming that item', async () => {
		const items = ['Ada', 'x'.repeat(1030), 'Edsger'].map((name, index) => ({ json: { phone: phone(index), name } }));
		const result = await send({ ...buttonsMessage('dialog360'), recipient: '={{ $json.phone }}', bodyText: '={{ $json.name }}' }, items);

		expect(result.error?.message).toBe('Invalid "Body Text" in item 1: it has 1030 characters; the limit is 1024');
		expect(emulator().requests).toEqual([]);
	});

	test('with Continue On Fail the bad item becomes an error item and the others are sent', async () => {
		const items = ['yes', 'yes', 'maybe'].map((second, index) => ({ json: { phone: phone(index), second } }));
		const result = await send(
			{
				...buttonsMessage('whatsappCloud'),
				recipient: '={{ $json.phone }}',
				replyButtons: { button: [{ id: 'yes', title: 'Yes' }, { id: '={{ $json.second }}', title: 'Other' }] },
			},
			items,
			{ continueOnFail: true },
		);

		expect(result.items.map((item) => item.json.status ?? item.json.error)).toEqual([
			'Invalid "Reply Buttons" in item 0: buttons 1 and 2 have the same ID "yes"',
			'Invalid "Reply Buttons" in item 1: buttons 1 and 2 have the same ID "yes"',
			'accepted',
		]);
		expect(emulator().messagesCreated('whatsappCloud')).toHaveLength(1);
	});
});

describe('Lancepilot', () => {
	const lancepilot = { provider: 'lancepilot', workspaceId: D.workspaceId, contactBy: 'number' };

	test.each([
		['buttons', 'Video with Reply Buttons'],
		['ctaUrl', 'Video with a Link Button'],
	])('Message Type %s is refused, naming Message Type, and nothing is sent', async (messageType, name) => {
		const result = await send({ ...linkMessage('lancepilot'), ...lancepilot, replyButtons: YES_NO, messageType }, [{ json: {} }]);

		expect(result.items).toEqual([]);
		expect(result.error?.message).toBe(`Invalid "Message Type" in item 0: Lancepilot cannot send "${name}": its API documents no such message`);
		expect(result.error?.description).toBe('Choose one of: Video, Template; or send it through 360dialog or WhatsApp Cloud API (Meta).');
		expect(emulator().requests).toEqual([]);
	});
});

describe('in the node panel', () => {
	const { properties } = new SendWhatsAppVideo().description;
	const messageTypeFor = (provider: string) =>
		properties.find((property) => property.name === 'messageType' && (property.displayOptions?.show?.provider as string[]).includes(provider));

	test('Message Type offers the interactive types to 360dialog and Meta only, with Video still the default', () => {
		for (const provider of ['dialog360', 'whatsappCloud']) {
			expect(messageTypeFor(provider)?.options?.map((option) => (option as { value: string }).value)).toEqual(['video', 'template', 'buttons', 'ctaUrl']);
			expect(messageTypeFor(provider)?.default).toBe('video');
		}
		expect(messageTypeFor('lancepilot')?.options?.map((option) => (option as { value: string }).value)).toEqual(['video', 'template']);
	});

	test('the interactive fields show for their Message Type in every node version, and Caption does not', () => {
		const shownFor = (name: string) =>
			properties.filter((property: INodeProperties) => property.name === name).map((property) => property.displayOptions?.show);
		expect(shownFor('bodyText')).toEqual([{ messageType: ['buttons', 'ctaUrl'] }]);
		expect(shownFor('footerText')).toEqual([{ messageType: ['buttons', 'ctaUrl'] }]);
		expect(shownFor('replyButtons')).toEqual([{ messageType: ['buttons'] }]);
		expect(shownFor('ctaDisplayText')).toEqual([{ messageType: ['ctaUrl'] }]);
		expect(shownFor('ctaUrl')).toEqual([{ messageType: ['ctaUrl'] }]);
		expect(shownFor('caption')).toEqual([{ messageType: ['video'] }]);
	});
});

describe('Send Once', () => {
	test('a video with buttons is another message than the same video without them, or with other buttons', async () => {
		const workflowId = 'interactive-send-once';
		const plain = { provider: 'dialog360', recipient: '+4915123456789', source: 'url', videoUrl: LINK, options: { sendOnce: true } };
		const withButtons = { ...buttonsMessage('dialog360'), options: { sendOnce: true } };
		const otherTitle = { ...withButtons, replyButtons: { button: [{ id: 'yes', title: 'Yes!' }, { id: 'no', title: 'No' }] } };
		const statuses: unknown[] = [];
		for (const parameters of [plain, withButtons, withButtons, otherTitle]) {
			const result = await send(parameters, [{ json: {} }], { workflowId });
			statuses.push(result.items[0]?.json.status);
		}

		expect(statuses).toEqual(['accepted', 'accepted', 'skipped', 'accepted']);
		expect(emulator().messagesCreated('dialog360')).toHaveLength(3);
	});
});
