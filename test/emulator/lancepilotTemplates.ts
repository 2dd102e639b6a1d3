/**
 * Lancepilot's template routes, used by lancepilot.ts (which owns authentication, workspaces,
 * contacts and the answer of a send): the paged listing, one template by id, and the validation of a
 * template message body (`template_id` and `template_data`), JSON or multipart with PHP-style field
 * names such as `template_data[body][variables][0]`. Errors are Laravel's: keyed by dotted field
 * (`template_data.header.file`), all of them at once.
 */
import { mediaTypeOf } from './header-params';
import {
	EMULATOR_TEMPLATES,
	bodyParameterCount,
	findTemplateByLancepilotId,
	toLancepilotTemplate,
	urlButtonHasVariable,
	type EmulatorTemplate,
} from './templates';
import type { ParsedPart, ProviderResponse, SentTemplate } from './types';
import { isHttpUrl, isPlainObject } from './values';

/** `max:16384` in Laravel is kilobytes of 1024 bytes; the same limit as the video route. */
const MAX_HEADER_FILE_BYTES = 16384 * 1024;
export const LANCEPILOT_TEMPLATES_DEFAULT_PER_PAGE = 15;
export const LANCEPILOT_TEMPLATES_MAX_PER_PAGE = 100;

const HEADER_FILE = 'template_data.header.file';
const HEADER_FILE_TYPES = {
	VIDEO: { mediaTypes: new Set(['video/mp4', 'video/3gpp']), extensions: 'mp4, 3gp' },
	IMAGE: { mediaTypes: new Set(['image/jpeg', 'image/png']), extensions: 'jpg, jpeg, png' },
} as const;

export const LANCEPILOT_TEMPLATE_MESSAGES = {
	templateNotFound: 'Template not found.',
	templateIdRequired: 'The template id field is required.',
	templateIdInteger: 'The template id field must be an integer.',
	templateIdInvalid: 'The selected template id is invalid.',
	templateNotApproved: 'The selected template is not approved.',
	required: (field: string): string => `The ${field} field is required.`,
	prohibited: (field: string): string => `The ${field} field is prohibited.`,
	array: (field: string): string => `The ${field} field must be an array.`,
	string: (field: string): string => `The ${field} field must be a string.`,
	url: (field: string): string => `The ${field} field must be a valid URL.`,
	file: (field: string): string => `The ${field} field must be a file.`,
	fileType: (field: string, extensions: string): string => `The ${field} field must be a file of type: ${extensions}.`,
	fileTooLarge: (field: string): string => `The ${field} field must not be greater than 16384 kilobytes.`,
	size: (field: string, size: number): string => `The ${field} field must contain ${size} items.`,
	invalid: (field: string): string => `The selected ${field} is invalid.`,
	duplicate: (field: string): string => `The ${field} field must not be sent more than once.`,
	integer: (field: string): string => `The ${field} field must be an integer.`,
	min: (field: string, min: number): string => `The ${field} field must be at least ${min}.`,
	max: (field: string, max: number): string => `The ${field} field must not be greater than ${max}.`,
} as const;
const T = LANCEPILOT_TEMPLATE_MESSAGES;

export type FieldErrors = Record<string, string[]>;

function addError(errors: FieldErrors, field: string, message: string): void {
	(errors[field] ??= []).push(message);
}

// ---- listing ----

/** `GET /workspaces/{ws}/templates?per_page=&page=`: Laravel's paginator, registry order. */
export function listTemplates(query: URLSearchParams): ProviderResponse {
	const errors: FieldErrors = {};
	const perPage = pageNumber(query.get('per_page'), LANCEPILOT_TEMPLATES_DEFAULT_PER_PAGE, 'per_page', 'per page', errors);
	const page = pageNumber(query.get('page'), 1, 'page', 'page', errors);
	if (perPage > LANCEPILOT_TEMPLATES_MAX_PER_PAGE) {
		addError(errors, 'per_page', T.max('per page', LANCEPILOT_TEMPLATES_MAX_PER_PAGE));
	}
	if (Object.keys(errors).length > 0) return { status: 422, body: { message: 'Validation error', errors } };
	const total = EMULATOR_TEMPLATES.length;
	const start = (page - 1) * perPage;
	return {
		status: 200,
		body: {
			data: EMULATOR_TEMPLATES.slice(start, start + perPage).map(toLancepilotTemplate),
			meta: { current_page: page, last_page: Math.max(1, Math.ceil(total / perPage)), per_page: perPage, total },
		},
	};
}

function pageNumber(raw: string | null, fallback: number, field: string, label: string, errors: FieldErrors): number {
	if (raw === null) return fallback;
	if (!/^[0-9]+$/.test(raw)) {
		addError(errors, field, T.integer(label));
		return fallback;
	}
	const value = Number(raw);
	if (value < 1) addError(errors, field, T.min(label, 1));
	return value;
}

/** `GET /workspaces/{ws}/templates/{id}`. */
export function showTemplate(idSegment: string): ProviderResponse {
	const template = /^[0-9]+$/.test(idSegment) ? findTemplateByLancepilotId(Number(idSegment)) : undefined;
	if (!template) return { status: 404, body: { message: T.templateNotFound, status: 404 } };
	return { status: 200, body: { data: toLancepilotTemplate(template) } };
}

// ---- sending ----

/** A file part of a multipart body, kept apart from text parts so the rules can tell them apart. */
class UploadedFile {
	constructor(readonly part: ParsedPart) {}
}

export type TemplateHeaderSource =
	| { kind: 'link'; url: string }
	| { kind: 'upload'; filename: string; contentType: string; size: number };

export interface ValidTemplateMessage {
	template: EmulatorTemplate;
	/** Absent for a template with a text header. */
	source?: TemplateHeaderSource;
	sent: SentTemplate;
}

type Mode = 'json' | 'multipart';

/** An object of fields (a JSON object or a multipart group), never an uploaded file. */
function isGroup(value: unknown): value is Record<string, unknown> {
	return isPlainObject(value) && !(value instanceof UploadedFile);
}

/** The JSON body (already decoded); errors go into `errors`. */
export function validateTemplateJson(value: unknown, errors: FieldErrors): ValidTemplateMessage | undefined {
	if (!isPlainObject(value)) {
		addError(errors, 'body', 'The JSON body must be an object.');
		return undefined;
	}
	return validateTemplateInput(value, 'json', errors);
}

/**
 * The multipart body: PHP-style names (`template_data[body][variables][0]`, `[]` appends) are
 * turned into the same nested structure as the JSON body, text parts as strings, file parts as files.
 */
export function validateTemplateMultipart(parts: ParsedPart[], errors: FieldErrors): ValidTemplateMessage | undefined {
	const root: Record<string, unknown> = {};
	for (const part of parts) {
		const path = fieldPath(part.name);
		let node = root;
		let dotted = '';
		for (const [i, segment] of path.entries()) {
			const key = segment === '' ? String(Object.keys(node).length) : segment;
			dotted = dotted === '' ? key : `${dotted}.${key}`;
			if (i === path.length - 1) {
				// PHP would silently keep the last one; a duplicate almost always means a client bug.
				if (key in node) addError(errors, dotted, T.duplicate(dotted));
				else node[key] = part.filename !== undefined ? new UploadedFile(part) : part.data.toString('utf8');
				break;
			}
			const child = node[key];
			if (child === undefined) {
				const created: Record<string, unknown> = {};
				node[key] = created;
				node = created;
			} else if (isGroup(child)) {
				node = child;
			} else {
				// A field sent both as a value and as a group (`a` and `a[b]`).
				addError(errors, dotted, T.duplicate(dotted));
				break;
			}
		}
	}
	return validateTemplateInput(root, 'multipart', errors);
}

/** `a[b][0]` -> `['a', 'b', '0']`; a name that is not of that form is one literal key. */
function fieldPath(name: string): string[] {
	const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(name);
	if (!match) return [name];
	return [match[1], ...[...match[2].matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1])];
}

/** A JSON array, or a multipart object whose keys are exactly 0…n-1. */
function asList(value: unknown): unknown[] | undefined {
	if (Array.isArray(value)) return value;
	if (!isGroup(value)) return undefined;
	const keys = Object.keys(value);
	if (!keys.every((k, i) => k === String(i))) return undefined;
	return keys.map((k) => value[k]);
}

/** Laravel's `array` rule: a list or a map (a JSON object, a multipart group of fields). */
function isArrayLike(value: unknown): boolean {
	return Array.isArray(value) || isGroup(value);
}

function isMissing(value: unknown): boolean {
	return value === undefined || value === null || value === '';
}

function prohibitUnknown(value: Record<string, unknown>, allowed: readonly string[], prefix: string, errors: FieldErrors): void {
	for (const key of Object.keys(value)) {
		if (!allowed.includes(key)) {
			const field = prefix === '' ? key : `${prefix}.${key}`;
			addError(errors, field, T.prohibited(field));
		}
	}
}

function validateTemplateInput(input: Record<string, unknown>, mode: Mode, errors: FieldErrors): ValidTemplateMessage | undefined {
	prohibitUnknown(input, ['template_id', 'template_data'], '', errors);
	const template = checkTemplateId(input.template_id, mode, errors);

	let data: Record<string, unknown> = {};
	if (input.template_data !== undefined && input.template_data !== null) {
		if (isGroup(input.template_data)) data = input.template_data;
		else addError(errors, 'template_data', T.array('template_data'));
	}
	prohibitUnknown(data, ['header', 'body', 'buttons'], 'template_data', errors);
	const header = section(data, 'header', ['file'], errors);
	const body = section(data, 'body', ['variables'], errors);
	// Without a known template there is nothing to check the contents against.
	if (!template) return undefined;

	const source = checkHeaderFile(template, header, mode, errors);
	const bodyParameters = checkVariables(body.variables, bodyParameterCount(template), 'template_data.body.variables', errors);
	const buttonParameter = checkButtons(template, data.buttons, errors);
	if (Object.keys(errors).length > 0 || bodyParameters === undefined) return undefined;
	return {
		template,
		...(source !== undefined ? { source } : {}),
		sent: {
			id: template.lancepilotId,
			name: template.name,
			language: template.language,
			bodyParameters,
			...(buttonParameter !== undefined ? { buttonParameter } : {}),
		},
	};
}

function checkTemplateId(value: unknown, mode: Mode, errors: FieldErrors): EmulatorTemplate | undefined {
	if (isMissing(value)) {
		addError(errors, 'template_id', T.templateIdRequired);
		return undefined;
	}
	let id: number | undefined;
	if (mode === 'json' && typeof value === 'number' && Number.isSafeInteger(value)) id = value;
	if (mode === 'multipart' && typeof value === 'string' && /^[0-9]{1,15}$/.test(value)) id = Number(value);
	if (id === undefined) {
		addError(errors, 'template_id', T.templateIdInteger);
		return undefined;
	}
	const template = findTemplateByLancepilotId(id);
	if (!template) {
		addError(errors, 'template_id', T.templateIdInvalid);
		return undefined;
	}
	if (template.status !== 'APPROVED') {
		addError(errors, 'template_id', T.templateNotApproved);
		return undefined;
	}
	return template;
}

/** `template_data.<name>` as an object with only `allowed` keys; a wrong shape is reported once. */
function section(data: Record<string, unknown>, name: string, allowed: readonly string[], errors: FieldErrors): Record<string, unknown> {
	const value = data[name];
	const field = `template_data.${name}`;
	if (value === undefined || value === null) return {};
	if (!isGroup(value)) {
		addError(errors, field, T.array(field));
		return {};
	}
	prohibitUnknown(value, allowed, field, errors);
	return value;
}

function checkHeaderFile(
	template: EmulatorTemplate,
	header: Record<string, unknown>,
	mode: Mode,
	errors: FieldErrors,
): TemplateHeaderSource | undefined {
	const file = header.file;
	const format = template.header.format;
	if (format === 'TEXT') {
		// A text header takes no file; sending one means the wrong template was chosen.
		if (file !== undefined) addError(errors, HEADER_FILE, T.prohibited(HEADER_FILE));
		return undefined;
	}
	if (isMissing(file)) {
		addError(errors, HEADER_FILE, T.required(HEADER_FILE));
		return undefined;
	}
	if (mode === 'json') {
		if (typeof file !== 'string' || !isHttpUrl(file)) {
			addError(errors, HEADER_FILE, T.url(HEADER_FILE));
			return undefined;
		}
		return { kind: 'link', url: file };
	}
	if (!(file instanceof UploadedFile) || file.part.filename === '') {
		addError(errors, HEADER_FILE, T.file(HEADER_FILE));
		return undefined;
	}
	const { part } = file;
	const type = mediaTypeOf(part.contentType);
	const accepted = HEADER_FILE_TYPES[format];
	if (type === undefined || !accepted.mediaTypes.has(type) || part.data.length === 0) {
		// Laravel's `mimes` rule also fails an empty upload (finfo says application/x-empty).
		addError(errors, HEADER_FILE, T.fileType(HEADER_FILE, accepted.extensions));
		return undefined;
	}
	if (part.data.length > MAX_HEADER_FILE_BYTES) {
		addError(errors, HEADER_FILE, T.fileTooLarge(HEADER_FILE));
		return undefined;
	}
	return { kind: 'upload', filename: part.filename ?? '', contentType: type, size: part.data.length };
}

/** A list of exactly `expected` non-empty strings at `field`; undefined (with errors) otherwise. */
function checkVariables(value: unknown, expected: number, field: string, errors: FieldErrors): string[] | undefined {
	if (value === undefined || value === null) {
		if (expected === 0) return [];
		addError(errors, field, T.required(field));
		return undefined;
	}
	const list = asList(value);
	if (list === undefined) {
		addError(errors, field, isArrayLike(value) ? T.size(field, expected) : T.array(field));
		return undefined;
	}
	if (list.length !== expected) {
		addError(errors, field, T.size(field, expected));
		return undefined;
	}
	const texts: string[] = [];
	for (const [i, item] of list.entries()) {
		const itemField = `${field}.${i}`;
		if (isMissing(item)) addError(errors, itemField, T.required(itemField));
		else if (typeof item !== 'string') addError(errors, itemField, T.string(itemField));
		else texts.push(item);
	}
	return texts.length === expected ? texts : undefined;
}

/** `template_data.buttons`: one `{type: "URL", variables: [value]}` exactly when the URL has a variable. */
function checkButtons(template: EmulatorTemplate, value: unknown, errors: FieldErrors): string | undefined {
	const field = 'template_data.buttons';
	if (!urlButtonHasVariable(template)) {
		if (value !== undefined) addError(errors, field, T.prohibited(field));
		return undefined;
	}
	if (isMissing(value)) {
		addError(errors, field, T.required(field));
		return undefined;
	}
	const list = asList(value);
	if (list === undefined || list.length !== 1) {
		addError(errors, field, list === undefined && !isArrayLike(value) ? T.array(field) : T.size(field, 1));
		return undefined;
	}
	const button = list[0];
	const buttonField = `${field}.0`;
	if (!isGroup(button)) {
		addError(errors, buttonField, T.array(buttonField));
		return undefined;
	}
	prohibitUnknown(button, ['type', 'variables'], buttonField, errors);
	if (isMissing(button.type)) addError(errors, `${buttonField}.type`, T.required(`${buttonField}.type`));
	else if (button.type !== 'URL') addError(errors, `${buttonField}.type`, T.invalid(`${buttonField}.type`));
	const variables = checkVariables(button.variables, 1, `${buttonField}.variables`, errors);
	return variables?.[0];
}
