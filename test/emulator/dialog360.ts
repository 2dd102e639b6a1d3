/**
 * 360dialog's WhatsApp Cloud API proxy (v2), as far as the node uses it (PROVIDERS.md): the business
 * profile (credential test), media upload/lookup/delete and video messages. The Cloud API endpoints
 * themselves live in cloudApi.ts (360dialog passes Meta's API through, errors in Meta's shape); this
 * file owns what is 360dialog's own: the mount, the paths without version or phone number id, the
 * `D360-API-KEY` header and the flat `{"error":"Invalid request"}` shape used for authentication
 * failures and provider-level faults.
 */
import {
	CLOUD_API_MAX_CALLBACK_DATA,
	CLOUD_API_MAX_CAPTION,
	CLOUD_API_MAX_MEDIA_BYTES,
	CloudApi,
	nonexistingField,
	unknownPath,
	unsupportedRequest,
} from './cloudApi';
import type { ProviderHandler, ProviderRequest, ProviderResponse, StoredMedia } from './types';

export { metaErrorBody, VIDEO_MEDIA_TYPES, type MetaErrorBody, type MetaErrorOptions } from './cloudApi';

export const DIALOG360_PREFIX = '/360dialog';
/** WhatsApp's limit for video and audio: 16 MB, i.e. 16 MiB here. */
export const DIALOG360_MAX_MEDIA_BYTES = CLOUD_API_MAX_MEDIA_BYTES;
export const DIALOG360_MAX_CAPTION = CLOUD_API_MAX_CAPTION;
export const DIALOG360_MAX_CALLBACK_DATA = CLOUD_API_MAX_CALLBACK_DATA;
export const DIALOG360_OWN_ERROR = { error: 'Invalid request' } as const;

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
		}

		const download = /^\/media-download\/([^/]+)$/.exec(path);
		if (download) return this.cloud.download(method, download[1]);

		const single = /^\/([^/]+)$/.exec(path);
		if (single) return this.cloud.mediaObject(method, single[1]);

		return unknownPath(path);
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
