/**
 * Meta's WhatsApp Cloud API served directly by Graph API (README, "Contracts"), as far as the node
 * uses it: phone number details (credential test), media upload/lookup/delete, video and template
 * messages and the business account's template listing. Bodies, media and WhatsApp errors come from
 * cloudApi.ts, exactly as for 360dialog; this file owns what is Meta's own: the version and phone
 * number id in the path, `Authorization: Bearer <token>`, Graph API's errors for tokens, paths and
 * objects, and its cursor paging.
 *
 * Routes below the mount (`/meta`):
 *   GET    /{version}/{phoneNumberId}            display_phone_number, verified_name, id (`?fields=`)
 *   POST   /{version}/{phoneNumberId}/messages   video or template message (JSON)
 *   POST   /{version}/{phoneNumberId}/media      upload (multipart)
 *   GET    /{version}/{mediaId}                  media description with a download URL
 *   DELETE /{version}/{mediaId}
 *   GET    /{version}/{businessAccountId}        { id, name }
 *   GET    /{version}/{businessAccountId}/phone_numbers
 *   GET    /{version}/{businessAccountId}/message_templates   `fields`, `limit`, `after`
 *   GET    /media-download/{mediaId}             the bytes (Bearer auth, like Meta's media URLs)
 */
import {
	CloudApi,
	graphErrorBody,
	metaError,
	metaErrorBody,
	nonexistingField,
	unknownPath,
	throughputLimitHit,
	unsupportedRequest,
} from './cloudApi';
import { EMULATOR_TEMPLATES, toCloudApiTemplate, type CloudApiTemplate } from './templates';
import type { ProviderHandler, ProviderRequest, ProviderResponse, StoredMedia } from './types';

export const META_PREFIX = '/meta';
/** Graph API versions look like `v26.0`. */
export const META_VERSION_RE = /^v\d+\.\d+$/;

/** Meta's answer for a missing, malformed or unknown access token (HTTP 401, code 190). */
export function metaTokenErrorBody(): ReturnType<typeof graphErrorBody> {
	return graphErrorBody(190, 'Invalid OAuth access token - Cannot parse access token');
}

export interface MetaPhoneNumber {
	id: string;
	displayPhoneNumber: string;
	verifiedName: string;
}

export interface WhatsAppCloudConfig {
	accessTokens: readonly string[];
	phoneNumbers: readonly MetaPhoneNumber[];
	businessAccount: { id: string; name: string };
	/** Resolved lazily because the port is only known after listen(). */
	mediaDownloadBase: () => string;
	/** This emulator's Graph API root (`http://127.0.0.1:<port>/meta`), for the listing's `next` links. */
	graphBase: () => string;
}

/** `message_templates` paging: `limit` default and maximum. */
export const META_TEMPLATES_DEFAULT_LIMIT = 25;
export const META_TEMPLATES_MAX_LIMIT = 100;
/** Fields a template listing returns without `?fields=`; `components` only when asked for. */
const DEFAULT_TEMPLATE_FIELDS = ['name', 'language', 'status', 'category', 'id'];
const TEMPLATE_FIELD_VALUES: Record<string, (t: CloudApiTemplate) => unknown> = {
	id: (t) => t.id,
	name: (t) => t.name,
	language: (t) => t.language,
	status: (t) => t.status,
	category: (t) => t.category,
	components: (t) => t.components,
	parameter_format: () => 'POSITIONAL',
	rejected_reason: () => 'NONE',
	quality_score: () => ({ score: 'UNKNOWN' }),
};
const CURSOR_PREFIX = 'emulator-template:';

/** Opaque to clients, like Graph API's cursors: the base64url of a template id. */
function templateCursor(template: { id: string }): string {
	return Buffer.from(`${CURSOR_PREFIX}${template.id}`, 'utf8').toString('base64url');
}

function cursorIndex(cursor: string): number {
	const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
	if (!decoded.startsWith(CURSOR_PREFIX)) return -1;
	const id = decoded.slice(CURSOR_PREFIX.length);
	return EMULATOR_TEMPLATES.findIndex((t) => t.cloudId === id);
}

const PHONE_NUMBER_FIELDS = ['display_phone_number', 'verified_name', 'id', 'quality_rating', 'code_verification_status'] as const;
const DEFAULT_PHONE_NUMBER_FIELDS = ['display_phone_number', 'verified_name', 'id'];

export class WhatsAppCloudProvider implements ProviderHandler {
	readonly name = 'whatsappCloud' as const;
	private readonly cloud: CloudApi;

	constructor(private readonly config: WhatsAppCloudConfig) {
		this.cloud = new CloudApi({
			provider: 'whatsappCloud',
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

	/** Graph API's answers by status, for status faults and 413s. */
	errorBody(status: number): unknown {
		if (status === 401) return metaTokenErrorBody();
		if (status === 403) return graphErrorBody(10, '(#10) Application does not have permission for this action');
		if (status === 404) return graphErrorBody(803, '(#803) Some of the aliases you requested do not exist');
		if (status === 413) return metaErrorBody(100, 'The request body is too large');
		if (status === 429) return metaErrorBody(130429, 'Rate limit hit');
		if (status >= 500) {
			return graphErrorBody(2, 'An unexpected error has occurred. Please retry your request later.', { transient: true });
		}
		return graphErrorBody(1, 'An unknown error has occurred.');
	}

	/** Meta's throughput is per business phone number: `POST /{version}/{phoneNumberId}/messages` counts against that number. */
	rateLimitKey(method: string, path: string): string | undefined {
		if (method !== 'POST') return undefined;
		const [version, phoneNumberId, edge, ...rest] = path.split('/').slice(1);
		if (edge !== 'messages' || rest.length > 0 || !META_VERSION_RE.test(version ?? '')) return undefined;
		return this.config.phoneNumbers.some((p) => p.id === phoneNumberId) ? `whatsappCloud:${phoneNumberId}` : undefined;
	}

	rateLimited(): ProviderResponse {
		return throughputLimitHit();
	}

	handle(request: ProviderRequest): ProviderResponse {
		// Checked before routing, as for the other providers: an unknown path without a token is a 401.
		// Only the header counts: the node must not put the token into a URL (`?access_token=`), where
		// it would end up in logs.
		const header = request.headers.authorization;
		const bearer = typeof header === 'string' ? /^Bearer ([^\s]+)$/i.exec(header) : null;
		if (!bearer || !this.config.accessTokens.includes(bearer[1])) {
			return { status: 401, body: this.errorBody(401) };
		}
		const { method, path } = request;

		const download = /^\/media-download\/([^/]+)$/.exec(path);
		if (download) return this.cloud.download(method, download[1]);

		// Empty segments (a trailing or doubled slash) are not tolerated: they mean a base-URL join bug.
		const segments = path.split('/').slice(1);
		const [version, objectId, edge] = segments;
		// A first segment that is no version (`26.0`, `v26`, a phone number id when the version was
		// forgotten) leaves Graph API with path components it cannot place: code 2500 "Unknown path
		// components" naming the path, so the missing or malformed version is visible in the error.
		if (version === undefined || !META_VERSION_RE.test(version) || segments.length > 3 || segments.includes('')) {
			return unknownPath(path);
		}
		if (objectId === undefined) return unknownPath(path);

		const phoneNumber = this.config.phoneNumbers.find((p) => p.id === objectId);
		if (edge === undefined) {
			if (phoneNumber) return method === 'GET' ? this.phoneNumberDetails(phoneNumber, request.query) : unsupportedRequest(method, objectId);
			if (objectId === this.config.businessAccount.id) {
				return method === 'GET' ? { status: 200, body: { ...this.config.businessAccount } } : unsupportedRequest(method, objectId);
			}
			return this.cloud.mediaObject(method, objectId);
		}

		if (objectId === this.config.businessAccount.id && edge === 'message_templates') {
			return method === 'GET' ? this.messageTemplates(version, request.query) : unsupportedRequest(method, objectId);
		}
		// Templates belong to the business account; a phone number has no such edge.
		if (phoneNumber && edge === 'message_templates') return nonexistingField(edge, 'WhatsAppBusinessPhoneNumber');
		if (objectId === this.config.businessAccount.id && edge === 'phone_numbers') {
			if (method !== 'GET') return unsupportedRequest(method, objectId);
			return {
				status: 200,
				body: { data: this.config.phoneNumbers.map((p) => this.phoneNumberEntry(p, DEFAULT_PHONE_NUMBER_FIELDS)) },
			};
		}
		// Meta's answer for any id that is not one of this token's phone numbers (subcode 33).
		if (!phoneNumber) return unsupportedRequest(method, objectId);
		switch (edge) {
			case 'messages':
				return method === 'POST' ? this.cloud.sendMessage(request) : unsupportedRequest(method, objectId);
			case 'media':
				return method === 'POST' ? this.cloud.upload(request) : unsupportedRequest(method, objectId);
			default:
				return unknownPath(`/${edge}`);
		}
	}

	/**
	 * The business account's templates in registry order: `limit` (default 25, at most 100) after the
	 * `after` cursor. `paging.next` points at this emulator and carries no token: a client follows
	 * it with the same Authorization header.
	 */
	private messageTemplates(version: string, query: URLSearchParams): ProviderResponse {
		const fieldsParam = query.get('fields');
		const fields =
			fieldsParam === null ? DEFAULT_TEMPLATE_FIELDS : fieldsParam.split(',').map((f) => f.trim()).filter(Boolean);
		for (const field of fields) {
			if (TEMPLATE_FIELD_VALUES[field] === undefined) return nonexistingField(field, 'WhatsAppMessageTemplate');
		}
		const limitParam = query.get('limit');
		if (limitParam !== null && (!/^[0-9]+$/.test(limitParam) || Number(limitParam) < 1)) {
			return metaError(100, 'Param limit must be a positive integer');
		}
		const limit = Math.min(limitParam === null ? META_TEMPLATES_DEFAULT_LIMIT : Number(limitParam), META_TEMPLATES_MAX_LIMIT);
		const after = query.get('after');
		let start = 0;
		if (after !== null) {
			const index = cursorIndex(after);
			if (index === -1) return metaError(100, 'Param after is not a valid cursor');
			start = index + 1;
		}

		const page = EMULATOR_TEMPLATES.slice(start, start + limit).map(toCloudApiTemplate);
		const data = page.map((template) => {
			const entry: Record<string, unknown> = {};
			for (const field of fields) entry[field] = TEMPLATE_FIELD_VALUES[field](template);
			// Graph API always returns the id, asked for or not.
			entry.id = template.id;
			return entry;
		});
		if (page.length === 0) return { status: 200, body: { data } };

		const paging: Record<string, unknown> = {
			cursors: { before: templateCursor(page[0]), after: templateCursor(page[page.length - 1]) },
		};
		if (start + page.length < EMULATOR_TEMPLATES.length) {
			const next = new URLSearchParams();
			if (fieldsParam !== null) next.set('fields', fields.join(','));
			next.set('limit', String(limit));
			next.set('after', templateCursor(page[page.length - 1]));
			paging.next = `${this.config.graphBase()}/${version}/${this.config.businessAccount.id}/message_templates?${next.toString()}`;
		}
		return { status: 200, body: { data, paging } };
	}

	private phoneNumberDetails(phoneNumber: MetaPhoneNumber, query: URLSearchParams): ProviderResponse {
		const fields = query.get('fields');
		const wanted = fields === null ? DEFAULT_PHONE_NUMBER_FIELDS : fields.split(',').map((f) => f.trim()).filter(Boolean);
		for (const field of wanted) {
			if (!(PHONE_NUMBER_FIELDS as readonly string[]).includes(field)) {
				return nonexistingField(field, 'WhatsAppBusinessPhoneNumber');
			}
		}
		return { status: 200, body: this.phoneNumberEntry(phoneNumber, wanted) };
	}

	private phoneNumberEntry(phoneNumber: MetaPhoneNumber, fields: readonly string[]): Record<string, string> {
		const values: Record<(typeof PHONE_NUMBER_FIELDS)[number], string> = {
			display_phone_number: phoneNumber.displayPhoneNumber,
			verified_name: phoneNumber.verifiedName,
			id: phoneNumber.id,
			quality_rating: 'GREEN',
			code_verification_status: 'VERIFIED',
		};
		const entry: Record<string, string> = {};
		for (const field of fields) entry[field] = values[field as keyof typeof values];
		// Graph API always returns the id, asked for or not.
		entry.id = phoneNumber.id;
		return entry;
	}
}
