import { createHash } from 'node:crypto';

import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeError, NodeOperationError } from 'n8n-workflow';

import type { BinaryVideoRef, VideoFile } from './media';
import { checkVideoLink, downloadVideo } from './download';
import { SentLedger } from './ledger';
import { loadBinaryVideo, locateBinaryVideo, videoFromBytes } from './media';
import type { Pacing } from './pacing';
import { pacingFor } from './pacing';
import type { VideoCheckMode, VideoFindings } from './preflight';
import { preflightVideo } from './preflight';
import { PROVIDERS } from './providers';
import type {
	MessageOptions,
	ProviderName,
	ProviderTarget,
	SendOutcome,
	SourceKind,
	VideoProvider,
} from './providers/types';
import type { RequestContext, RetryPolicy } from './transport';
import { mayHaveBeenDelivered } from './transport';
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
				typeOptions: { minValue: 1, maxValue: 50 },
				default: 5,
				description:
					'How many items are sent at the same time. Output order always follows input order.',
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
					'How often to retry when the provider is throttling or unavailable (429, 503) or the connection never reached it. A send whose outcome is unknown is never retried, so no one gets the video twice.',
			},
			{
				displayName: 'Messages per Second',
				name: 'messagesPerSecond',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 1000 },
				default: 80,
				description:
					"Most messages started in any second with this credential, retries included. 360dialog's default tier allows 80; raise it for a paid tier.",
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
			{
				displayName: 'Uploads per Second',
				name: 'uploadsPerSecond',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 100 },
				default: 25,
				description: '360dialog media uploads started in any second with this credential (WhatsApp allows 25)',
				displayOptions: { show: { '/provider': ['dialog360'] } },
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
				displayOptions: { show: { '/provider': ['dialog360'], '/source': ['url'] } },
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
					'What to do with what the node finds inside a binary video before sending it. Findings appear on the output item as "video".',
				displayOptions: { show: { '/source': ['binary'] } },
			},
		],
	},
];

interface ItemOptions {
	videoCheck?: unknown;
	fixFaststart?: unknown;
	urlDelivery?: unknown;
	checkLink?: unknown;
	concurrency?: unknown;
	messagesPerSecond?: unknown;
	uploadsPerSecond?: unknown;
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

function retryPolicy(options: ItemOptions): RetryPolicy {
	const budgetMs = positiveNumber(options.timeBudgetSeconds, 300) * 1000;
	return {
		maxRetries: Math.floor(positiveNumber(options.maxRetries, 3)),
		timeoutMs: Math.max(1, positiveNumber(options.timeoutSeconds, 120)) * 1000,
		budgetMs,
		deadline: Date.now() + budgetMs,
	};
}

/** The video as planned for one item: checked, but a binary is not read until its turn. */
type PlannedSource =
	| { kind: 'mediaId'; mediaId: string }
	| { kind: 'url'; url: string; delivery: 'link' | 'upload'; checkLink: boolean; check: VideoCheck }
	| { kind: 'binary'; ref: BinaryVideoRef; fileName: string; check: VideoCheck };

/** The video check as chosen for one item. */
interface VideoCheck {
	mode: VideoCheckMode;
	fixFaststart: boolean;
}

const VIDEO_CHECK_MODES: VideoCheckMode[] = ['standard', 'strict', 'off'];

/** One item, fully checked and ready to send. */
interface PlannedItem {
	context: RequestContext;
	target: ProviderTarget;
	message: MessageOptions;
	source: PlannedSource;
}

async function planSource(
	ctx: IExecuteFunctions,
	context: FieldContext,
	provider: VideoProvider,
	kind: SourceKind,
	options: ItemOptions,
): Promise<PlannedSource> {
	const { itemIndex } = context;
	const check: VideoCheck = {
		mode: VIDEO_CHECK_MODES.find((mode) => mode === options.videoCheck) ?? 'standard',
		fixFaststart: options.fixFaststart !== false,
	};
	if (kind === 'url') {
		const url = requireText(context, 'Video URL', ctx.getNodeParameter('videoUrl', itemIndex, ''), { required: true });
		return {
			kind,
			url: requireVideoUrl(context, 'Video URL', url),
			delivery: options.urlDelivery === 'upload' && provider.name === 'dialog360' ? 'upload' : 'link',
			checkLink: options.checkLink === true,
			check,
		};
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
	return { kind, ref: await locateBinaryVideo(ctx, context, propertyName), fileName, check };
}

/** A binary video checked once per run: what identifies its bytes, and what the check found. */
interface PreparedVideo {
	contentKey: string;
	findings?: VideoFindings;
}

/** Settings and shared state for the whole run, settings taken from the first item. */
interface RunSettings {
	provider: VideoProvider;
	concurrency: number;
	pacing: Pacing;
	uploadedMedia: Map<string, Promise<string>>;
	/** By n8n binary id, or by the in-memory data string itself (kept alive by the items anyway). */
	preparedVideos: Map<string, Promise<PreparedVideo>>;
}

function runSettings(ctx: IExecuteFunctions): RunSettings {
	const providerName = ctx.getNodeParameter('provider', 0) as ProviderName;
	const provider = PROVIDERS[providerName];
	if (!provider) {
		throw new NodeOperationError(ctx.getNode(), `Unknown provider ${quote(providerName)}`, {
			description: 'Choose Lancepilot or 360dialog.',
		});
	}
	const options = ctx.getNodeParameter('options', 0, {}) as ItemOptions;
	const credentialId = ctx.getNode().credentials?.[provider.credentialType]?.id ?? 'default';
	return {
		provider,
		concurrency: Math.max(1, Math.floor(positiveNumber(options.concurrency, 5))),
		pacing: pacingFor(
			`${provider.credentialType}:${credentialId}`,
			Math.max(1, positiveNumber(options.messagesPerSecond, 80)),
			Math.max(1, positiveNumber(options.uploadsPerSecond, 25)),
		),
		uploadedMedia: new Map(),
		preparedVideos: new Map(),
	};
}

/** Reads and checks everything about one item that can be known without sending. */
async function planItem(ctx: IExecuteFunctions, settings: RunSettings, context: FieldContext): Promise<PlannedItem> {
	const options = ctx.getNodeParameter('options', context.itemIndex, {}) as ItemOptions;
	const requestContext: RequestContext = {
		...context,
		retry: retryPolicy(options),
		pacing: settings.pacing,
		uploadedMedia: settings.uploadedMedia,
	};
	const target = settings.provider.target(ctx, requestContext);
	const message = readMessageOptions(ctx, context, options);
	const source = await planSource(ctx, context, settings.provider, readSourceKind(ctx, context, settings.provider), options);
	return { context: requestContext, target, message, source };
}

async function sendPlanned(ctx: IExecuteFunctions, settings: RunSettings, planned: PlannedItem): Promise<SendOutcome> {
	const { source, context } = planned;
	// The time budget counts from when the item's turn comes, not from when the batch was checked.
	context.retry.deadline = Date.now() + context.retry.budgetMs;
	if (source.kind === 'mediaId') return await planned.target.send(source, planned.message);
	if (source.kind === 'url' && source.delivery === 'link') {
		if (source.checkLink) await checkVideoLink(ctx, context, source.url, context.retry.timeoutMs);
		return await planned.target.send({ kind: 'url', url: source.url }, planned.message);
	}
	const prepareFile = async () => {
		const file =
			source.kind === 'url'
				? videoFromBytes(context, 'Video URL', await downloadVideo(ctx, context, source.url, context.retry.timeoutMs), fileNameFromUrl(source.url))
				: await loadBinaryVideo(ctx, context, source.ref, source.fileName);
		return preflightVideo(context, file, source.check.mode, source.check.fixFaststart);
	};
	if (source.kind === 'url') {
		const checked = await prepareFile();
		const outcome = await planned.target.send({ kind: 'binary', contentKey: contentKeyOf(checked.file), load: async () => checked.file }, planned.message);
		return checked.findings ? { ...outcome, video: checked.findings } : outcome;
	}

	// Items often carry the very same binary (one promo to a list): read, check and hash it once per
	// run, by n8n's binary id (or the in-memory data itself), and keep only the key and findings.
	const identity = source.ref.binary.id ?? source.ref.binary.data;
	let preparedHere: VideoFile | undefined;
	let prepared = settings.preparedVideos.get(identity);
	if (!prepared) {
		prepared = prepareFile().then((checked) => {
			preparedHere = checked.file;
			return { contentKey: contentKeyOf(checked.file), findings: checked.findings };
		});
		settings.preparedVideos.set(identity, prepared);
		prepared.catch(() => settings.preparedVideos.delete(identity));
	}
	let video: PreparedVideo;
	try {
		video = await prepared;
	} catch {
		// Another item's check failed; check this one itself, so the error names this item.
		const checked = await prepareFile();
		preparedHere = checked.file;
		video = { contentKey: contentKeyOf(checked.file), findings: checked.findings };
	}
	const ready = preparedHere;
	const load = ready ? async () => ready : async () => (await prepareFile()).file;
	const outcome = await planned.target.send({ kind: 'binary', contentKey: video.contentKey, load }, planned.message);
	return video.findings ? { ...outcome, video: video.findings } : outcome;
}

/** What one item's send is: the same on every try of a run, different for a different item. */
function fingerprintOf(settings: RunSettings, plan: PlannedItem): string {
	const { source } = plan;
	const video =
		source.kind === 'binary'
			? [source.ref.binary.id ?? '', source.ref.binary.fileSize ?? '', source.ref.binary.mimeType, source.fileName]
			: source.kind === 'url'
				? [source.url, source.delivery]
				: [source.mediaId];
	return JSON.stringify([settings.provider.name, plan.target.recipient, source.kind, ...video, plan.message]);
}

function contentKeyOf(file: VideoFile): string {
	return `${file.mimeType}:${createHash('sha256').update(file.bytes).digest('hex')}`;
}

function fileNameFromUrl(url: string): string {
	const last = new URL(url).pathname.split('/').pop() ?? '';
	try {
		return decodeURIComponent(last);
	} catch {
		return last;
	}
}

function asNodeError(ctx: IExecuteFunctions, caught: unknown, itemIndex: number): NodeError {
	return caught instanceof NodeError ? caught : new NodeOperationError(ctx.getNode(), caught as Error, { itemIndex });
}

function errorItem(error: NodeError, itemIndex: number): INodeExecutionData {
	const json: IDataObject = { error: error.message };
	if (error.description) json.description = error.description;
	if ('httpCode' in error && error.httpCode) json.httpCode = error.httpCode;
	return { json, pairedItem: { item: itemIndex } };
}

/** What a stopped run did with the other items, in words a user can act on. */
function describeStop(sent: number[], unsent: number[]): string {
	const before = sent.length ? `Sent before the run stopped: items ${sent.join(', ')}.` : 'Nothing was sent before the run stopped.';
	return unsent.length ? `${before} Not sent: items ${unsent.join(', ')}.` : before;
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
		const results: Array<INodeExecutionData | undefined> = new Array(items.length);
		const settings = runSettings(this);

		// Check every item before sending any, so a bad item in the batch stops the run before a
		// single video goes out (or, with Continue On Fail, becomes its error item).
		const planned: Array<PlannedItem | undefined> = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				planned[itemIndex] = await planItem(this, settings, { node, itemIndex });
			} catch (caught) {
				const error = asNodeError(this, caught, itemIndex);
				if (!this.continueOnFail()) throw error;
				results[itemIndex] = errorItem(error, itemIndex);
			}
		}

		// Send with bounded concurrency. Without Continue On Fail the first failure stops new sends;
		// those already in flight finish, and the error says which items went out.
		const failures: Array<{ error: NodeError; itemIndex: number }> = [];
		const ledger = SentLedger.of(items, node);
		const queue = planned.flatMap((plan, itemIndex) => (plan ? [itemIndex] : []));
		const worker = async () => {
			for (let itemIndex = queue.shift(); itemIndex !== undefined && failures.length === 0; itemIndex = queue.shift()) {
				const plan = planned[itemIndex] as PlannedItem;
				const fingerprint = fingerprintOf(settings, plan);
				try {
					const outcome = ledger.replay(node, itemIndex, fingerprint) ?? (await sendPlanned(this, settings, plan));
					ledger.recordSent(itemIndex, fingerprint, outcome);
					results[itemIndex] = { json: outcome, pairedItem: { item: itemIndex } };
				} catch (caught) {
					if (mayHaveBeenDelivered(caught)) ledger.recordMaybeDelivered(itemIndex, fingerprint, caught);
					const error = asNodeError(this, caught, itemIndex);
					if (this.continueOnFail()) results[itemIndex] = errorItem(error, itemIndex);
					else failures.push({ error, itemIndex });
				}
				planned[itemIndex] = undefined;
			}
		};
		await Promise.all(Array.from({ length: Math.min(settings.concurrency, queue.length) }, worker));

		const [failure] = failures.sort((a, b) => a.itemIndex - b.itemIndex);
		if (failure) {
			const sent = results.flatMap((result, index) => (result ? [index] : []));
			const unsent = items.flatMap((_, index) => (results[index] || index === failure.itemIndex ? [] : [index]));
			failure.error.description = `${failure.error.description ?? ''} ${describeStop(sent, unsent)}`.trim();
			throw failure.error;
		}
		// n8n's Retry On Fail runs the node again when the first item is an error: keep the ledger then.
		if (results[0]?.json.error === undefined) SentLedger.close(items, node);
		return [results as INodeExecutionData[]];
	}
}
