/**
 * Meta's WhatsApp Cloud API as far as the node uses it: the `/messages` and `/media` bodies, the
 * media store behind them and Meta's error shape. 360dialog passes this API through and Meta serves
 * it directly, so both provider modules (dialog360.ts, whatsappCloud.ts) delegate here and keep only
 * what differs: mount, paths, authentication and their own error texts.
 *
 * Validation reports only the first problem, as Graph API does. Template messages are checked
 * against the template registry in cloudApiTemplates.ts, interactive ones in cloudApiInteractive.ts.
 */
import { checkInteractiveMessage } from './cloudApiInteractive';
import { checkTemplateMessage } from './cloudApiTemplates';
import { mediaTypeOf } from './header-params';
import type { CloudApiProviderName, ParsedPart, ProviderRequest, ProviderResponse, SentInteractive, SentTemplate, StoredMedia } from './types';
import { codePointLength, fbtraceId, isHttpUrl, isPlainObject, numericId, sha256Hex, wamid } from './values';

/** WhatsApp's limit for video and audio: 16 MB, i.e. 16 MiB here. */
export const CLOUD_API_MAX_MEDIA_BYTES = 16 * 1024 * 1024;
export const CLOUD_API_MAX_CAPTION = 1024;
export const CLOUD_API_MAX_CALLBACK_DATA = 512;

export const VIDEO_MEDIA_TYPES: ReadonlySet<string> = new Set(['video/mp4', 'video/3gpp']);
const OTHER_MEDIA_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'application/pdf']);

function isSupportedMediaType(type: string): boolean {
	return VIDEO_MEDIA_TYPES.has(type) || OTHER_MEDIA_TYPES.has(type) || /^audio\/[a-z0-9.+-]+$/.test(type);
}

const META_TITLES: Record<number, string> = {
	100: 'Invalid parameter',
	2500: 'Unknown path components',
	130429: 'Rate limit hit',
	131047: 'Re-engagement message',
	131052: 'Media download error',
	131053: 'Media upload error',
	131056: '(Business Account, Consumer Account) pair rate limit hit',
	131009: 'Parameter value is not valid',
	131062: 'BSUID recipients are not supported for this message',
	132000: 'Number of parameters does not match the expected number of params',
	132001: 'Template name does not exist in the translation',
	132005: 'Translated text too long',
	132012: 'Parameter format does not match format in the created template',
	132015: 'Template is paused',
	132016: 'Template is disabled',
};

export interface MetaErrorOptions {
	/** Overrides `(#<code>) <title>`. */
	message?: string;
	type?: string;
	subcode?: number;
}

export interface MetaErrorBody {
	error: {
		message: string;
		type: string;
		code: number;
		error_subcode?: number;
		error_data: { messaging_product: 'whatsapp'; details: string };
		fbtrace_id: string;
	};
}

/** Meta's WhatsApp error shape (also as 360dialog passes it through); exported so tests can inject realistic faults. */
export function metaErrorBody(code: number, details: string, options: MetaErrorOptions = {}): MetaErrorBody {
	return {
		error: {
			message: options.message ?? `(#${code}) ${META_TITLES[code] ?? 'Error'}`,
			type: options.type ?? 'OAuthException',
			code,
			...(options.subcode !== undefined ? { error_subcode: options.subcode } : {}),
			error_data: { messaging_product: 'whatsapp', details },
			fbtrace_id: fbtraceId(),
		},
	};
}

export interface GraphErrorBody {
	error: {
		message: string;
		type: string;
		code: number;
		error_subcode?: number;
		is_transient?: boolean;
		fbtrace_id: string;
	};
}

/**
 * Graph API's own errors, which carry no `error_data` (bad token, server trouble), e.g.
 * `graphErrorBody(190, 'Invalid OAuth access token - Cannot parse access token')`.
 */
export function graphErrorBody(
	code: number,
	message: string,
	options: { type?: string; subcode?: number; transient?: boolean } = {},
): GraphErrorBody {
	return {
		error: {
			message,
			type: options.type ?? 'OAuthException',
			code,
			...(options.subcode !== undefined ? { error_subcode: options.subcode } : {}),
			...(options.transient !== undefined ? { is_transient: options.transient } : {}),
			fbtrace_id: fbtraceId(),
		},
	};
}

export function metaError(code: number, details: string, options?: MetaErrorOptions): ProviderResponse {
	return { status: 400, body: metaErrorBody(code, details, options) };
}

/**
 * A message send beyond the number's throughput: Graph API answers HTTP 400 (as for every WhatsApp
 * error code) with code 130429; nothing is sent.
 */
export function throughputLimitHit(): ProviderResponse {
	return metaError(130429, 'Cloud API message throughput has been reached.');
}

const invalid = (details: string): ProviderResponse => metaError(100, details);
const uploadError = (details: string): ProviderResponse => metaError(131053, details);

/** Graph API's answer for an id that does not exist or does not support the method. */
export function unsupportedRequest(method: string, objectId: string): ProviderResponse {
	return metaError(
		100,
		`Object with ID '${objectId}' does not exist, cannot be loaded due to missing permissions, or does not support ${method} requests.`,
		{
			message: `Unsupported ${method.toLowerCase()} request. Object with ID '${objectId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
			type: 'GraphMethodException',
			subcode: 33,
		},
	);
}

/** Graph API's answer for path segments it cannot map to an object and edge. */
export function unknownPath(path: string): ProviderResponse {
	return metaError(2500, `Unknown path components: ${path}`, { message: `Unknown path components: ${path}` });
}

/** Graph API's answer for a field the object type does not have (GET `?fields=`). */
export function nonexistingField(field: string, nodeType: string): ProviderResponse {
	return metaError(100, `Param fields: nonexisting field (${field}) on node type (${nodeType})`, {
		message: `(#100) Tried accessing nonexisting field (${field}) on node type (${nodeType})`,
	});
}

const MESSAGE_KEYS = new Set([
	'messaging_product',
	'recipient_type',
	'to',
	'recipient',
	'type',
	'video',
	'template',
	'interactive',
	'context',
	'biz_opaque_callback_data',
]);
const VIDEO_KEYS = new Set(['id', 'link', 'caption']);
const CONTEXT_KEYS = new Set(['message_id']);
const UPLOAD_PARTS = new Set(['messaging_product', 'file', 'type']);
const TO_RE = /^[0-9]{8,15}$/;
/**
 * A business-scoped user ID: two-letter country code, a dot, `ENT.` for a parent BSUID, then up to
 * 128 letters or digits (`US.13491208655302741918`, `US.ENT.11815799212886844830`).
 */
export const BSUID_RE = /^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$/;

export function isBsuid(value: string): boolean {
	return BSUID_RE.test(value);
}

export interface CloudApiConfig {
	/** Which provider's records and created resources this instance produces. */
	provider: CloudApiProviderName;
	/** Resolved lazily because the port is only known after listen(). */
	mediaDownloadBase: () => string;
	/** The provider's answer for a download of a medium it does not hold. */
	downloadNotFound: () => unknown;
}

/** One provider's Cloud API endpoints and its media store. */
export class CloudApi {
	private readonly media = new Map<string, StoredMedia>();

	constructor(private readonly config: CloudApiConfig) {}

	reset(): void {
		this.media.clear();
	}

	storedMedia(): StoredMedia[] {
		return [...this.media.values()];
	}

	hasMedia(id: string): boolean {
		return this.media.has(id);
	}

	/** `POST /media`: multipart with `messaging_product`, `file` and an optional `type`. */
	upload(request: ProviderRequest): ProviderResponse {
		const { body } = request;
		if (body.kind === 'multipart-malformed') {
			return invalid(`Request body is not valid multipart/form-data: ${body.error}`);
		}
		if (body.kind !== 'multipart') {
			return invalid(
				`POST /media requires a multipart/form-data body with the parameters messaging_product and file (got ${request.mediaType ?? 'no Content-Type'})`,
			);
		}

		const byName = new Map<string, ParsedPart[]>();
		for (const part of body.parts) {
			if (!UPLOAD_PARTS.has(part.name)) return invalid(`Unexpected parameter "${part.name}" in the upload`);
			const list = byName.get(part.name) ?? [];
			list.push(part);
			byName.set(part.name, list);
		}
		for (const [name, list] of byName) {
			if (list.length > 1) return invalid(`Param ${name} was sent ${list.length} times; send it once`);
		}

		const product = byName.get('messaging_product')?.[0];
		if (!product) return invalid('The parameter messaging_product is required.');
		if (product.filename !== undefined || product.data.toString('utf8') !== 'whatsapp') {
			return invalid('Param messaging_product must be "whatsapp"');
		}

		const file = byName.get('file')?.[0];
		if (!file) return invalid('The parameter file is required.');
		if (file.filename === undefined || file.filename === '') {
			return invalid('Param file must be a file upload with a filename');
		}
		const mimeType = mediaTypeOf(file.contentType);
		if (mimeType === undefined || !isSupportedMediaType(mimeType)) {
			return uploadError(
				`Param file has unsupported MIME type ${mimeType ?? '(no Content-Type)'}; videos must be video/mp4 or video/3gpp`,
			);
		}
		if (file.data.length === 0) return uploadError('Param file is empty');
		if (file.data.length > CLOUD_API_MAX_MEDIA_BYTES) {
			return uploadError(
				`Param file is ${file.data.length} bytes; the maximum for ${mimeType} is ${CLOUD_API_MAX_MEDIA_BYTES} bytes (16 MB)`,
			);
		}
		const typePart = byName.get('type')?.[0];
		if (typePart) {
			const declared = typePart.data.toString('utf8').trim().toLowerCase();
			if (typePart.filename !== undefined || declared !== mimeType) {
				return invalid(`Param type ("${declared}") does not match the Content-Type of param file ("${mimeType}")`);
			}
		}

		let id = numericId();
		while (this.media.has(id)) id = numericId();
		this.media.set(id, {
			id,
			provider: this.config.provider,
			filename: file.filename,
			mimeType,
			size: file.data.length,
			sha256: sha256Hex(file.data),
			// Copied so the stored bytes do not pin the whole request buffer.
			data: Buffer.from(file.data),
			uploadedAt: Date.now(),
		});
		return { status: 200, body: { id }, created: { kind: 'media', provider: this.config.provider, mediaId: id } };
	}

	/** `GET /{media-id}` (description and download URL) and `DELETE /{media-id}`. */
	mediaObject(method: string, id: string): ProviderResponse {
		const media = this.media.get(id);
		if (!media || (method !== 'GET' && method !== 'DELETE')) return unsupportedRequest(method, id);
		if (method === 'DELETE') {
			this.media.delete(id);
			return { status: 200, body: { success: true } };
		}
		return {
			status: 200,
			body: {
				messaging_product: 'whatsapp',
				url: `${this.config.mediaDownloadBase()}/${media.id}`,
				mime_type: media.mimeType,
				sha256: media.sha256,
				file_size: media.size,
				id: media.id,
			},
		};
	}

	/** The bytes behind the URL that mediaObject() hands out. */
	download(method: string, id: string): ProviderResponse {
		const media = this.media.get(id);
		if (method !== 'GET' || !media) return { status: 404, body: this.config.downloadNotFound() };
		return {
			status: 200,
			body: { mediaId: media.id, size: media.size },
			rawBody: { data: media.data, contentType: media.mimeType },
		};
	}

	/** `POST /messages` with a video or a template message. */
	sendMessage(request: ProviderRequest): ProviderResponse {
		const { body } = request;
		const mediaType = request.mediaType;
		if (mediaType !== 'application/json') {
			return invalid(`POST /messages requires Content-Type application/json (got ${mediaType ?? 'none'})`);
		}
		if (body.kind === 'json-malformed') return invalid(`Request body is not valid JSON: ${body.error}`);
		const value = body.kind === 'json' ? body.value : body.kind === 'empty' ? {} : undefined;
		if (!isPlainObject(value)) return invalid('Request body must be a JSON object');

		for (const key of Object.keys(value)) {
			if (!MESSAGE_KEYS.has(key)) return invalid(`Unexpected key "${key}" on param "<root>".`);
		}
		if (value.messaging_product === undefined) return invalid('The parameter messaging_product is required.');
		if (value.messaging_product !== 'whatsapp') return invalid('Param messaging_product must be "whatsapp"');
		if (value.recipient_type !== undefined && value.recipient_type !== 'individual') {
			return invalid('Param recipient_type must be "individual"');
		}
		// A phone number goes as `to`, a username's BSUID as `recipient`; with both, `to` wins (Meta's rule)
		// and `recipient` is ignored.
		let to: string;
		let bsuid = false;
		if (value.to !== undefined) {
			if (typeof value.to !== 'string' || !TO_RE.test(value.to)) {
				return invalid('Param to must be a phone number of 8-15 digits without "+", spaces or dashes');
			}
			to = value.to;
		} else if (value.recipient !== undefined) {
			if (typeof value.recipient !== 'string' || !isBsuid(value.recipient)) {
				return invalid(
					'Param recipient must be a business-scoped user ID (BSUID): two capital letters, a dot, optionally "ENT.", then 1-128 letters or digits, e.g. US.13491208655302741918',
				);
			}
			to = value.recipient;
			bsuid = true;
		} else {
			return invalid('The parameter to or recipient is required.');
		}
		if (value.type === undefined) return invalid('The parameter type is required.');
		let content: MessageContent | ProviderResponse;
		if (value.type === 'video') content = this.videoContent(value);
		else if (value.type === 'template') content = this.templateContent(value);
		else if (value.type === 'interactive') content = this.interactiveContent(value);
		else {
			return invalid('Param type must be "video", "template" or "interactive" (the emulator implements video, template and interactive messages only)');
		}
		if ('status' in content) return content;

		if (value.context !== undefined) {
			const context = value.context;
			if (!isPlainObject(context)) return invalid('Param context must be an object');
			for (const key of Object.keys(context)) {
				if (!CONTEXT_KEYS.has(key)) return invalid(`Unexpected key "${key}" on param "context".`);
			}
			if (typeof context.message_id !== 'string' || context.message_id === '') {
				return invalid("Param context['message_id'] must be a non-empty string");
			}
		}
		const callbackData = value.biz_opaque_callback_data;
		if (callbackData !== undefined) {
			if (typeof callbackData !== 'string') return invalid('Param biz_opaque_callback_data must be a string');
			if (codePointLength(callbackData) > CLOUD_API_MAX_CALLBACK_DATA) {
				return invalid(`Param biz_opaque_callback_data must be at most ${CLOUD_API_MAX_CALLBACK_DATA} characters`);
			}
		}

		const messageId = wamid();
		return {
			status: 200,
			body: {
				messaging_product: 'whatsapp',
				contacts: [bsuid ? { input: to, user_id: to } : { input: to, wa_id: to }],
				messages: [{ id: messageId, message_status: 'accepted' }],
			},
			created: {
				kind: 'message',
				provider: this.config.provider,
				messageId,
				recipient: to,
				...(bsuid ? { recipientKind: 'bsuid' as const } : {}),
				...(content.source !== undefined ? { source: content.source } : {}),
				...(content.caption !== undefined ? { caption: content.caption } : {}),
				...(content.template !== undefined ? { template: content.template } : {}),
				...(content.interactive !== undefined ? { interactive: content.interactive } : {}),
			},
		};
	}

	/** `type: "video"`: exactly one of `video.id` (a medium this provider stores) or `video.link`. */
	private videoContent(value: Record<string, unknown>): MessageContent | ProviderResponse {
		if (value.template !== undefined) return invalid('Param template is not allowed in a message of type video');
		if (value.interactive !== undefined) return invalid('Param interactive is not allowed in a message of type video');
		const video = value.video;
		if (video === undefined) return invalid('The parameter video is required.');
		if (!isPlainObject(video)) return invalid('Param video must be an object');
		for (const key of Object.keys(video)) {
			if (!VIDEO_KEYS.has(key)) return invalid(`Unexpected key "${key}" on param "video".`);
		}
		const hasId = video.id !== undefined;
		const hasLink = video.link !== undefined;
		if (hasId === hasLink) {
			return invalid(`Param video must contain exactly one of video['id'] or video['link'] (got ${hasId ? 'both' : 'neither'})`);
		}
		let source: 'media-id' | 'link';
		if (hasId) {
			const media = typeof video.id === 'string' ? this.media.get(video.id) : undefined;
			// Graph API rejects an unknown id synchronously with code 100, so the emulator does too.
			if (!media) return invalid("Param video['id'] is not a valid whatsapp business account media attachment ID");
			if (!VIDEO_MEDIA_TYPES.has(media.mimeType)) {
				return invalid(`Param video['id'] refers to media of type ${media.mimeType}, not video/mp4 or video/3gpp`);
			}
			source = 'media-id';
		} else {
			if (typeof video.link !== 'string' || !isHttpUrl(video.link)) {
				return invalid("Param video['link'] must be an http or https URL");
			}
			source = 'link';
		}
		if (video.caption !== undefined) {
			if (typeof video.caption !== 'string') return invalid("Param video['caption'] must be a string");
			if (codePointLength(video.caption) > CLOUD_API_MAX_CAPTION) {
				return invalid(`Param video['caption'] must be at most ${CLOUD_API_MAX_CAPTION} characters`);
			}
			return { source, caption: video.caption };
		}
		return { source };
	}

	/** `type: "template"`: an approved template of the registry with matching parameters. */
	private templateContent(value: Record<string, unknown>): MessageContent | ProviderResponse {
		if (value.video !== undefined) return invalid('Param video is not allowed in a message of type template');
		if (value.interactive !== undefined) return invalid('Param interactive is not allowed in a message of type template');
		const check = checkTemplateMessage(value.template, (id) => this.media.get(id));
		if (!check.ok) return metaError(check.code, check.details);
		return { ...(check.source !== undefined ? { source: check.source } : {}), template: check.template };
	}

	/** `type: "interactive"`: reply buttons or a link button under a video header. */
	private interactiveContent(value: Record<string, unknown>): MessageContent | ProviderResponse {
		for (const key of ['video', 'template']) {
			if (value[key] !== undefined) return invalid(`Param ${key} is not allowed in a message of type interactive`);
		}
		const check = checkInteractiveMessage(value.interactive, (id) => this.media.get(id));
		if (!check.ok) return metaError(check.code, check.details);
		return { ...(check.source !== undefined ? { source: check.source } : {}), interactive: check.interactive };
	}
}

/** What a message carries besides recipient and options, as recorded in `created`. */
interface MessageContent {
	source?: 'link' | 'media-id';
	caption?: string;
	template?: SentTemplate;
	interactive?: SentInteractive;
}
