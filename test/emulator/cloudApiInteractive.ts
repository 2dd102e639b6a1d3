/**
 * The `interactive` object of a Cloud API message (`"type": "interactive"`, 360dialog and Meta
 * alike), as far as the node sends it: reply buttons (`button`) and a link button (`cta_url`), each
 * with a video header. Shapes are checked as Graph API checks them (code 100, naming the parameter);
 * WhatsApp's limits (button count and titles, ids, body, footer, display text) are code 131009
 * "Parameter value is not valid". A link button's video goes by `link` only, the one form Meta
 * documents for it. Only the first problem is reported; the caller turns it into Meta's error shape.
 */
import type { SentInteractive, StoredMedia } from './types';
import { codePointLength, isHttpUrl, isPlainObject } from './values';

/** WhatsApp's limits, in characters (code points). */
export const CLOUD_API_INTERACTIVE_LIMITS = {
	buttons: 3,
	buttonTitle: 20,
	buttonId: 256,
	body: 1024,
	footer: 60,
	displayText: 20,
} as const;

export type InteractiveCheck =
	| { ok: true; interactive: SentInteractive; source?: 'link' | 'media-id' }
	| { ok: false; code: number; details: string };

type Fail = { ok: false; code: number; details: string };
const invalid = (details: string): Fail => ({ ok: false, code: 100, details });
const notValid = (details: string): Fail => ({ ok: false, code: 131009, details });

const INTERACTIVE_KEYS = new Set(['type', 'header', 'body', 'footer', 'action']);
const HEADER_KEYS = new Set(['type', 'video']);
const MEDIA_KEYS = new Set(['id', 'link']);
const TEXT_KEYS = new Set(['text']);
const BUTTON_ACTION_KEYS = new Set(['buttons']);
const BUTTON_KEYS = new Set(['type', 'reply']);
const REPLY_KEYS = new Set(['id', 'title']);
const CTA_ACTION_KEYS = new Set(['name', 'parameters']);
const CTA_PARAMETER_KEYS = new Set(['display_text', 'url']);
const VIDEO_MEDIA_TYPES: ReadonlySet<string> = new Set(['video/mp4', 'video/3gpp']);

function unexpectedKey(value: Record<string, unknown>, allowed: ReadonlySet<string>, param: string): Fail | undefined {
	for (const key of Object.keys(value)) {
		if (!allowed.has(key)) return invalid(`Unexpected key "${key}" on param "${param}".`);
	}
	return undefined;
}

/** An object parameter with only the allowed keys. */
function objectParam(value: unknown, allowed: ReadonlySet<string>, param: string): Record<string, unknown> | Fail {
	if (value === undefined) return invalid(`The parameter ${param} is required.`);
	if (!isPlainObject(value)) return invalid(`Param ${param} must be an object`);
	return unexpectedKey(value, allowed, param) ?? value;
}

const failed = (value: unknown): value is Fail => isPlainObject(value) && value.ok === false;

/** A non-empty string of at most `max` characters. */
function textParam(value: unknown, param: string, max: number): string | Fail {
	if (value === undefined) return invalid(`The parameter ${param} is required.`);
	if (typeof value !== 'string' || value === '') return invalid(`Param ${param} must be a non-empty string`);
	const length = codePointLength(value);
	if (length > max) return notValid(`Param ${param} is ${length} characters long; the maximum is ${max}`);
	return value;
}

/** `{"type":"video","video":{"id"|"link"}}`; `linkOnly` for the link button. */
function videoHeader(
	value: unknown,
	lookupMedia: (id: string) => StoredMedia | undefined,
	linkOnly: boolean,
): { source: 'link' | 'media-id' } | Fail {
	// Graph API takes messages without a header too; the node always sends its video there.
	if (value === undefined) return invalid("The parameter interactive['header'] is required (the emulator implements video headers only).");
	const header = objectParam(value, HEADER_KEYS, "interactive['header']");
	if (failed(header)) return header;
	if (header.type !== 'video') {
		return invalid(`Param interactive['header']['type'] must be "video" (the emulator implements video headers only)`);
	}
	const video = objectParam(header.video, MEDIA_KEYS, "interactive['header']['video']");
	if (failed(video)) return video;
	const hasId = video.id !== undefined;
	const hasLink = video.link !== undefined;
	if (hasId === hasLink) {
		return invalid(`Param interactive['header']['video'] must contain exactly one of id or link (got ${hasId ? 'both' : 'neither'})`);
	}
	if (hasId) {
		if (linkOnly) return invalid("Param interactive['header']['video'] of a cta_url message takes a link, not an id");
		const stored = typeof video.id === 'string' ? lookupMedia(video.id) : undefined;
		if (!stored) return invalid("Param interactive['header']['video']['id'] is not a valid whatsapp business account media attachment ID");
		if (!VIDEO_MEDIA_TYPES.has(stored.mimeType)) {
			return invalid(`Param interactive['header']['video']['id'] refers to media of type ${stored.mimeType}, not video/mp4 or video/3gpp`);
		}
		return { source: 'media-id' };
	}
	if (typeof video.link !== 'string' || !isHttpUrl(video.link)) {
		return invalid("Param interactive['header']['video']['link'] must be an http or https URL");
	}
	return { source: 'link' };
}

/** `body` (required) and `footer` (optional), each `{"text"}`. */
function texts(interactive: Record<string, unknown>): { body: string; footer?: string } | Fail {
	const body = objectParam(interactive.body, TEXT_KEYS, "interactive['body']");
	if (failed(body)) return body;
	const bodyText = textParam(body.text, "interactive['body']['text']", CLOUD_API_INTERACTIVE_LIMITS.body);
	if (failed(bodyText)) return bodyText;
	if (interactive.footer === undefined) return { body: bodyText };
	const footer = objectParam(interactive.footer, TEXT_KEYS, "interactive['footer']");
	if (failed(footer)) return footer;
	const footerText = textParam(footer.text, "interactive['footer']['text']", CLOUD_API_INTERACTIVE_LIMITS.footer);
	if (failed(footerText)) return footerText;
	return { body: bodyText, footer: footerText };
}

function replyButtons(value: unknown): Array<{ id: string; title: string }> | Fail {
	const action = objectParam(value, BUTTON_ACTION_KEYS, "interactive['action']");
	if (failed(action)) return action;
	const { buttons } = action;
	if (buttons === undefined) return invalid("The parameter interactive['action']['buttons'] is required.");
	if (!Array.isArray(buttons)) return invalid("Param interactive['action']['buttons'] must be an array");
	const { buttons: max } = CLOUD_API_INTERACTIVE_LIMITS;
	if (buttons.length < 1 || buttons.length > max) {
		return notValid(`Param interactive['action']['buttons'] must have 1 to ${max} buttons (got ${buttons.length})`);
	}
	const sent: Array<{ id: string; title: string }> = [];
	for (const [index, entry] of buttons.entries()) {
		const param = `interactive['action']['buttons'][${index}]`;
		const button = objectParam(entry, BUTTON_KEYS, param);
		if (failed(button)) return button;
		if (button.type !== 'reply') return invalid(`Param ${param}['type'] must be "reply"`);
		const reply = objectParam(button.reply, REPLY_KEYS, `${param}['reply']`);
		if (failed(reply)) return reply;
		const id = textParam(reply.id, `${param}['reply']['id']`, CLOUD_API_INTERACTIVE_LIMITS.buttonId);
		if (failed(id)) return id;
		const title = textParam(reply.title, `${param}['reply']['title']`, CLOUD_API_INTERACTIVE_LIMITS.buttonTitle);
		if (failed(title)) return title;
		if (sent.some((earlier) => earlier.id === id)) return notValid(`Param ${param}['reply']['id'] "${id}" is not unique among the buttons`);
		sent.push({ id, title });
	}
	return sent;
}

function linkButton(value: unknown): { displayText: string; url: string } | Fail {
	const action = objectParam(value, CTA_ACTION_KEYS, "interactive['action']");
	if (failed(action)) return action;
	if (action.name !== 'cta_url') return invalid(`Param interactive['action']['name'] must be "cta_url"`);
	const parameters = objectParam(action.parameters, CTA_PARAMETER_KEYS, "interactive['action']['parameters']");
	if (failed(parameters)) return parameters;
	const displayText = textParam(parameters.display_text, "interactive['action']['parameters']['display_text']", CLOUD_API_INTERACTIVE_LIMITS.displayText);
	if (failed(displayText)) return displayText;
	const { url } = parameters;
	if (url === undefined) return invalid("The parameter interactive['action']['parameters']['url'] is required.");
	if (typeof url !== 'string' || !isHttpUrl(url)) return invalid("Param interactive['action']['parameters']['url'] must be an http or https URL");
	return { displayText, url };
}

/**
 * Checks `message.interactive`. `lookupMedia` finds a media id among what THIS provider stores: an
 * id uploaded elsewhere is unknown here, as it is to the real APIs.
 */
export function checkInteractiveMessage(value: unknown, lookupMedia: (id: string) => StoredMedia | undefined): InteractiveCheck {
	if (value === undefined) return invalid('The parameter interactive is required.');
	if (!isPlainObject(value)) return invalid('Param interactive must be an object');
	const { type } = value;
	if (type === undefined) return invalid("The parameter interactive['type'] is required.");
	if (type !== 'button' && type !== 'cta_url') {
		return invalid(`Param interactive['type'] must be "button" or "cta_url" (the emulator implements reply and link buttons only)`);
	}
	const unexpected = unexpectedKey(value, INTERACTIVE_KEYS, 'interactive');
	if (unexpected) return unexpected;
	const header = videoHeader(value.header, lookupMedia, type === 'cta_url');
	if (failed(header)) return header;
	const text = texts(value);
	if (failed(text)) return text;
	if (type === 'button') {
		const buttons = replyButtons(value.action);
		if (failed(buttons)) return buttons;
		return { ok: true, source: header.source, interactive: { type, ...text, buttons } };
	}
	const link = linkButton(value.action);
	if (failed(link)) return link;
	return { ok: true, source: header.source, interactive: { type, ...text, ...link } };
}
