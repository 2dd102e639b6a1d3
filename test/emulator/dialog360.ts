/**
 * 360dialog's WhatsApp Cloud API proxy (v2), as far as the node uses it (README, "Contracts"): the
 * business profile (credential test), media upload/lookup/delete, video and template messages and the
 * template listing (`GET /v1/configs/templates`). The Cloud API endpoints themselves live in
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
	unsupportedRequest,
} from './cloudApi';
import { EMULATOR_TEMPLATES, toCloudApiTemplate } from './templates';
import type { ProviderHandler, ProviderRequest, ProviderResponse, StoredMedia } from './types';

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

	constructor(private readonly config: Dialog360Config) {
		this.cloud = new CloudApi({
			provider: 'dialog360',
			mediaDownloadBase: config.mediaDownloadBase,
			downloadNotFound: () => this.errorBody(404),
		});
	}

	reset(): void {
		this.cloud.reset();
	}

	storedMedia(): StoredMedia[] {
		return this.cloud.storedMedia();
	}

	errorBody(_status: number): unknown {
		return { ...DIALOG360_OWN_ERROR };
	}

	handle(request: ProviderRequest): ProviderResponse {
		const key = request.headers['d360-api-key'];
		if (typeof key !== 'string' || !this.config.apiKeys.includes(key)) {
			return { status: 401, body: this.errorBody(401) };
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
