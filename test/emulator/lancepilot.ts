/**
 * Lancepilot API v3, as far as the node uses it (README, "Contracts"): GET /workspaces, the two
 * "send video" routes, the two "send template message" routes and the template listing (the template
 * rules live in lancepilotTemplates.ts). Answers follow Laravel conventions (field-keyed 422 errors,
 * all field errors at once) because that is what the documented responses look like.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { isJsonMediaType } from './body';
import { mediaTypeOf } from './header-params';
import {
	listTemplates,
	showTemplate,
	validateTemplateJson,
	validateTemplateMultipart,
	type ValidTemplateMessage,
} from './lancepilotTemplates';
import type {
	CreatedResource,
	LancepilotRequestInfo,
	ParsedPart,
	ProviderHandler,
	ProviderRequest,
	ProviderResponse,
	SeedWorkspace,
} from './types';
import { codePointLength, isHttpUrl, isPlainObject, isUuid } from './values';

export const LANCEPILOT_PREFIX = '/lancepilot/api/v3';
/** `max:16384` in Laravel is kilobytes of 1024 bytes. */
export const LANCEPILOT_MAX_FILE_BYTES = 16384 * 1024;
export const LANCEPILOT_MAX_CAPTION = 1024;
const ALLOWED_VIDEO_TYPES = new Set(['video/mp4', 'video/3gpp']);
const BODY_FIELDS = new Set(['file', 'caption']);

export const LANCEPILOT_MESSAGES = {
	unauthenticated: 'Unauthenticated.',
	notFound: 'Not found.',
	workspaceNotFound: 'Workspace not found.',
	contactNotFound: 'Contact not found.',
	validation: 'Validation error',
	malformedJson: 'Malformed JSON body.',
	created: 'Resource created successfully.',
	fileRequired: 'The file field is required.',
	fileUrl: 'The file field must be a valid URL.',
	fileNotFile: 'The file field must be a file.',
	fileType: 'The file field must be a file of type: mp4, 3gp.',
	fileTooLarge: 'The file field must not be greater than 16384 kilobytes.',
	captionString: 'The caption field must be a string.',
	captionTooLong: 'The caption field must not be greater than 1024 characters.',
	numberInvalid: 'The number must be a valid E.164 phone number.',
	bodyContentType: 'The request body must be sent as application/json or multipart/form-data.',
	bodyNotObject: 'The JSON body must be an object.',
	prohibited: (field: string): string => `The ${field} field is prohibited.`,
	duplicate: (field: string): string => `The ${field} field must not be sent more than once.`,
	malformedMultipart: (reason: string): string => `The multipart body could not be parsed: ${reason}.`,
} as const;

type FieldErrors = Record<string, string[]>;

type VideoSource =
	| { kind: 'link'; url: string }
	| { kind: 'upload'; filename: string; contentType: string; size: number };

interface ValidBody {
	source: VideoSource;
	caption?: string;
}

type BodyOutcome<T> = { kind: 'valid'; body: T } | { kind: 'invalid' } | { kind: 'malformed-json' };

/**
 * What every send route does with the body before its own rules: malformed JSON is a 400, an empty
 * JSON body goes to `empty` (which reports what is missing), JSON and multipart go to their
 * validators, anything else is a 422 naming the body.
 */
function decodeSendBody<T>(
	request: ProviderRequest,
	errors: FieldErrors,
	validate: {
		empty: () => void;
		json: (value: unknown) => BodyOutcome<T>;
		multipart: (parts: ParsedPart[]) => BodyOutcome<T>;
	},
): BodyOutcome<T> {
	const { body } = request;
	if (body.kind === 'json-malformed') return { kind: 'malformed-json' };
	if (body.kind === 'empty' && isJsonMediaType(request.mediaType)) {
		validate.empty();
		return { kind: 'invalid' };
	}
	if (body.kind === 'json') return validate.json(body.value);
	if (body.kind === 'multipart') return validate.multipart(body.parts);
	if (body.kind === 'multipart-malformed') {
		addError(errors, 'body', LANCEPILOT_MESSAGES.malformedMultipart(body.error));
		return { kind: 'invalid' };
	}
	addError(errors, 'body', LANCEPILOT_MESSAGES.bodyContentType);
	return { kind: 'invalid' };
}

export interface LancepilotConfig {
	tokens: readonly string[];
	workspaces: readonly SeedWorkspace[];
	omitMessageId: boolean;
}

type MessageKind = 'video' | 'template';

/** The send routes; for each kind the by-number route comes first, as Laravel registers it, so that "number" is no contact id. */
const SEND_ROUTES: ReadonlyArray<{ re: RegExp; kind: MessageKind; byNumber: boolean }> = [
	{ re: /^\/workspaces\/([^/]+)\/contacts\/number\/([^/]+)\/messages\/video$/, kind: 'video', byNumber: true },
	{ re: /^\/workspaces\/([^/]+)\/contacts\/([^/]+)\/messages\/video$/, kind: 'video', byNumber: false },
	{ re: /^\/workspaces\/([^/]+)\/contacts\/number\/([^/]+)\/template-messages$/, kind: 'template', byNumber: true },
	{ re: /^\/workspaces\/([^/]+)\/contacts\/([^/]+)\/template-messages$/, kind: 'template', byNumber: false },
];
function matchSendRoute(path: string): { kind: MessageKind; byNumber: boolean; workspace: string; target: string } | undefined {
	for (const route of SEND_ROUTES) {
		const match = route.re.exec(path);
		if (match) return { kind: route.kind, byNumber: route.byNumber, workspace: match[1], target: match[2] };
	}
	return undefined;
}

const TEMPLATES_RE = /^\/workspaces\/([^/]+)\/templates(?:\/([^/]+))?$/;
const NUMBER_RE = /^\+?[0-9]{8,15}$/;

function json(status: number, body: unknown, headers?: Record<string, string>): ProviderResponse {
	return headers ? { status, body, headers } : { status, body };
}

function validationError(errors: FieldErrors): ProviderResponse {
	return json(422, { message: LANCEPILOT_MESSAGES.validation, errors });
}

function addError(errors: FieldErrors, field: string, message: string): void {
	(errors[field] ??= []).push(message);
}

function safeDecode(segment: string): string | undefined {
	try {
		return decodeURIComponent(segment);
	} catch {
		return undefined;
	}
}

function cloneWorkspaces(workspaces: readonly SeedWorkspace[]): SeedWorkspace[] {
	return workspaces.map((w) => ({ id: w.id, name: w.name, contacts: w.contacts.map((c) => ({ ...c })) }));
}

export class LancepilotProvider implements ProviderHandler {
	readonly name = 'lancepilot' as const;
	private workspaces: SeedWorkspace[];
	private omitMessageId: boolean;

	constructor(private readonly config: LancepilotConfig) {
		this.workspaces = cloneWorkspaces(config.workspaces);
		this.omitMessageId = config.omitMessageId;
	}

	reset(): void {
		// Contacts created by sends to unknown numbers are dropped, so every test starts from the seed.
		this.workspaces = cloneWorkspaces(this.config.workspaces);
		this.omitMessageId = this.config.omitMessageId;
	}

	setOmitMessageId(omit: boolean): void {
		this.omitMessageId = omit;
	}

	errorBody(status: number): unknown {
		switch (status) {
			case 401:
				return { message: LANCEPILOT_MESSAGES.unauthenticated };
			case 404:
				return { message: LANCEPILOT_MESSAGES.notFound, status: 404 };
			case 413:
				return { message: 'Request body too large.' };
			case 422:
				return { message: LANCEPILOT_MESSAGES.validation, errors: {} };
			case 429:
				return { message: 'Too Many Attempts.' };
			case 500:
				return { message: 'Server Error' };
			default:
				return { message: STATUS_CODES[status] ?? 'Error' };
		}
	}

	/** Every send route (video and template, by number or contact) counts against one limit. */
	rateLimitKey(method: string, path: string): string | undefined {
		return method === 'POST' && matchSendRoute(path) ? 'lancepilot' : undefined;
	}

	/** Laravel's throttle middleware: 429 "Too Many Attempts." with Retry-After. */
	rateLimited(): ProviderResponse {
		return json(429, this.errorBody(429), { 'Retry-After': '1' });
	}

	handle(request: ProviderRequest): ProviderResponse {
		if (!this.isAuthenticated(request.headers.authorization)) {
			return json(401, this.errorBody(401));
		}
		const { method, path } = request;

		if (path === '/workspaces') {
			if (method !== 'GET' && method !== 'HEAD') return this.methodNotAllowed(method, path, 'GET, HEAD');
			return json(200, {
				data: this.workspaces.map((w) => ({ id: w.id, type: 'workspaces', attributes: { name: w.name } })),
			});
		}

		const listing = TEMPLATES_RE.exec(path);
		if (listing) {
			if (method !== 'GET' && method !== 'HEAD') return this.methodNotAllowed(method, path, 'GET, HEAD');
			if (!this.findWorkspace(listing[1])) return json(404, { message: LANCEPILOT_MESSAGES.workspaceNotFound, status: 404 });
			return listing[2] === undefined ? listTemplates(request.query) : showTemplate(listing[2]);
		}

		const route = matchSendRoute(path);
		if (!route) return json(404, this.errorBody(404));
		if (method !== 'POST') return this.methodNotAllowed(method, path, 'POST');

		const workspace = this.findWorkspace(route.workspace);
		if (!workspace) return json(404, { message: LANCEPILOT_MESSAGES.workspaceNotFound, status: 404 });

		const errors: FieldErrors = {};
		let info: LancepilotRequestInfo;
		let recipient: string;
		let contactToCreate: string | undefined;

		if (route.byNumber) {
			const raw = route.target;
			const decoded = safeDecode(raw) ?? raw;
			const valid = NUMBER_RE.test(decoded);
			if (!valid) addError(errors, 'number', LANCEPILOT_MESSAGES.numberInvalid);
			const digits = decoded.replace(/^\+/, '');
			const known = valid && workspace.contacts.some((c) => c.number.replace(/^\+/, '') === digits);
			if (valid && !known) contactToCreate = `+${digits}`;
			info = {
				workspaceId: workspace.id,
				target: {
					kind: 'number',
					raw,
					decoded,
					form: decoded.startsWith('+') ? 'plus' : 'digits',
					contactCreated: false,
				},
			};
			recipient = decoded;
		} else {
			const contactId = safeDecode(route.target);
			const contact =
				contactId !== undefined && isUuid(contactId)
					? workspace.contacts.find((c) => c.id.toLowerCase() === contactId.toLowerCase())
					: undefined;
			if (!contact) return json(404, { message: LANCEPILOT_MESSAGES.contactNotFound, status: 404 });
			info = { workspaceId: workspace.id, target: { kind: 'contact', contactId: contact.id } };
			recipient = contact.id;
		}

		const parsed = route.kind === 'video' ? this.validateBody(request, errors) : this.validateTemplateBody(request, errors);
		if (parsed.kind === 'malformed-json') {
			return { ...json(400, { message: LANCEPILOT_MESSAGES.malformedJson }), lancepilot: info };
		}
		if (Object.keys(errors).length > 0 || parsed.kind !== 'valid') {
			return { ...validationError(errors), lancepilot: info };
		}

		if (contactToCreate !== undefined && info.target.kind === 'number') {
			workspace.contacts.push({ id: randomUUID(), number: contactToCreate });
			info.target.contactCreated = true;
		}

		const messageId = randomUUID();
		const data: Record<string, unknown> = this.omitMessageId ? {} : { id: messageId };
		data.type = 'messages';
		let created: Omit<Extract<CreatedResource, { kind: 'message' }>, 'kind' | 'provider' | 'messageId' | 'recipient'>;
		if ('template' in parsed.body) {
			const { source, sent } = parsed.body;
			data.attributes = {
				contact: recipient,
				kind: 'template',
				template_id: sent.id,
				file: source === undefined ? null : source.kind === 'link' ? source.url : source.filename,
			};
			created = { ...(source !== undefined ? { source: source.kind } : {}), template: sent };
		} else {
			const { source, caption } = parsed.body;
			data.attributes = {
				contact: recipient,
				kind: 'video',
				caption: caption ?? null,
				file: source.kind === 'link' ? source.url : source.filename,
			};
			created = { source: source.kind, ...(caption !== undefined ? { caption } : {}) };
		}
		return {
			status: 201,
			body: { status: 201, message: LANCEPILOT_MESSAGES.created, data },
			lancepilot: info,
			created: {
				kind: 'message',
				provider: 'lancepilot',
				...(this.omitMessageId ? {} : { messageId }),
				recipient,
				...created,
			},
		};
	}

	/** The workspace of a path segment: a UUID, in any letter case, of a seeded workspace. */
	private findWorkspace(segment: string): SeedWorkspace | undefined {
		const workspaceId = safeDecode(segment);
		return workspaceId !== undefined && isUuid(workspaceId)
			? this.workspaces.find((w) => w.id.toLowerCase() === workspaceId.toLowerCase())
			: undefined;
	}

	private isAuthenticated(header: string | string[] | undefined): boolean {
		// Laravel's bearerToken() looks for the case-sensitive "Bearer " prefix.
		if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
		return this.config.tokens.includes(header.slice('Bearer '.length));
	}

	private methodNotAllowed(method: string, path: string, allow: string): ProviderResponse {
		return json(
			405,
			{ message: `The ${method} method is not supported for route api/v3${path}. Supported methods: ${allow}.` },
			{ Allow: allow },
		);
	}

	private validateBody(request: ProviderRequest, errors: FieldErrors): BodyOutcome<ValidBody> {
		return decodeSendBody(request, errors, {
			empty: () => addError(errors, 'file', LANCEPILOT_MESSAGES.fileRequired),
			json: (value) => this.validateJson(value, errors),
			multipart: (parts) => this.validateMultipart(parts, errors),
		});
	}

	private validateTemplateBody(request: ProviderRequest, errors: FieldErrors): BodyOutcome<ValidTemplateMessage> {
		const outcome = (valid: ValidTemplateMessage | undefined): BodyOutcome<ValidTemplateMessage> =>
			valid ? { kind: 'valid', body: valid } : { kind: 'invalid' };
		return decodeSendBody(request, errors, {
			empty: () => validateTemplateJson({}, errors),
			json: (value) => outcome(validateTemplateJson(value, errors)),
			multipart: (parts) => outcome(validateTemplateMultipart(parts, errors)),
		});
	}

	private validateJson(value: unknown, errors: FieldErrors): { kind: 'valid'; body: ValidBody } | { kind: 'invalid' } {
		if (!isPlainObject(value)) {
			addError(errors, 'body', LANCEPILOT_MESSAGES.bodyNotObject);
			return { kind: 'invalid' };
		}
		for (const key of Object.keys(value)) {
			if (!BODY_FIELDS.has(key)) addError(errors, key, LANCEPILOT_MESSAGES.prohibited(key));
		}
		const file = value.file;
		let url: string | undefined;
		if (file === undefined || file === null || file === '') {
			addError(errors, 'file', LANCEPILOT_MESSAGES.fileRequired);
		} else if (typeof file !== 'string' || !isHttpUrl(file)) {
			addError(errors, 'file', LANCEPILOT_MESSAGES.fileUrl);
		} else {
			url = file;
		}
		const caption = 'caption' in value ? this.checkCaption(value.caption, errors) : undefined;
		if (Object.keys(errors).length > 0 || url === undefined) return { kind: 'invalid' };
		return { kind: 'valid', body: { source: { kind: 'link', url }, ...(caption !== undefined ? { caption } : {}) } };
	}

	private validateMultipart(
		parts: ParsedPart[],
		errors: FieldErrors,
	): { kind: 'valid'; body: ValidBody } | { kind: 'invalid' } {
		const byName = new Map<string, ParsedPart[]>();
		for (const part of parts) {
			const list = byName.get(part.name) ?? [];
			list.push(part);
			byName.set(part.name, list);
		}
		for (const [name, list] of byName) {
			if (!BODY_FIELDS.has(name)) addError(errors, name, LANCEPILOT_MESSAGES.prohibited(name));
			// PHP would silently keep the last one; a duplicate almost always means a client bug.
			else if (list.length > 1) addError(errors, name, LANCEPILOT_MESSAGES.duplicate(name));
		}

		let source: VideoSource | undefined;
		const fileParts = byName.get('file');
		if (!fileParts) {
			addError(errors, 'file', LANCEPILOT_MESSAGES.fileRequired);
		} else if (fileParts.length === 1) {
			const file = fileParts[0];
			const type = mediaTypeOf(file.contentType);
			if (file.filename === undefined || file.filename === '') {
				addError(errors, 'file', LANCEPILOT_MESSAGES.fileNotFile);
			} else if (type === undefined || !ALLOWED_VIDEO_TYPES.has(type) || file.data.length === 0) {
				// Laravel's `mimes` rule also fails an empty upload (finfo says application/x-empty).
				addError(errors, 'file', LANCEPILOT_MESSAGES.fileType);
			} else if (file.data.length > LANCEPILOT_MAX_FILE_BYTES) {
				addError(errors, 'file', LANCEPILOT_MESSAGES.fileTooLarge);
			} else {
				source = { kind: 'upload', filename: file.filename, contentType: type, size: file.data.length };
			}
		}

		let caption: string | undefined;
		const captionParts = byName.get('caption');
		if (captionParts?.length === 1) {
			const part = captionParts[0];
			caption = this.checkCaption(part.filename === undefined ? part.data.toString('utf8') : part, errors);
		}
		if (Object.keys(errors).length > 0 || source === undefined) return { kind: 'invalid' };
		return { kind: 'valid', body: { source, ...(caption !== undefined ? { caption } : {}) } };
	}

	private checkCaption(value: unknown, errors: FieldErrors): string | undefined {
		if (typeof value !== 'string') {
			addError(errors, 'caption', LANCEPILOT_MESSAGES.captionString);
			return undefined;
		}
		if (codePointLength(value) > LANCEPILOT_MAX_CAPTION) {
			addError(errors, 'caption', LANCEPILOT_MESSAGES.captionTooLong);
			return undefined;
		}
		return value;
	}
}
