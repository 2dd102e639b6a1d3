/**
 * The WhatsApp Cloud API as every provider of that family speaks it (360dialog passes it through;
 * Meta serves it directly): message and media bodies, Meta's error shape and its advice, and
 * uploading each distinct video once per run. A provider of the family is a small configuration.
 */
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	ILoadOptionsFunctions,
	INodeProperties,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { dryRunMediaId } from '../dryRun';
import type { VideoFile } from '../media';
import { appendVideoPart } from '../media';
import { sharedOnce } from '../sharedOnce';
import type { ProviderCaller, ProviderErrorText, ProviderWire, RequestContext } from '../transport';
import { callProvider, singleRequestContext } from '../transport';
import { looksLikeBsuid, normalisePhoneNumber, requireBsuid, requireText } from '../validation';
import { phoneNumberField } from './phoneNumberField';
import type { CloudApiHeaderVideo, CloudApiTemplate } from './cloudApiTemplates';
import { buildTemplateMessage, cloudApiTemplateDefinition, findCloudApiTemplate, parseTemplateValue } from './cloudApiTemplates';
import { buildInteractiveMessage } from './cloudApiInteractive';
import { cloudApiStatusEvents } from './cloudApiWebhook';
import type { MessageOptions, ProviderTarget, SendOutcome, StatusWebhookSupport, VideoProvider, VideoSource } from './types';

/** `POST …/messages` for a video. */
interface CloudApiVideoMessage extends IDataObject {
	messaging_product: 'whatsapp';
	recipient_type: 'individual';
	/** A phone number's digits, or… */
	to?: string;
	/** …a business-scoped user ID (BSUID) of a user with a username. */
	recipient?: string;
	type: 'video';
	video: { id: string; caption?: string } | { link: string; caption?: string };
	context?: { message_id: string };
	biz_opaque_callback_data?: string;
}

/** 200 answer of `POST …/messages`. */
interface CloudApiMessageResponse extends IDataObject {
	messaging_product: 'whatsapp';
	contacts: Array<{ input: string; wa_id?: string; user_id?: string }>;
	messages: Array<{ id: string; message_status?: string }>;
}

/** 200 answer of `POST …/media`. */
interface CloudApiMediaResponse {
	id: string;
}

/** Meta's error object, inside `{"error": …}`. */
interface MetaError {
	message?: string;
	type?: string;
	code?: number;
	error_subcode?: number;
	error_data?: { messaging_product?: string; details?: string };
	fbtrace_id?: string;
}

/** Meta's `{"error": {...}}`; some providers of the family also answer `{"error": "<text>"}`. */
interface CloudApiErrorResponse {
	error?: string | MetaError;
}

/** A dry run's pretended message ID: the node's dry-run output replaces the outcome that carries it. */
const DRY_RUN_MESSAGE_ID = '<message id>';

/** Plain-language advice for the WhatsApp error codes users meet most with videos. */
function metaCodeHint(code: number, displayName: string): string | undefined {
	switch (code) {
		case 100:
			return 'A parameter was invalid: check the phone number, media ID, URL and caption.';
		case 130429:
			return `Throughput limit reached (80 messages per second by default): send more slowly or ask ${displayName} for a higher tier.`;
		case 131056:
			return 'Too many messages to this recipient in a short time (about one every 6 seconds): wait before sending to them again.';
		case 131047:
			return 'More than 24 hours have passed since the recipient last wrote to you: WhatsApp only delivers templates now. Set Message Type to Template and choose an approved template with a video header.';
		case 131053:
			return 'WhatsApp could not process the video: it must be MP4 or 3GP, H.264 with AAC audio, at most 16 MB. When sending by URL, the link must answer directly (no redirects) with a video content type: set Options → URL Delivery to "Download and Upload" so the node fetches the video, checks it and uploads the bytes.';
		case 131026:
			return 'WhatsApp could not deliver the message: the number may not be on WhatsApp, may use an old WhatsApp version, or may have blocked you.';
		case 131049:
			return "WhatsApp held this marketing message back to keep the recipient's experience healthy: send fewer marketing messages to them, or try again later.";
		case 131050:
			return 'The recipient stopped marketing messages from your business: do not send them marketing templates.';
		case 131051:
			return 'WhatsApp does not support this message type.';
		case 131062:
			return 'WhatsApp does not deliver this message to a business-scoped user ID (BSUID): send it to the phone number instead, if you have it.';
		case 132000:
			return "The number of template parameters does not match the template's text or URL button: check Body Parameters and Button Parameter against the template in WhatsApp Manager.";
		case 132001:
			return 'The template does not exist in this language, or is not approved yet: check its name and language in WhatsApp Manager.';
		case 132005:
			return 'The template text is too long with these parameters: shorten them.';
		case 132012:
			return "A parameter does not have the format the template expects, e.g. a video for a template whose header is an image: choose a template with a video header.";
		case 132015:
		case 132016:
			return 'The template is paused or disabled (usually after poor feedback from recipients): edit it in WhatsApp Manager or choose another template.';
		case 190:
			return 'The access token is wrong or has expired: create a system-user token in Meta Business Settings and put it in the credential.';
		case 131052:
			return 'WhatsApp could not download the media: check that the URL is public and answers with the video, or set Options → URL Delivery to "Download and Upload" so the node fetches the video and uploads the bytes.';
		default:
			return undefined;
	}
}

function isObjectBody(body: unknown): body is CloudApiErrorResponse {
	return typeof body === 'object' && body !== null && !Array.isArray(body);
}

/** The provider's answer as text when it is not Meta's error shape. */
function plainErrorText(statusCode: number, body: unknown): string {
	const error = isObjectBody(body) ? body.error : undefined;
	if (typeof error === 'string') return error;
	return typeof body === 'string' && body ? body : `HTTP ${statusCode}`;
}

/** A provider's own reading of answers that are not in Meta's shape (bad key, its own 429, …). */
type OwnErrorReader = (statusCode: number, text: string) => ProviderErrorText | undefined;

function describeCloudApiError(
	displayName: string,
	statusCode: number,
	body: unknown,
	ownError?: OwnErrorReader,
): ProviderErrorText {
	const error = isObjectBody(body) ? body.error : undefined;
	if (error && typeof error === 'object') {
		const code = typeof error.code === 'number' ? error.code : undefined;
		const details = error.error_data?.details;
		const hint = code !== undefined ? metaCodeHint(code, displayName) : undefined;
		// Meta prefixes its own message with "(#<code>) "; the code is already in ours.
		const text = (error.message ?? 'unknown error').replace(/^\(#\d+\)\s*/, '');
		return {
			message: `WhatsApp error${code !== undefined ? ` ${code}` : ''}: ${text}${details ? ` (${details})` : ''}`,
			description: [details ? `Details: ${details}.` : '', hint ?? '', error.fbtrace_id ? `Trace ID: ${error.fbtrace_id}.` : '']
				.filter(Boolean)
				.join(' ') || `${displayName} answered HTTP ${statusCode}.`,
		};
	}
	const text = plainErrorText(statusCode, body);
	return (
		ownError?.(statusCode, text) ?? {
			message: `${displayName} answered HTTP ${statusCode}: ${text}`,
			description: statusCode >= 500 ? `${displayName} had a server error.` : 'See the response body in the error details.',
		}
	);
}

/** WhatsApp's throughput (130429) and pair-rate (131056) limits: the message was not accepted. */
const THROTTLING_CODES = new Set([130429, 131056]);

function isCloudApiThrottled(_statusCode: number, body: unknown): boolean {
	const error = isObjectBody(body) ? body.error : undefined;
	return typeof error === 'object' && error !== null && THROTTLING_CODES.has(error.code ?? 0);
}

function unreadableAnswer(wire: ProviderWire, context: RequestContext, what: string, body: unknown, createsMessage: boolean): NodeApiError {
	return new NodeApiError(context.node, { body: body as JsonObject }, {
		message: `${wire.displayName}'s answer to ${what} did not have the documented shape`,
		description: createsMessage
			? 'The request succeeded but the answer lacked a message ID. The video may have been delivered: check the chat before sending it again.'
			: 'The upload succeeded but the answer lacked a media ID. No message was sent.',
		itemIndex: context.itemIndex,
	});
}

async function uploadMedia(ctx: IExecuteFunctions, wire: ProviderWire, context: RequestContext, file: VideoFile): Promise<string> {
	const form = new FormData();
	form.append('messaging_product', 'whatsapp');
	appendVideoPart(form, 'file', file);
	const body = (await callProvider(ctx, wire, context, {
		method: 'POST',
		path: '/media',
		form,
		createsMessage: false,
		dryRunAnswer: { id: dryRunMediaId(context.itemIndex) },
	})) as Partial<CloudApiMediaResponse>;
	if (typeof body.id !== 'string' || !body.id) throw unreadableAnswer(wire, context, 'the media upload', body, false);
	return body.id;
}

/**
 * Uploads each distinct video once per run: items carrying the same bytes (by content hash, not
 * name) share the media id, and only the first reads them.
 */
async function mediaIdFor(
	ctx: IExecuteFunctions,
	wire: ProviderWire,
	context: RequestContext,
	source: Extract<VideoSource, { kind: 'binary' }>,
): Promise<string> {
	return await sharedOnce(context.uploadedMedia, source.contentKey, async () => await uploadMedia(ctx, wire, context, await source.load()));
}

/** A recipient as the Messages API addresses it: by phone number (`to`) or by BSUID (`recipient`). */
type Addressee = { to: string } | { recipient: string };

function buildVideoMessage(addressee: Addressee, video: CloudApiHeaderVideo, message: MessageOptions): CloudApiVideoMessage {
	const payload: CloudApiVideoMessage = {
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		...addressee,
		type: 'video',
		video: message.caption ? { ...video, caption: message.caption } : video,
	};
	if (message.replyToMessageId) payload.context = { message_id: message.replyToMessageId };
	if (message.callbackData) payload.biz_opaque_callback_data = message.callbackData;
	return payload;
}

/** A phone number, or the BSUID WhatsApp shows for a user who hides their number behind a username. */
const recipientField: INodeProperties = {
	...phoneNumberField,
	description:
		'Recipient phone number in international format: + and the country code, then the number, e.g. +4915123456789 (spaces, dashes, brackets and a leading 00 are accepted; a national number starting with 0 is not), or the business-scoped user ID (BSUID) of a user with a WhatsApp username, e.g. US.13491208655302741918',
};

/** What distinguishes one Cloud API provider from another. */
interface CloudApiProviderConfig {
	name: string;
	displayName: string;
	description: string;
	credentialType: string;
	secretField: string;
	apiRoot(credentials: ICredentialDataDecryptedObject): string;
	ownError?: OwnErrorReader;
	/** Every template of the account, through however many pages the provider's listing takes. */
	listTemplates(ctx: ProviderCaller, wire: ProviderWire, context: RequestContext): Promise<CloudApiTemplate[]>;
	/** How this provider's status webhooks are registered and authenticated; the body is the family's. */
	statusWebhook?: (wire: ProviderWire) => Omit<StatusWebhookSupport, 'readStatuses'>;
}

export function cloudApiProvider(config: CloudApiProviderConfig): VideoProvider {
	const wire: ProviderWire = {
		displayName: config.displayName,
		credentialType: config.credentialType,
		secretField: config.secretField,
		apiRoot: config.apiRoot,
		describeError: (statusCode, body) => describeCloudApiError(config.displayName, statusCode, body, config.ownError),
		isThrottled: isCloudApiThrottled,
	};
	const templatesOf = async (ctx: ProviderCaller, context: RequestContext) =>
		(await config.listTemplates(ctx, wire, context)).map(cloudApiTemplateDefinition);
	return {
		name: config.name,
		displayName: config.displayName,
		description: config.description,
		credentialType: config.credentialType,
		fields: [recipientField],
		can: {
			sources: ['binary', 'url', 'mediaId'],
			messageTypes: ['video', 'template', 'buttons', 'ctaUrl'],
			replyContext: true,
			callbackData: true,
			urlUpload: true,
			uploadPacing: true,
		},
		templateValueExample: 'e.g. spring_promo|en_US',
		...(config.statusWebhook
			? {
					statusWebhook: {
						...config.statusWebhook(wire),
						readStatuses: (body: unknown) => cloudApiStatusEvents(body, config.name, (code) => metaCodeHint(code, config.displayName)),
					},
				}
			: {}),

		async listTemplates(ctx: ILoadOptionsFunctions) {
			return await templatesOf(ctx, singleRequestContext(ctx.getNode()));
		},

		target(ctx: IExecuteFunctions, context: RequestContext): ProviderTarget {
			const field = recipientField.displayName;
			const typed = requireText(context, field, ctx.getNodeParameter('recipient', context.itemIndex, ''), { required: true });
			const bsuid = looksLikeBsuid(typed);
			const recipient = bsuid ? requireBsuid(context, field, typed) : normalisePhoneNumber(context, field, typed);
			const addressee: Addressee = bsuid ? { recipient } : { to: recipient };

			return {
				recipient,
				account: '',
				async findTemplate(value: string) {
					const { name, language } = parseTemplateValue(context, value);
					// One credential per run, so one listing serves every item.
					const definitions = await sharedOnce(context.templateLists, config.name, async () => await templatesOf(ctx, context));
					return findCloudApiTemplate(definitions, name, language);
				},
				async send(source: VideoSource, message: MessageOptions): Promise<SendOutcome> {
					let mediaId: string | null = null;
					let video: CloudApiHeaderVideo;
					if (source.kind === 'binary') {
						mediaId = await mediaIdFor(ctx, wire, context, source);
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
						json: message.template
							? buildTemplateMessage(addressee, video, message.template, message)
							: message.interactive
								? buildInteractiveMessage(addressee, video, message.interactive, message)
								: buildVideoMessage(addressee, video, message),
						createsMessage: true,
						dryRunAnswer: { messages: [{ id: DRY_RUN_MESSAGE_ID }] },
					})) as Partial<CloudApiMessageResponse>;
					const messageId = Array.isArray(body.messages) ? body.messages[0]?.id : undefined;
					if (typeof messageId !== 'string') throw unreadableAnswer(wire, context, 'the message send', body, true);
					const outcome: SendOutcome = { provider: config.name, recipient, status: 'accepted', messageId, mediaId, response: body as IDataObject };
					if (message.template) outcome.template = { name: message.template.name, language: message.template.language };
					return outcome;
				},
			};
		},
	};
}
