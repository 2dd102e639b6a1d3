import type { INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

export const CAPTION_MAX_CHARACTERS = 1024;
export const CALLBACK_DATA_MAX_CHARACTERS = 512;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Everything a local check needs to name the item and field in its error. */
export interface FieldContext {
	node: INode;
	itemIndex: number;
}

/**
 * A local check failed. Names the field (by its label in the node panel), the item, what was wrong
 * and how to fix it, so a user reading the execution log knows exactly what to change.
 */
export function invalidField(
	context: FieldContext,
	field: string,
	problem: string,
	fix: string,
): NodeOperationError {
	return new NodeOperationError(
		context.node,
		`Invalid "${field}" in item ${context.itemIndex}: ${problem}`,
		{ itemIndex: context.itemIndex, description: fix },
	);
}

/** A resource locator's value, or the plain text a version-1 field or an expression holds. */
export function locatorValue(value: unknown): unknown {
	return value && typeof value === 'object' && 'value' in value ? (value as { value: unknown }).value : value;
}

/** Shortens user input echoed in an error so a pasted blob does not swamp the message. */
export function quote(value: unknown): string {
	const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
	return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

function describeType(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'a list';
	return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Expressions can resolve to anything; a field that wants text accepts strings and (for ids and
 * numbers typed into an expression) finite numbers, and rejects objects, lists, booleans and null.
 */
export function requireText(
	context: FieldContext,
	field: string,
	value: unknown,
	{ required, keepWhitespace = false }: { required: boolean; keepWhitespace?: boolean },
): string {
	if (value === undefined || value === null || value === '') {
		if (!required) return '';
		throw invalidField(
			context,
			field,
			'it is empty',
			`Fill in "${field}", or check that the expression resolves to a value for this item.`,
		);
	}
	let text: string;
	if (typeof value === 'string') text = value;
	else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
	else {
		throw invalidField(
			context,
			field,
			`expected text but the value is ${describeType(value)} (${quote(value)})`,
			`Make the expression for "${field}" resolve to a single text value, e.g. {{ $json.field }} rather than the whole object.`,
		);
	}
	if (required && text.trim() === '') {
		throw invalidField(
			context,
			field,
			'it contains only whitespace',
			`Fill in "${field}", or check that the expression resolves to a value for this item.`,
		);
	}
	// Captions keep their line breaks and indentation; identifiers lose stray spaces from copy-paste.
	if (keepWhitespace) return text.trim() === '' ? '' : text;
	return text.trim();
}

/**
 * Accepts numbers the way people type them (spaces, dashes, dots, brackets, a leading + or 00)
 * and returns the E.164 digits without the plus, or throws saying why it cannot be a number.
 */
export function normalisePhoneNumber(context: FieldContext, field: string, input: string): string {
	const compact = input.replace(/[\s\-.()/\u00a0]/g, '');
	if (/[^+\d]/.test(compact)) {
		throw invalidField(
			context,
			field,
			`${quote(input)} contains characters that are not digits`,
			'Enter the number in international format with country code, e.g. +49 151 23456789.',
		);
	}
	let digits: string;
	if (compact.startsWith('+')) digits = compact.slice(1);
	else if (compact.startsWith('00')) digits = compact.slice(2);
	else if (compact.startsWith('0')) {
		throw invalidField(
			context,
			field,
			`${quote(input)} looks like a national number (it starts with a single 0)`,
			'WhatsApp needs the country code: replace the leading 0 with +<country code>, e.g. 0151 2345678 in Germany becomes +49 151 2345678.',
		);
	} else digits = compact;
	if (!/^\d+$/.test(digits)) {
		throw invalidField(
			context,
			field,
			`${quote(input)} has a "+" in the wrong place`,
			'Put the "+" only at the start, followed by the country code and number.',
		);
	}
	if (digits.length < 8 || digits.length > 15) {
		throw invalidField(
			context,
			field,
			`${quote(input)} has ${digits.length} digits; a phone number with country code has 8 to 15`,
			'Enter the full international number with country code, e.g. +49 151 23456789.',
		);
	}
	return digits;
}

/** A recipient typed as letters and a dot (`US.…`) is meant as a BSUID, not a phone number. */
export function looksLikeBsuid(input: string): boolean {
	return /^[A-Za-z]{2}\./.test(input.trim());
}

/**
 * A business-scoped user ID, which WhatsApp shows instead of the number of a user with a
 * username: two capital letters (country), a dot, optionally `ENT.` (shared across portfolios),
 * then up to 128 letters and digits.
 */
export function requireBsuid(context: FieldContext, field: string, input: string): string {
	const bsuid = input.trim();
	if (!/^[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$/.test(bsuid)) {
		throw invalidField(
			context,
			field,
			`${quote(input)} is neither a phone number nor a valid business-scoped user ID (BSUID)`,
			'A BSUID is a two-letter country code in capitals, a dot and up to 128 letters and digits, e.g. US.13491208655302741918 (or US.ENT.… for a parent BSUID): copy it from the user_id of a webhook. A phone number needs the country code, e.g. +49 151 23456789.',
		);
	}
	return bsuid;
}

export function requireUuid(context: FieldContext, field: string, input: string): string {
	if (!UUID_PATTERN.test(input)) {
		throw invalidField(
			context,
			field,
			`${quote(input)} is not a UUID`,
			`"${field}" must look like 3f1c2a9e-7b4d-4e8a-9c6f-1a2b3c4d5e6f; copy it from the Lancepilot dashboard or API.`,
		);
	}
	return input.toLowerCase();
}

/** What to tell a user whose URL is refused, for what the URL is used for. */
interface UrlAdvice {
	example: string;
	otherScheme: string;
	credentials: string;
}

const VIDEO_URL_ADVICE: UrlAdvice = {
	example: 'https://example.com/video.mp4',
	otherScheme: 'Only http:// and https:// addresses can be fetched by WhatsApp; upload the file as binary data instead.',
	credentials:
		'Credentials inside a URL would be handed to the provider and WhatsApp; use a signed or public URL, or send the file as binary data.',
};

const LINK_URL_ADVICE: UrlAdvice = {
	example: 'https://shop.example.com/book',
	otherScheme: 'A link button opens only http:// and https:// addresses.',
	credentials: 'Every recipient could read credentials inside the link; use a public or signed URL.',
};

function requireHttpUrl(context: FieldContext, field: string, input: string, advice: UrlAdvice): string {
	let url: URL;
	try {
		url = new URL(input);
	} catch {
		throw invalidField(
			context,
			field,
			`${quote(input)} is not a valid URL`,
			`Enter a full public address starting with https://, e.g. ${advice.example}.`,
		);
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') {
		throw invalidField(context, field, `the "${url.protocol.replace(/:$/, '')}" scheme is not allowed`, advice.otherScheme);
	}
	if (url.username || url.password) {
		throw invalidField(context, field, 'the URL contains a user name or password', advice.credentials);
	}
	if (!url.hostname) {
		throw invalidField(context, field, `${quote(input)} has no host`, 'Enter a full URL.');
	}
	return url.toString();
}

export function requireVideoUrl(context: FieldContext, field: string, input: string): string {
	return requireHttpUrl(context, field, input, VIDEO_URL_ADVICE);
}

/** The address a link button opens: checked as a video URL is, with advice about links. */
export function requireLinkUrl(context: FieldContext, field: string, input: string): string {
	return requireHttpUrl(context, field, input, LINK_URL_ADVICE);
}

/** WhatsApp counts characters, not UTF-16 code units: an emoji is one character. */
export function characterCount(text: string): number {
	return Array.from(text).length;
}

export function requireMaxCharacters(
	context: FieldContext,
	field: string,
	text: string,
	max: number,
): string {
	const count = characterCount(text);
	if (count > max) {
		throw invalidField(
			context,
			field,
			`it has ${count} characters; the limit is ${max}`,
			`Shorten "${field}" by ${count - max} characters.`,
		);
	}
	return text;
}
