import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeError, NodeOperationError } from 'n8n-workflow';

import { readBinaryVideo } from './media';
import { PROVIDERS } from './providers';
import type { MessageOptions, ProviderName, SourceKind, VideoProvider, VideoSource } from './providers/types';
import type { RequestContext, RetryPolicy } from './transport';
import type { FieldContext } from './validation';
import {
	CALLBACK_DATA_MAX_CHARACTERS,
	CAPTION_MAX_CHARACTERS,
	invalidField,
	quote,
	requireMaxCharacters,
	requireText,
	requireVideoUrl,
} from './validation';

const lancepilotOnly = { show: { provider: ['lancepilot'] } };
const dialog360Only = { show: { provider: ['dialog360'] } };

const SOURCE_OPTIONS = {
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
		description: 'Send a video already uploaded to 360dialog, by its media ID',
	},
};

const properties: INodeProperties[] = [
	{
		displayName: 'Provider',
		name: 'provider',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Lancepilot', value: 'lancepilot', description: 'Send through Lancepilot (API v3) to a workspace contact' },
			{ name: '360dialog', value: 'dialog360', description: 'Send through 360dialog (WhatsApp Cloud API) to a phone number' },
		],
		default: 'lancepilot',
		description: 'The WhatsApp Business provider whose account sends the video',
	},
	{
		displayName: 'Workspace ID',
		name: 'workspaceId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 3f1c2a9e-7b4d-4e8a-9c6f-1a2b3c4d5e6f',
		description: 'UUID of the Lancepilot workspace that owns the WhatsApp number',
		displayOptions: lancepilotOnly,
	},
	{
		displayName: 'Find Contact By',
		name: 'contactBy',
		type: 'options',
		options: [
			{ name: 'Phone Number', value: 'number', description: 'Send to a phone number; Lancepilot finds or creates the contact' },
			{ name: 'Contact ID', value: 'id', description: 'Send to an existing contact by its UUID' },
		],
		default: 'number',
		description: 'How to identify the Lancepilot contact that receives the video',
		displayOptions: lancepilotOnly,
	},
	{
		displayName: 'Phone Number',
		name: 'recipient',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. +49 151 23456789',
		description:
			'Recipient phone number in international format with country code, e.g. +14155550123. Spaces, dashes, brackets and a leading 00 are accepted.',
		displayOptions: { show: { provider: ['lancepilot'], contactBy: ['number'] } },
	},
	{
		displayName: 'Contact ID',
		name: 'contactId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 8d7e6f5a-4b3c-4d2e-8f1a-0b9c8d7e6f5a',
		description: 'UUID of the Lancepilot contact',
		displayOptions: { show: { provider: ['lancepilot'], contactBy: ['id'] } },
	},
	{
		displayName: 'Phone Number',
		name: 'recipient',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. +49 151 23456789',
		description:
			'Recipient phone number in international format with country code, e.g. +14155550123. Spaces, dashes, brackets and a leading 00 are accepted.',
		displayOptions: dialog360Only,
	},
	{
		displayName: 'Video Source',
		name: 'source',
		type: 'options',
		options: [SOURCE_OPTIONS.binary, SOURCE_OPTIONS.url],
		default: 'binary',
		description: 'Where the video comes from',
		displayOptions: lancepilotOnly,
	},
	{
		displayName: 'Video Source',
		name: 'source',
		type: 'options',
		options: [SOURCE_OPTIONS.binary, SOURCE_OPTIONS.url, SOURCE_OPTIONS.mediaId],
		default: 'binary',
		description: 'Where the video comes from',
		displayOptions: dialog360Only,
	},
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
		description: 'Public http(s) URL of an MP4 or 3GP video of at most 16 MB',
		displayOptions: { show: { source: ['url'] } },
	},
	{
		displayName: 'Media ID',
		name: 'mediaId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 1037543291543636',
		description: 'ID of a video uploaded to 360dialog within the last 30 days',
		displayOptions: { show: { provider: ['dialog360'], source: ['mediaId'] } },
	},
	{
		displayName: 'Caption',
		name: 'caption',
		type: 'string',
		default: '',
		typeOptions: { rows: 2 },
		description: 'Text shown under the video, at most 1024 characters. Leave empty for none.',
	},
	{
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
				displayOptions: { show: { '/provider': ['dialog360'] } },
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
				displayName: 'Max Retries',
				name: 'maxRetries',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 10 },
				default: 3,
				description:
					'How often to retry when the provider is throttling or unavailable (429, 503) or the connection never reached it. A send whose outcome is unknown is never retried, so no one gets the video twice.',
			},
			{
				displayName: 'Reply To Message ID',
				name: 'replyToMessageId',
				type: 'string',
				default: '',
				placeholder: 'e.g. wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI',
				description: 'WhatsApp message ID (wamid) this video replies to',
				displayOptions: { show: { '/provider': ['dialog360'] } },
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
				displayName: 'Time Budget per Item (Seconds)',
				name: 'timeBudgetSeconds',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 300,
				description: 'No new retry starts for an item once this much time has passed since it began',
			},
		],
	},
];

interface ItemOptions {
	fileName?: unknown;
	maxRetries?: unknown;
	timeoutSeconds?: unknown;
	timeBudgetSeconds?: unknown;
	replyToMessageId?: unknown;
	callbackData?: unknown;
}

function readMessageOptions(ctx: IExecuteFunctions, context: FieldContext, options: ItemOptions): MessageOptions {
	const caption = requireText(context, 'Caption', ctx.getNodeParameter('caption', context.itemIndex, ''), {
		required: false,
		keepWhitespace: true,
	});
	const callbackData = requireText(context, 'Callback Data', options.callbackData, { required: false });
	return {
		caption: requireMaxCharacters(context, 'Caption', caption, CAPTION_MAX_CHARACTERS),
		replyToMessageId: requireText(context, 'Reply To Message ID', options.replyToMessageId, { required: false }),
		callbackData: requireMaxCharacters(context, 'Callback Data', callbackData, CALLBACK_DATA_MAX_CHARACTERS),
	};
}

function readSourceKind(ctx: IExecuteFunctions, context: FieldContext, provider: VideoProvider): SourceKind {
	const source = ctx.getNodeParameter('source', context.itemIndex, 'binary') as SourceKind;
	if (!provider.sources.includes(source)) {
		throw invalidField(
			context,
			'Video Source',
			`${provider.displayName} cannot send from ${quote(source)}`,
			`Choose one of: ${provider.sources.join(', ')}.`,
		);
	}
	return source;
}

function positiveNumber(value: unknown, fallback: number): number {
	const number = typeof value === 'number' ? value : Number(value);
	return Number.isFinite(number) && number >= 0 ? number : fallback;
}

function retryPolicy(options: ItemOptions, startedAt: number): RetryPolicy {
	return {
		maxRetries: Math.floor(positiveNumber(options.maxRetries, 3)),
		timeoutMs: Math.max(1, positiveNumber(options.timeoutSeconds, 120)) * 1000,
		deadline: startedAt + positiveNumber(options.timeBudgetSeconds, 300) * 1000,
	};
}

/** Checks every remaining field; only a binary source reads data, and that comes last. */
async function readSource(
	ctx: IExecuteFunctions,
	context: FieldContext,
	kind: SourceKind,
	options: ItemOptions,
): Promise<VideoSource> {
	const { itemIndex } = context;
	if (kind === 'url') {
		const url = requireText(context, 'Video URL', ctx.getNodeParameter('videoUrl', itemIndex, ''), { required: true });
		return { kind, url: requireVideoUrl(context, 'Video URL', url) };
	}
	if (kind === 'mediaId') {
		const mediaId = requireText(context, 'Media ID', ctx.getNodeParameter('mediaId', itemIndex, ''), { required: true });
		if (/\s/.test(mediaId)) {
			throw invalidField(context, 'Media ID', `${quote(mediaId)} contains spaces`, 'Paste the media ID exactly as 360dialog returned it.');
		}
		return { kind, mediaId };
	}
	const propertyName = requireText(
		context,
		'Input Binary Field',
		ctx.getNodeParameter('binaryPropertyName', itemIndex, 'data'),
		{ required: true },
	);
	const fileName = requireText(context, 'File Name', options.fileName, { required: false });
	return { kind, file: await readBinaryVideo(ctx, context, propertyName, fileName) };
}

export class SendWhatsAppVideo implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Send WhatsApp Video',
		name: 'sendWhatsAppVideo',
		icon: { light: 'file:sendWhatsAppVideo.svg', dark: 'file:sendWhatsAppVideo.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{$parameter["provider"] === "dialog360" ? "via 360dialog" : "via Lancepilot"}}',
		description: 'Send a video (binary file or URL) as a WhatsApp message through Lancepilot or 360dialog',
		defaults: { name: 'Send WhatsApp Video' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'lancepilotApi', required: true, displayOptions: lancepilotOnly },
			{ name: 'dialog360Api', required: true, displayOptions: dialog360Only },
		],
		properties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const node = this.getNode();
		const returnData: INodeExecutionData[] = [];

		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			const context: FieldContext = { node, itemIndex };
			try {
				const options = this.getNodeParameter('options', itemIndex, {}) as ItemOptions;
				const requestContext: RequestContext = { ...context, retry: retryPolicy(options, Date.now()) };
				const providerName = this.getNodeParameter('provider', itemIndex) as ProviderName;
				const provider = PROVIDERS[providerName];
				if (!provider) {
					throw invalidField(context, 'Provider', `unknown provider ${quote(providerName)}`, 'Choose Lancepilot or 360dialog.');
				}
				const target = provider.target(this, requestContext);
				const message = readMessageOptions(this, context, options);
				const source = await readSource(this, context, readSourceKind(this, context, provider), options);
				const outcome = await target.send(source, message);
				returnData.push({ json: outcome, pairedItem: { item: itemIndex } });
			} catch (caught) {
				const error =
					caught instanceof NodeError
						? caught
						: new NodeOperationError(node, caught as Error, { itemIndex });
				if (this.continueOnFail()) {
					const json: IDataObject = { error: error.message };
					if (error.description) json.description = error.description;
					if ('httpCode' in error && error.httpCode) json.httpCode = error.httpCode;
					returnData.push({ json, pairedItem: { item: itemIndex } });
					continue;
				}
				throw error;
			}
		}
		return [returnData];
	}
}
