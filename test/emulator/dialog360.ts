/**
 * 360dialog's WhatsApp Cloud API proxy (v2), as far as the node uses it (README, "Contracts"): the
 * business profile (credential test), media upload/lookup/delete, video and template messages, the
 * template listing (`GET /v1/configs/templates`) and the number's webhook (`/v1/configs/webhook`,
 * delivered by webhooks.ts). The Cloud API endpoints themselves live in
 * cloudApi.ts (360dialog passes Meta's API through, errors in Meta's shape); this file owns what is
 * 360dialog's own: the mount, the paths without version or phone number id, the `D360-API-KEY`
 * header, the listing's paging and the flat `{"error":"Invalid request"}` shape used for
 * authentication failures and provider-level faults.
 */
import {
	CLOUD_API_MAX_CALLBACK_DATA,
	CLOUD_API_MAX_CAPTION,
	CLOUD_API_MAX_MEDIA_BYTES,
	CloudApi,
	metaError,
	nonexistingField,
	unknownPath,
	throughputLimitHit,
	unsupportedRequest,
} from './cloudApi';
import { EMULATOR_TEMPLATES, toCloudApiTemplate } from './templates';
import type { Dialog360WebhookSettings, ProviderHandler, ProviderRequest, ProviderResponse, StoredMedia } from './types';
import { isPlainObject } from './values';

export { metaErrorBody, VIDEO_MEDIA_TYPES, type MetaErrorBody, type MetaErrorOptions } from './cloudApi';

export const DIALOG360_PREFIX = '/360dialog';
/** WhatsApp's limit for video and audio: 16 MB, i.e. 16 MiB here. */
export const DIALOG360_MAX_MEDIA_BYTES = CLOUD_API_MAX_MEDIA_BYTES;
export const DIALOG360_MAX_CAPTION = CLOUD_API_MAX_CAPTION;
export const DIALOG360_MAX_CALLBACK_DATA = CLOUD_API_MAX_CALLBACK_DATA;
export const DIALOG360_OWN_ERROR = { error: 'Invalid request' } as const;
/** `GET /v1/configs/templates` paging: `limit` default and cap. */
export const DIALOG360_TEMPLATES_DEFAULT_LIMIT = 50;
export const DIALOG360_TEMPLATES_MAX_LIMIT = 1000;

/** 360dialog's own refusals of a webhook configuration, `{"error": "<text>"}` with HTTP 400. */
export const DIALOG360_WEBHOOK_ERRORS = {
	notAUrl: 'Invalid webhook URL: it must be an absolute http or https URL',
	port: (port: string) =>
		`Invalid webhook URL: a port is not allowed (":${port}"); 360dialog only delivers to the default port of http or https (443 for https)`,
	underscore: (host: string) => `Invalid webhook URL: the host name must not contain an underscore ("${host}")`,
	body: 'Invalid request body: expected JSON {"url": "<http or https URL, or empty to remove the webhook>", "headers": {"<name>": "<value>"}}',
	unexpectedKey: (key: string) => `Invalid request body: unexpected key "${key}"; only "url" and "headers" are allowed`,
	headers: 'Invalid headers: expected an object of header names (letters, digits and !#$%&\'*+-.^_`|~) to string values without line breaks',
} as const;

const HEADER_NAME_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const WEBHOOK_KEYS = new Set(['url', 'headers']);

/**
 * Why 360dialog refuses `url` as a webhook URL, or undefined when it takes it. The port is looked
 * for in the URL as written, so an explicit default port (`https://host:443/`) is refused too.
 */
export function dialog360WebhookUrlProblem(url: string): string | undefined {
	let parsed: URL;
	if (url !== url.trim()) return DIALOG360_WEBHOOK_ERRORS.notAUrl;
	try {
		parsed = new URL(url);
	} catch {
		return DIALOG360_WEBHOOK_ERRORS.notAUrl;
	}
	if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') return DIALOG360_WEBHOOK_ERRORS.notAUrl;
	const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1] ?? '';
	const hostAndPort = authority.slice(authority.lastIndexOf('@') + 1);
	const port = /^(?:\[[^\]]*\]|[^:]*):(\d*)$/.exec(hostAndPort);
	if (port || parsed.port !== '') return DIALOG360_WEBHOOK_ERRORS.port(port ? port[1] : parsed.port);
	if (parsed.hostname.includes('_')) return DIALOG360_WEBHOOK_ERRORS.underscore(parsed.hostname);
	return undefined;
}

const PROFILE: Readonly<Record<string, unknown>> = {
	about: 'Demo business',
	address: 'Demo street 1, Berlin',
	description: 'A business profile served by the local emulator.',
	email: 'demo@example.com',
	profile_picture_url: 'https://example.com/profile.png',
	websites: ['https://example.com'],
	vertical: 'OTHER',
};

export interface Dialog360Config {
	apiKeys: readonly string[];
	/** Resolved lazily because the port is only known after listen(). */
	mediaDownloadBase: () => string;
}

export class Dialog360Provider implements ProviderHandler {
	readonly name = 'dialog360' as const;
	private readonly cloud: CloudApi;
	/** One webhook per number; every API key of the emulator stands for the one demo number. */
	private webhook?: Dialog360WebhookSettings;

	constructor(private readonly config: Dialog360Config) {
		this.cloud = new CloudApi({
			provider: 'dialog360',
			mediaDownloadBase: config.mediaDownloadBase,
			downloadNotFound: () => this.errorBody(),
		});
	}

	reset(): void {
		this.cloud.reset();
		this.webhook = undefined;
	}

	webhookSettings(): Dialog360WebhookSettings | undefined {
		return this.webhook ? { url: this.webhook.url, headers: { ...this.webhook.headers } } : undefined;
	}

	storedMedia(): StoredMedia[] {
		return this.cloud.storedMedia();
	}

	/** The same flat shape whatever the status. */
	errorBody(): unknown {
		return { ...DIALOG360_OWN_ERROR };
	}

	/** One counter: every API key of the emulator stands for the one demo number. */
	rateLimitKey(method: string, path: string): string | undefined {
		return method === 'POST' && path === '/messages' ? 'dialog360' : undefined;
	}

	/** 360dialog passes Meta's throughput error through. */
	rateLimited(): ProviderResponse {
		return throughputLimitHit();
	}

	handle(request: ProviderRequest): ProviderResponse {
		const key = request.headers['d360-api-key'];
		if (typeof key !== 'string' || !this.config.apiKeys.includes(key)) {
			return { status: 401, body: this.errorBody() };
		}
		const { method, path } = request;

		switch (path) {
			case '/whatsapp_business_profile':
				return method === 'GET' ? this.profile(request.query) : unsupportedRequest(method, 'whatsapp_business_profile');
			case '/media':
				return method === 'POST' ? this.cloud.upload(request) : unsupportedRequest(method, 'media');
			case '/messages':
				return method === 'POST' ? this.cloud.sendMessage(request) : unsupportedRequest(method, 'messages');
			case '/v1/configs/templates':
				return method === 'GET' ? this.templates(request.query) : unsupportedRequest(method, 'templates');
			case '/v1/configs/webhook':
				if (method === 'GET') return { status: 200, body: { url: this.webhook?.url ?? '' } };
				return method === 'POST' ? this.configureWebhook(request) : unsupportedRequest(method, 'webhook');
		}

		const download = /^\/media-download\/([^/]+)$/.exec(path);
		if (download) return this.cloud.download(method, download[1]);

		const single = /^\/([^/]+)$/.exec(path);
		if (single) return this.cloud.mediaObject(method, single[1]);

		return unknownPath(path);
	}

	/**
	 * The templates of the number's WhatsApp Business Account, `limit` (default 50, at most 1000) from
	 * `offset` (default 0). `sort` and `filters` are accepted and ignored: the list is in registry order.
	 */
	private templates(query: URLSearchParams): ProviderResponse {
		const limit = query.get('limit') ?? String(DIALOG360_TEMPLATES_DEFAULT_LIMIT);
		if (!/^[0-9]+$/.test(limit) || Number(limit) < 1) return metaError(100, 'Param limit must be a positive integer');
		const offset = query.get('offset') ?? '0';
		if (!/^[0-9]+$/.test(offset)) return metaError(100, 'Param offset must be a non-negative integer');
		const size = Math.min(Number(limit), DIALOG360_TEMPLATES_MAX_LIMIT);
		const start = Number(offset);
		const page = EMULATOR_TEMPLATES.slice(start, start + size).map(toCloudApiTemplate);
		return {
			status: 200,
			body: { count: page.length, total: EMULATOR_TEMPLATES.length, offset: start, limit: size, waba_templates: page },
		};
	}

	/**
	 * `POST /v1/configs/webhook` `{"url", "headers"?}`: sets the number's webhook (its headers go with
	 * every delivery); an empty `url` removes webhook and headers. A URL with a port or an underscore
	 * in its host is refused, as 360dialog does.
	 */
	private configureWebhook(request: ProviderRequest): ProviderResponse {
		const refuse = (error: string): ProviderResponse => ({ status: 400, body: { error } });
		const { body } = request;
		if (request.mediaType !== 'application/json' || body.kind !== 'json' || !isPlainObject(body.value)) {
			return refuse(DIALOG360_WEBHOOK_ERRORS.body);
		}
		const value = body.value;
		for (const key of Object.keys(value)) {
			if (!WEBHOOK_KEYS.has(key)) return refuse(DIALOG360_WEBHOOK_ERRORS.unexpectedKey(key));
		}
		if (typeof value.url !== 'string') return refuse(DIALOG360_WEBHOOK_ERRORS.body);
		const headers: Record<string, string> = {};
		if (value.headers !== undefined && value.headers !== null) {
			if (!isPlainObject(value.headers)) return refuse(DIALOG360_WEBHOOK_ERRORS.headers);
			for (const [name, headerValue] of Object.entries(value.headers)) {
				if (!HEADER_NAME_RE.test(name) || typeof headerValue !== 'string' || /[\r\n\0]/.test(headerValue)) {
					return refuse(DIALOG360_WEBHOOK_ERRORS.headers);
				}
				headers[name] = headerValue;
			}
		}
		if (value.url === '') {
			this.webhook = undefined;
			return { status: 200, body: { url: '' } };
		}
		const problem = dialog360WebhookUrlProblem(value.url);
		if (problem) return refuse(problem);
		this.webhook = { url: value.url, headers };
		return { status: 200, body: { url: value.url } };
	}

	private profile(query: URLSearchParams): ProviderResponse {
		const fields = query.get('fields');
		const wanted = fields === null ? Object.keys(PROFILE) : fields.split(',').map((f) => f.trim()).filter(Boolean);
		const entry: Record<string, unknown> = {};
		for (const field of wanted) {
			if (!(field in PROFILE)) return nonexistingField(field, 'WhatsAppBusinessProfile');
			entry[field] = PROFILE[field];
		}
		entry.messaging_product = 'whatsapp';
		return { status: 200, body: { data: [entry] } };
	}
}
