/**
 * The node's parameters, assembled from the provider list: each provider brings its own fields and
 * says what it can do, and the shared fields and options are shown for the providers that can use
 * them. Nothing here names a provider.
 */
import type { INodeCredentialDescription, INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import { BODY_TEXT_FIELD, FOOTER_TEXT_FIELD, INTERACTIVE_LIMITS, LINK_TEXT_FIELD, LINK_URL_FIELD, REPLY_BUTTONS_FIELD } from './interactive';
import { MESSAGE_TYPE_FIELD, MESSAGE_TYPE_OPTIONS } from './messageTypes';
import type { ProviderCapabilities, SourceKind, VideoProvider } from './providers/types';

const SOURCE_OPTIONS: Record<SourceKind, INodePropertyOptions> = {
	binary: {
		name: 'Binary File',
		value: 'binary',
		description: 'Upload the video file from a binary property of the input item',
	},
	url: {
		name: 'URL',
		value: 'url',
		description: 'Let WhatsApp download the video from a public http(s) URL',
	},
	mediaId: {
		name: 'Media ID',
		value: 'mediaId',
		description: 'Send a video already uploaded to WhatsApp through this provider, by its media ID',
	},
};

type Capability = Exclude<keyof ProviderCapabilities, 'sources' | 'messageTypes'>;

function namesOf(providers: readonly VideoProvider[], can: (provider: VideoProvider) => boolean): string[] {
	return providers.filter(can).map((provider) => provider.name);
}

/**
 * A provider's field shown only for that provider. A field object that several providers list is
 * one parameter shown for all of them.
 */
function providerFields(providers: readonly VideoProvider[]): INodeProperties[] {
	const shownFor = new Map<INodeProperties, string[]>();
	for (const provider of providers) {
		for (const field of provider.fields) shownFor.set(field, [...(shownFor.get(field) ?? []), provider.name]);
	}
	return [...shownFor].map(([field, names]) => ({
		...field,
		displayOptions: { ...field.displayOptions, show: { ...field.displayOptions?.show, provider: names } },
	}));
}

/** One Video Source picker per distinct set of sources, each offering only what its providers can send. */
function sourceFields(providers: readonly VideoProvider[]): INodeProperties[] {
	const bySources = new Map<string, { sources: SourceKind[]; names: string[] }>();
	for (const provider of providers) {
		const key = provider.can.sources.join(',');
		const group = bySources.get(key) ?? { sources: provider.can.sources, names: [] };
		group.names.push(provider.name);
		bySources.set(key, group);
	}
	return [...bySources.values()].map(({ sources, names }) => ({
		displayName: 'Video Source',
		name: 'source',
		type: 'options',
		options: sources.map((source) => SOURCE_OPTIONS[source]),
		default: 'binary',
		description: 'Where the video comes from',
		displayOptions: { show: { provider: names } },
	}));
}

/** One Message Type picker per distinct set of message types, each offering only what its providers can send. */
function messageTypeFields(providers: readonly VideoProvider[]): INodeProperties[] {
	const byTypes = new Map<string, { types: ProviderCapabilities['messageTypes']; names: string[] }>();
	for (const provider of providers) {
		const key = provider.can.messageTypes.join(',');
		const group = byTypes.get(key) ?? { types: provider.can.messageTypes, names: [] };
		group.names.push(provider.name);
		byTypes.set(key, group);
	}
	return [...byTypes.values()].map(({ types, names }) => ({
		displayName: MESSAGE_TYPE_FIELD,
		name: 'messageType',
		type: 'options',
		noDataExpression: true,
		options: types.map((type) => MESSAGE_TYPE_OPTIONS[type]),
		default: 'video',
		description: 'Scheduled sends to people who have not written in the last 24 hours need a template',
		displayOptions: { show: { provider: names } },
	}));
}

const INTERACTIVE_ONLY = { show: { messageType: ['buttons', 'ctaUrl'] } };
const REPLY_BUTTONS_ONLY = { show: { messageType: ['buttons'] } };
const LINK_BUTTON_ONLY = { show: { messageType: ['ctaUrl'] } };

/** The text and buttons of the interactive message types, shown under the video. */
const interactiveFields: INodeProperties[] = [
	{
		displayName: BODY_TEXT_FIELD,
		name: 'bodyText',
		type: 'string',
		required: true,
		default: '',
		typeOptions: { rows: 3 },
		placeholder: 'e.g. Would you like a demo?',
		description: `Text shown under the video, at most ${INTERACTIVE_LIMITS.body} characters`,
		displayOptions: INTERACTIVE_ONLY,
	},
	{
		displayName: FOOTER_TEXT_FIELD,
		name: 'footerText',
		type: 'string',
		default: '',
		description: `Small grey text under the body, at most ${INTERACTIVE_LIMITS.footer} characters. Leave empty for none.`,
		displayOptions: INTERACTIVE_ONLY,
	},
	{
		displayName: REPLY_BUTTONS_FIELD,
		name: 'replyButtons',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true, minRequiredFields: 1, maxAllowedFields: INTERACTIVE_LIMITS.buttons },
		placeholder: 'Add button',
		default: {},
		description: `1 to ${INTERACTIVE_LIMITS.buttons} buttons the recipient answers with; the answer carries the button's ID`,
		displayOptions: REPLY_BUTTONS_ONLY,
		options: [
			{
				displayName: 'Button',
				name: 'button',
				values: [
					{
						displayName: 'ID',
						name: 'id',
						type: 'string',
						default: '',
						placeholder: 'e.g. yes',
						description: `Returned with the recipient's answer, at most ${INTERACTIVE_LIMITS.buttonId} characters; each button needs its own`,
					},
					{
						displayName: 'Title',
						name: 'title',
						type: 'string',
						default: '',
						placeholder: 'e.g. Yes',
						description: `Text on the button, at most ${INTERACTIVE_LIMITS.buttonTitle} characters`,
					},
				],
			},
		],
	},
	{
		displayName: LINK_TEXT_FIELD,
		name: 'ctaDisplayText',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. Book now',
		description: `Text on the button, at most ${INTERACTIVE_LIMITS.linkText} characters`,
		displayOptions: LINK_BUTTON_ONLY,
	},
	{
		displayName: LINK_URL_FIELD,
		name: 'ctaUrl',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. https://shop.example.com/book',
		description: 'The http(s) address the button opens. The video of this message type goes by link only: set Video Source to URL.',
		displayOptions: LINK_BUTTON_ONLY,
	},
];

function optionsCollection(providers: readonly VideoProvider[]): INodeProperties {
	const providersThatCan = (capability: Capability) => namesOf(providers, (provider) => provider.can[capability]);
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: 'Callback Data',
				name: 'callbackData',
				type: 'string',
				default: '',
				description: 'Up to 512 characters returned in the status webhooks of this message, e.g. an order ID',
				displayOptions: { show: { '/provider': providersThatCan('callbackData') } },
			},
			{
				displayName: 'Check Link Before Sending',
				name: 'checkLink',
				type: 'boolean',
				default: false,
				description:
					'Whether to ask the URL\'s server first (HEAD, or a one-byte GET) and refuse the item if it does not answer 200 with a video of at most 16 MB',
				displayOptions: { show: { '/source': ['url'] } },
			},
			{
				displayName: 'Concurrency',
				name: 'concurrency',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 50 },
				default: 0,
				description:
					'How many items are sent at the same time. 0: automatic, as many as reach Messages per Second at the time the provider takes to answer (up to 50; 5 when each message carries the file itself). Output order always follows input order.',
			},
			{
				displayName: 'Dry Run',
				name: 'dryRun',
				type: 'boolean',
				default: false,
				description:
					'Whether to run every check (recipient, video, template, limits, Check Link Before Sending) but upload and send nothing: each output item holds the requests a real run would send, without credentials. Send Once is not consulted. Set for the whole run by the first item.',
			},
			{
				displayName: 'File Name',
				name: 'fileName',
				type: 'string',
				default: '',
				placeholder: 'e.g. promo.mp4',
				description: "File name to send instead of the binary's own name",
				displayOptions: { show: { '/source': ['binary'] } },
			},
			{
				displayName: 'Fix Faststart',
				name: 'fixFaststart',
				type: 'boolean',
				default: true,
				description:
					'Whether to move the moov box in front of the media data when it comes after it, so the video can start playing before it has fully downloaded. Samples are not touched.',
				displayOptions: { show: { '/source': ['binary', 'url'] } },
			},
			{
				displayName: 'Max Retries',
				name: 'maxRetries',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 10 },
				default: 3,
				description:
					'How often to retry when the provider is throttling or unavailable (429, 130429, 503) or the connection never reached it. WhatsApp\'s "wait" codes (131056 too many messages to one person, 131057 number being upgraded) are retried as WhatsApp advises until Time Budget per Item runs out instead. A send whose outcome is unknown is never retried, so no one gets the video twice.',
			},
			{
				displayName: 'Messages per Second',
				name: 'messagesPerSecond',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 1000 },
				default: 80,
				description:
					"Most messages started in any second with this credential, retries included. WhatsApp's default tier allows 80; raise it for a paid tier.",
			},
			{
				displayName: 'Reply To Message ID',
				name: 'replyToMessageId',
				type: 'string',
				default: '',
				placeholder: 'e.g. wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI',
				description: 'WhatsApp message ID (wamid) this video replies to',
				displayOptions: { show: { '/provider': providersThatCan('replyContext') } },
			},
			{
				displayName: 'Request Timeout (Seconds)',
				name: 'timeoutSeconds',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 120,
				description: 'Longest wait for one answer from the provider; uploads of large videos need the most',
			},
			{
				displayName: 'Send Once',
				name: 'sendOnce',
				type: 'boolean',
				default: false,
				description:
					"Whether to never send the same message to the same recipient twice from this node, across executions, re-runs, Retry and workers. An item sent before comes out as skipped. Keys are kept in n8n's database (the workflow must be saved).",
			},
			{
				displayName: 'Send Once Key',
				name: 'sendOnceKey',
				type: 'string',
				default: '',
				placeholder: 'e.g. {{ $json.customerId }}-spring-2026',
				description:
					'With Send Once: what makes two items "the same message". Empty: the recipient plus what is sent (account, video, caption, template). Set your own to send one video per customer and campaign; a new key sends again.',
			},
			{
				displayName: 'Time Budget per Item (Seconds)',
				name: 'timeBudgetSeconds',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 300,
				description: 'No new retry starts for an item once this much time has passed since it began',
			},
			{
				displayName: 'Uploads per Second',
				name: 'uploadsPerSecond',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 100 },
				default: 25,
				description: 'Media uploads started in any second with this credential (WhatsApp allows 25)',
				displayOptions: { show: { '/provider': providersThatCan('uploadPacing') } },
			},
			{
				displayName: 'URL Delivery',
				name: 'urlDelivery',
				type: 'options',
				options: [
					{
						name: 'Send Link',
						value: 'link',
						description: 'Hand the URL to WhatsApp, which downloads the video itself',
					},
					{
						name: 'Download and Upload',
						value: 'upload',
						description:
							'Download the video here, check it like a binary file, upload it and send it by media ID (robust against redirects, HTML answers and WhatsApp\'s fetcher limits)',
					},
				],
				default: 'link',
				description: 'How a video URL reaches WhatsApp',
				displayOptions: { show: { '/provider': providersThatCan('urlUpload'), '/source': ['url'] } },
			},
			{
				displayName: 'Video Check',
				name: 'videoCheck',
				type: 'options',
				options: [
					{
						name: 'Standard',
						value: 'standard',
						description:
							'Refuse what WhatsApp refuses or cannot play (not H.264, not AAC, several audio tracks); warn about B-frames',
					},
					{
						name: 'Strict',
						value: 'strict',
						description: 'Also refuse B-frames, which many Android phones do not play',
					},
					{ name: 'Off', value: 'off', description: 'Send the file without looking inside it' },
				],
				default: 'standard',
				description:
					'What to do with what the node finds inside a binary video, or a video URL with URL Delivery "Download and Upload", before sending it. Findings appear on the output item as "video".',
				displayOptions: { show: { '/source': ['binary', 'url'] } },
			},
		],
	};
}

/** One Template picker per way of naming a template (an id, or name|language), each with its example. */
function templateFields(providers: readonly VideoProvider[]): INodeProperties[] {
	const byExample = new Map<string, string[]>();
	for (const provider of providers) {
		byExample.set(provider.templateValueExample, [...(byExample.get(provider.templateValueExample) ?? []), provider.name]);
	}
	return [...byExample].map(([example, names]) => ({
		displayName: 'Template',
		name: 'template',
		type: 'resourceLocator',
		required: true,
		default: { mode: 'list', value: '' },
		description: 'An approved template of this WhatsApp account whose header is a video',
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a template...',
				typeOptions: { searchListMethod: 'searchTemplates', searchable: true },
			},
			{ displayName: 'By ID', name: 'id', type: 'string', placeholder: example },
		],
		displayOptions: { show: { provider: names, messageType: ['template'] } },
	}));
}

const TEMPLATE_ONLY = { show: { messageType: ['template'] } };

export function sendNodeProperties(providers: readonly VideoProvider[]): INodeProperties[] {
	const firstProvider = providers[0].name;
	return [
		{
			displayName: 'Provider',
			name: 'provider',
			type: 'options',
			noDataExpression: true,
			options: providers.map((provider) => ({ name: provider.displayName, value: provider.name, description: provider.description })),
			default: firstProvider,
			description: 'The WhatsApp Business provider whose account sends the video',
		},
		...providerFields(providers),
		...messageTypeFields(providers),
		...templateFields(providers),
		...sourceFields(providers),
		{
			displayName: 'Input Binary Field',
			name: 'binaryPropertyName',
			type: 'string',
			required: true,
			default: 'data',
			hint: 'The name of the input binary field containing the video (MP4 or 3GP, at most 16 MB)',
			description: 'Name of the binary property of the input item that holds the video file',
			displayOptions: { show: { source: ['binary'] } },
		},
		{
			displayName: 'Video URL',
			name: 'videoUrl',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'e.g. https://example.com/promo.mp4',
			description:
				'Public http(s) URL of the video file itself, not of a page showing it: an MP4 (H.264 video, AAC audio) or 3GP of at most 16 MB that WhatsApp can download without signing in',
			displayOptions: { show: { source: ['url'] } },
		},
		{
			displayName: 'Media ID',
			name: 'mediaId',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'e.g. 1037543291543636',
			description: 'ID of a video uploaded to this WhatsApp number within the last 30 days',
			displayOptions: {
				show: { provider: namesOf(providers, (provider) => provider.can.sources.includes('mediaId')), source: ['mediaId'] },
			},
		},
		{
			displayName: 'Caption',
			name: 'caption',
			type: 'string',
			default: '',
			typeOptions: { rows: 2 },
			description: 'Text shown under the video, at most 1024 characters. Leave empty for none.',
			displayOptions: { show: { messageType: ['video'] } },
		},
		{
			displayName: 'Body Parameters',
			name: 'bodyParameters',
			type: 'fixedCollection',
			typeOptions: { multipleValues: true, sortable: true },
			placeholder: 'Add parameter',
			default: {},
			description: "Values for the template text's variables, in order: the first replaces {{1}}, the second {{2}}, and so on",
			displayOptions: TEMPLATE_ONLY,
			options: [
				{
					displayName: 'Parameter',
					name: 'parameter',
					values: [{ displayName: 'Text', name: 'text', type: 'string', default: '', description: 'Text for this variable' }],
				},
			],
		},
		{
			displayName: 'Button Parameter',
			name: 'buttonParameter',
			type: 'string',
			default: '',
			placeholder: 'e.g. SPRING24',
			description:
				"The variable part of the template's URL button link (its {{1}}), e.g. a coupon code. Leave empty when the template has no such button.",
			displayOptions: TEMPLATE_ONLY,
		},
		...interactiveFields,
		optionsCollection(providers),
	];
}

export function sendNodeCredentials(providers: readonly VideoProvider[]): INodeCredentialDescription[] {
	return providers.map((provider) => ({
		name: provider.credentialType,
		required: true,
		displayOptions: { show: { provider: [provider.name] } },
	}));
}

/**
 * The node's description: shown in the node panel, and what an AI Agent is told about the node as a
 * tool unless the tool's Description is set by hand. So it says what a model must supply.
 */
export function sendNodeDescription(providers: readonly VideoProvider[]): string {
	const names = providers.map((provider) => provider.displayName);
	const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names.join('');
	return `Send a video as a WhatsApp message through ${list}: to a phone number in international format with country code (e.g. +4915123456789), from a binary file or a public link to an MP4, with an optional caption. Returns the message's status and ID.`;
}

/** "via <provider>" under the node's name on the canvas. */
export function sendNodeSubtitle(providers: readonly VideoProvider[]): string {
	const vias = Object.fromEntries(providers.map((provider) => [provider.name, `via ${provider.displayName}`]));
	return `={{ ${JSON.stringify(vias)}[$parameter["provider"]] }}`;
}
