/**
 * Planning: reads every parameter of an item and checks everything that can be known without
 * sending (recipient, video source, caption, options), so a bad item stops the run before a video
 * goes out. A binary is located here but read only when its turn to send comes.
 */
import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { DryRunLog } from './dryRun';
import { readInteractive, requireLinkHeader } from './interactive';
import type { BinaryVideoRef } from './media';
import { locateBinaryVideo } from './media';
import { readMessageType } from './messageTypes';
import type { Pacing } from './pacing';
import { automaticConcurrency, pacingFor } from './pacing';
import type { VideoCheckMode, VideoFindings } from './preflight';
import { PROVIDERS } from './providers';
import type { MessageKind, MessageOptions, ProviderTarget, SourceKind, VideoProvider } from './providers/types';
import type { TemplateDefinition, TemplateMessage } from './templates';
import { BODY_PARAMETERS_FIELD, BUTTON_PARAMETER_FIELD, TEMPLATE_FIELD, checkTemplate } from './templates';
import type { RequestContext, RetryPolicy } from './transport';
import type { FieldContext } from './validation';
import {
	CALLBACK_DATA_MAX_CHARACTERS,
	CAPTION_MAX_CHARACTERS,
	invalidField,
	locatorValue,
	quote,
	requireMaxCharacters,
	requireText,
	requireVideoUrl,
} from './validation';

interface ItemOptions {
	videoCheck?: unknown;
	fixFaststart?: unknown;
	urlDelivery?: unknown;
	checkLink?: unknown;
	concurrency?: unknown;
	dryRun?: unknown;
	messagesPerSecond?: unknown;
	uploadsPerSecond?: unknown;
	fileName?: unknown;
	maxRetries?: unknown;
	timeoutSeconds?: unknown;
	timeBudgetSeconds?: unknown;
	replyToMessageId?: unknown;
	callbackData?: unknown;
	sendOnce?: unknown;
	sendOnceKey?: unknown;
}

function readMessageOptions(ctx: IExecuteFunctions, context: FieldContext, options: ItemOptions, messageType: MessageKind): MessageOptions {
	// A caption typed before switching to another Message Type stays hidden in the panel; it is not sent.
	const caption =
		messageType !== 'video'
			? ''
			: requireText(context, 'Caption', ctx.getNodeParameter('caption', context.itemIndex, ''), {
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

/** Reads the template parameters and checks them against the template's definition at the provider. */
async function planTemplate(ctx: IExecuteFunctions, context: FieldContext, target: ProviderTarget): Promise<TemplateMessage> {
	const { itemIndex } = context;
	const value = requireText(context, TEMPLATE_FIELD, locatorValue(ctx.getNodeParameter('template', itemIndex, '')), { required: true });
	const entries = ctx.getNodeParameter('bodyParameters.parameter', itemIndex, []) as Array<{ text?: unknown }>;
	const bodyParameters = (Array.isArray(entries) ? entries : []).map((entry) =>
		requireText(context, BODY_PARAMETERS_FIELD, entry?.text, { required: false, keepWhitespace: true }),
	);
	const buttonParameter = requireText(context, BUTTON_PARAMETER_FIELD, ctx.getNodeParameter('buttonParameter', itemIndex, ''), {
		required: false,
	});
	return checkTemplate(context, await target.findTemplate(value), bodyParameters, buttonParameter);
}

function readSourceKind(ctx: IExecuteFunctions, context: FieldContext, provider: VideoProvider): SourceKind {
	const source = ctx.getNodeParameter('source', context.itemIndex, 'binary') as SourceKind;
	if (!provider.can.sources.includes(source)) {
		throw invalidField(
			context,
			'Video Source',
			`${provider.displayName} cannot send from ${quote(source)}`,
			`Choose one of: ${provider.can.sources.join(', ')}.`,
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
export interface PlannedItem {
	context: RequestContext;
	target: ProviderTarget;
	message: MessageOptions;
	source: PlannedSource;
	/** Set when Send Once is on: the Send Once Key as typed, empty for the automatic one. */
	sendOnce?: { customKey: string };
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
			delivery: options.urlDelivery === 'upload' && provider.can.urlUpload ? 'upload' : 'link',
			checkLink: options.checkLink === true,
			check,
		};
	}
	if (kind === 'mediaId') {
		const mediaId = requireText(context, 'Media ID', ctx.getNodeParameter('mediaId', itemIndex, ''), { required: true });
		if (/\s/.test(mediaId)) {
			throw invalidField(context, 'Media ID', `${quote(mediaId)} contains spaces`, `Paste the media ID exactly as ${provider.displayName} returned it.`);
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
export interface PreparedVideo {
	contentKey: string;
	findings?: VideoFindings;
}

/** Settings and shared state for the whole run, settings taken from the first item. */
export interface RunSettings {
	provider: VideoProvider;
	/** n8n's ID of the node's credential for the provider. */
	credentialId: string;
	/**
	 * Check everything, send nothing. For the whole run, as the first item says: items of one run
	 * share uploads, and a real item must never get a dry run's pretended media ID.
	 */
	dryRun: boolean;
	/** How many items may be in flight now; asked again as each item ends. */
	concurrency: () => number;
	pacing: Pacing;
	uploadedMedia: Map<string, Promise<string>>;
	templateLists: Map<string, Promise<TemplateDefinition[]>>;
	/** By n8n binary id, or by the in-memory data string itself (kept alive by the items anyway). */
	preparedVideos: Map<string, Promise<PreparedVideo>>;
}

/** Automatic concurrency's upper bound, as the Concurrency option's own maximum. */
const AUTOMATIC_CEILING = 50;
const AUTOMATIC_CEILING_WITH_BYTES = 5;

export function runSettings(ctx: IExecuteFunctions): RunSettings {
	const providerName = ctx.getNodeParameter('provider', 0) as string;
	const provider = PROVIDERS.find((candidate) => candidate.name === providerName);
	if (!provider) {
		throw new NodeOperationError(ctx.getNode(), `Unknown provider ${quote(providerName)}`, {
			description: `Choose one of: ${PROVIDERS.map((candidate) => candidate.displayName).join(', ')}.`,
		});
	}
	const options = ctx.getNodeParameter('options', 0, {}) as ItemOptions;
	const credentialId = ctx.getNode().credentials?.[provider.credentialType]?.id ?? 'default';
	const pacing = pacingFor(
		`${provider.credentialType}:${credentialId}`,
		Math.max(1, positiveNumber(options.messagesPerSecond, 80)),
		Math.max(1, positiveNumber(options.uploadsPerSecond, 25)),
	);
	const fixed = Math.floor(positiveNumber(options.concurrency, 0));
	// A provider without upload-once gets the file's bytes with every message: each send in flight
	// holds a copy, so automatic concurrency stays where memory stays small.
	const bytesWithEachMessage = !provider.can.uploadPacing && ctx.getNodeParameter('source', 0, 'binary') === 'binary';
	const ceiling = bytesWithEachMessage ? AUTOMATIC_CEILING_WITH_BYTES : AUTOMATIC_CEILING;
	return {
		provider,
		credentialId,
		dryRun: options.dryRun === true,
		concurrency: fixed >= 1 ? () => fixed : () => automaticConcurrency(pacing, ceiling),
		pacing,
		uploadedMedia: new Map(),
		templateLists: new Map(),
		preparedVideos: new Map(),
	};
}

/** Reads and checks everything about one item that can be known without sending. */
export async function planItem(ctx: IExecuteFunctions, settings: RunSettings, context: FieldContext): Promise<PlannedItem> {
	const options = ctx.getNodeParameter('options', context.itemIndex, {}) as ItemOptions;
	const requestContext: RequestContext = {
		...context,
		retry: retryPolicy(options),
		pacing: settings.pacing,
		uploadedMedia: settings.uploadedMedia,
		templateLists: settings.templateLists,
		// Until the pool hands the item a way to lend its place while it waits.
		standAside: sleep,
		...(settings.dryRun ? { dryRun: new DryRunLog() } : {}),
	};
	const target = settings.provider.target(ctx, requestContext);
	const messageType = readMessageType(context, ctx.getNodeParameter('messageType', context.itemIndex, 'video'), settings.provider, PROVIDERS);
	const message = readMessageOptions(ctx, context, options, messageType);
	if (messageType === 'template') message.template = await planTemplate(ctx, context, target);
	if (messageType === 'buttons' || messageType === 'ctaUrl') message.interactive = readInteractive(ctx, context, messageType);
	const sourceKind = readSourceKind(ctx, context, settings.provider);
	if (message.interactive) requireLinkHeader(context, message.interactive, sourceKind, options.urlDelivery);
	const source = await planSource(ctx, context, settings.provider, sourceKind, options);
	const sendOnce = options.sendOnce === true ? { customKey: requireText(context, 'Send Once Key', options.sendOnceKey, { required: false }) } : undefined;
	return { context: requestContext, target, message, source, sendOnce };
}
