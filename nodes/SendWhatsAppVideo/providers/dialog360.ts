import type { IDataObject, IExecuteFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import type { VideoFile } from '../media';
import { appendVideoPart } from '../media';
import type { RequestContext } from '../transport';
import { callProvider } from '../transport';
import { normalisePhoneNumber, requireText } from '../validation';
import type {
	MessageOptions,
	ProviderErrorText,
	ProviderTarget,
	ProviderWire,
	SendOutcome,
	VideoProvider,
	VideoSource,
} from './types';

/** `POST /messages` for a video (WhatsApp Cloud API). */
export interface Dialog360VideoMessage extends IDataObject {
	messaging_product: 'whatsapp';
	recipient_type: 'individual';
	to: string;
	type: 'video';
	video: { id: string; caption?: string } | { link: string; caption?: string };
	context?: { message_id: string };
	biz_opaque_callback_data?: string;
}

/** 200 answer of `POST /messages`. */
export interface Dialog360MessageResponse extends IDataObject {
	messaging_product: 'whatsapp';
	contacts: Array<{ input: string; wa_id: string }>;
	messages: Array<{ id: string; message_status?: string }>;
}

/** 200 answer of `POST /media`. */
export interface Dialog360MediaResponse {
	id: string;
}

/** Meta's error shape, passed through by 360dialog. */
export interface MetaError {
	message?: string;
	type?: string;
	code?: number;
	error_subcode?: number;
	error_data?: { messaging_product?: string; details?: string };
	fbtrace_id?: string;
}

/** Either 360dialog's own `{"error": "Invalid request"}` or Meta's `{"error": {...}}`. */
export interface Dialog360ErrorResponse {
	error?: string | MetaError;
}

/** Plain-language advice for the WhatsApp error codes users meet most with videos. */
const META_CODE_HINTS: Record<number, string> = {
	100: 'A parameter was invalid: check the phone number, media ID, URL and caption.',
	130429: 'Throughput limit reached (80 messages per second by default): send more slowly or ask 360dialog for a higher tier.',
	131056: 'Too many messages to this recipient in a short time (about one every 6 seconds): wait before sending to them again.',
	131047: 'More than 24 hours have passed since the recipient last wrote to you: WhatsApp only allows template messages now.',
	131053: 'WhatsApp could not process the video: it must be MP4 or 3GP, H.264 with AAC audio, at most 16 MB. When sending by URL, the link must answer directly (no redirects) with a video content type: set Options → URL Delivery to "Download and Upload" so the node fetches the video, checks it and uploads the bytes.',
	131052: 'WhatsApp could not download the media: check that the URL is public and answers with the video, or set Options → URL Delivery to "Download and Upload" so the node fetches the video and uploads the bytes.',
};

function isErrorBody(body: unknown): body is Dialog360ErrorResponse {
	return typeof body === 'object' && body !== null && !Array.isArray(body);
}

export function describeDialog360Error(statusCode: number, body: unknown): ProviderErrorText {
	const error = isErrorBody(body) ? body.error : undefined;
	if (error && typeof error === 'object') {
		const code = typeof error.code === 'number' ? error.code : undefined;
		const details = error.error_data?.details;
		const hint = code !== undefined ? META_CODE_HINTS[code] : undefined;
		// Meta prefixes its own message with "(#<code>) "; the code is already in ours.
		const text = (error.message ?? 'unknown error').replace(/^\(#\d+\)\s*/, '');
		return {
			message: `WhatsApp error${code !== undefined ? ` ${code}` : ''}: ${text}${details ? ` (${details})` : ''}`,
			description: [details ? `Details: ${details}.` : '', hint ?? '', error.fbtrace_id ? `Trace ID: ${error.fbtrace_id}.` : '']
				.filter(Boolean)
				.join(' ') || `360dialog answered HTTP ${statusCode}.`,
		};
	}
	const text = typeof error === 'string' ? error : typeof body === 'string' && body ? body : `HTTP ${statusCode}`;
	if (statusCode === 401 || statusCode === 403) {
		return {
			message: `360dialog rejected the API key (${statusCode} ${text})`,
			description:
				'Check the API Key in the 360dialog credential. Each WhatsApp number has its own D360-API-KEY; generate a new one in the 360dialog Client Hub if it was revoked.',
		};
	}
	if (statusCode === 429) {
		return {
			message: `360dialog is rate limiting this number (429 ${text})`,
			description: 'Send fewer messages per second, or try again later.',
		};
	}
	return {
		message: `360dialog answered HTTP ${statusCode}: ${text}`,
		description: statusCode >= 500 ? '360dialog had a server error.' : 'See the response body in the error details.',
	};
}

/** WhatsApp's throughput (130429) and pair-rate (131056) limits: the message was not accepted. */
const THROTTLING_CODES = new Set([130429, 131056]);

export function isDialog360Throttled(_statusCode: number, body: unknown): boolean {
	const error = isErrorBody(body) ? body.error : undefined;
	return typeof error === 'object' && error !== null && THROTTLING_CODES.has(error.code ?? 0);
}

const wire: ProviderWire = {
	displayName: '360dialog',
	credentialType: 'dialog360Api',
	secretField: 'apiKey',
	describeError: describeDialog360Error,
	isThrottled: isDialog360Throttled,
};

function unreadableAnswer(context: RequestContext, what: string, body: unknown, createsMessage: boolean): NodeApiError {
	return new NodeApiError(context.node, { body: body as JsonObject }, {
		message: `360dialog's answer to ${what} did not have the documented shape`,
		description: createsMessage
			? 'The request succeeded but the answer lacked a message ID. The video may have been delivered: check the chat before sending it again.'
			: 'The upload succeeded but the answer lacked a media ID. No message was sent.',
		itemIndex: context.itemIndex,
	});
}

async function uploadMedia(ctx: IExecuteFunctions, context: RequestContext, file: VideoFile): Promise<string> {
	const form = new FormData();
	form.append('messaging_product', 'whatsapp');
	appendVideoPart(form, 'file', file);
	const body = (await callProvider(ctx, wire, context, {
		method: 'POST',
		path: '/media',
		form,
		createsMessage: false,
	})) as Partial<Dialog360MediaResponse>;
	if (typeof body.id !== 'string' || !body.id) throw unreadableAnswer(context, 'the media upload', body, false);
	return body.id;
}

/**
 * Uploads each distinct video once per run: items carrying the same bytes (by content hash, not
 * name) share the media id, and only the first reads them. A failed upload is forgotten so the
 * next item tries again.
 */
async function mediaIdFor(
	ctx: IExecuteFunctions,
	context: RequestContext,
	source: Extract<VideoSource, { kind: 'binary' }>,
): Promise<string> {
	const key = source.contentKey;
	let upload = context.uploadedMedia.get(key);
	if (!upload) {
		upload = source.load().then(async (file) => await uploadMedia(ctx, context, file)).catch((error: unknown) => {
			context.uploadedMedia.delete(key);
			throw error;
		});
		context.uploadedMedia.set(key, upload);
	}
	return await upload;
}

function buildMessage(to: string, video: Dialog360VideoMessage['video'], message: MessageOptions): Dialog360VideoMessage {
	const payload: Dialog360VideoMessage = {
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		to,
		type: 'video',
		video: message.caption ? { ...video, caption: message.caption } : video,
	};
	if (message.replyToMessageId) payload.context = { message_id: message.replyToMessageId };
	if (message.callbackData) payload.biz_opaque_callback_data = message.callbackData;
	return payload;
}

export const dialog360: VideoProvider = {
	name: 'dialog360',
	displayName: '360dialog',
	credentialType: wire.credentialType,
	sources: ['binary', 'url', 'mediaId'],

	target(ctx: IExecuteFunctions, context: RequestContext): ProviderTarget {
		const typed = requireText(context, 'Phone Number', ctx.getNodeParameter('recipient', context.itemIndex, ''), {
			required: true,
		});
		const recipient = normalisePhoneNumber(context, 'Phone Number', typed);

		return {
			recipient,
			async send(source: VideoSource, message: MessageOptions): Promise<SendOutcome> {
				let mediaId: string | null = null;
				let video: Dialog360VideoMessage['video'];
				if (source.kind === 'binary') {
					mediaId = await mediaIdFor(ctx, context, source);
					video = { id: mediaId };
				} else if (source.kind === 'mediaId') {
					mediaId = source.mediaId;
					video = { id: mediaId };
				} else {
					video = { link: source.url };
				}
				const body = (await callProvider(ctx, wire, context, {
					method: 'POST',
					path: '/messages',
					json: buildMessage(recipient, video, message),
					createsMessage: true,
				})) as Partial<Dialog360MessageResponse>;
				const messageId = Array.isArray(body.messages) ? body.messages[0]?.id : undefined;
				if (typeof messageId !== 'string') throw unreadableAnswer(context, 'the message send', body, true);
				return {
					provider: 'dialog360',
					recipient,
					status: 'accepted',
					messageId,
					mediaId,
					response: body as IDataObject,
				};
			},
		};
	},
};
