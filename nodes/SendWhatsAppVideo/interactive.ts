/**
 * Interactive messages with the video as their header: reply buttons (up to three answers the
 * recipient taps) or one link button. Reads their fields for an item and checks every limit
 * WhatsApp sets, so a message it would refuse stops before its video is uploaded.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { SourceKind } from './providers/types';
import type { FieldContext } from './validation';
import { characterCount, invalidField, quote, requireLinkUrl, requireMaxCharacters, requireText } from './validation';

export const REPLY_BUTTONS_FIELD = 'Reply Buttons';
export const BODY_TEXT_FIELD = 'Body Text';
export const FOOTER_TEXT_FIELD = 'Footer Text';
export const LINK_TEXT_FIELD = 'Link Button Text';
export const LINK_URL_FIELD = 'Link Button URL';

/** WhatsApp's limits for interactive messages, in characters (Unicode code points). */
export const INTERACTIVE_LIMITS = {
	buttons: 3,
	buttonTitle: 20,
	buttonId: 256,
	body: 1024,
	footer: 60,
	linkText: 20,
} as const;

export interface ReplyButton extends IDataObject {
	/** Comes back with the recipient's answer, so a workflow can tell the answers apart. */
	id: string;
	/** Shown on the button. */
	title: string;
}

/** What both kinds show under the video. */
interface InteractiveText extends IDataObject {
	body: string;
	/** Empty for none. */
	footer: string;
}

export interface ReplyButtonsMessage extends InteractiveText {
	kind: 'buttons';
	buttons: ReplyButton[];
}

export interface LinkButtonMessage extends InteractiveText {
	kind: 'ctaUrl';
	displayText: string;
	url: string;
}

/** An interactive message as it is sent: plain data, so it is part of what makes two sends the same. */
export type InteractiveMessage = ReplyButtonsMessage | LinkButtonMessage;

type ButtonPart = 'ID' | 'title';

function buttonPart(context: FieldContext, index: number, part: ButtonPart, value: unknown, max: number): string {
	const button = `button ${index + 1}`;
	const text = typeof value === 'string' ? value.trim() : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
	if (text === undefined && value !== undefined && value !== null) {
		throw invalidField(
			context,
			REPLY_BUTTONS_FIELD,
			`${button}'s ${part} is not text (${quote(value)})`,
			`Make the expression for its ${part} resolve to a single text value, e.g. {{ $json.answer }} rather than the whole object.`,
		);
	}
	if (!text) {
		throw invalidField(
			context,
			REPLY_BUTTONS_FIELD,
			`${button} has no ${part}`,
			part === 'ID'
				? "Give each button an ID: WhatsApp returns it with the recipient's answer, e.g. yes."
				: 'Give each button a title, the text shown on it, e.g. Yes.',
		);
	}
	const count = characterCount(text);
	if (count > max) {
		throw invalidField(
			context,
			REPLY_BUTTONS_FIELD,
			`${button}'s ${part} ${quote(text)} has ${count} characters; the limit is ${max}`,
			`Shorten it by ${count - max} characters.`,
		);
	}
	return text;
}

function readReplyButtons(context: FieldContext, entries: unknown): ReplyButton[] {
	const list = (Array.isArray(entries) ? entries : []) as Array<{ id?: unknown; title?: unknown } | undefined>;
	const { buttons: max } = INTERACTIVE_LIMITS;
	if (list.length === 0) {
		throw invalidField(
			context,
			REPLY_BUTTONS_FIELD,
			'there are no buttons',
			`Add 1 to ${max} buttons, each with an ID (returned with the answer) and a title (shown on the button), e.g. yes / Yes.`,
		);
	}
	if (list.length > max) {
		throw invalidField(
			context,
			REPLY_BUTTONS_FIELD,
			`there are ${list.length} buttons; WhatsApp shows at most ${max}`,
			`Remove ${list.length - max} of them.`,
		);
	}
	const buttons = list.map((entry, index) => ({
		id: buttonPart(context, index, 'ID', entry?.id, INTERACTIVE_LIMITS.buttonId),
		title: buttonPart(context, index, 'title', entry?.title, INTERACTIVE_LIMITS.buttonTitle),
	}));
	const firstWithId = new Map<string, number>();
	buttons.forEach(({ id }, index) => {
		const earlier = firstWithId.get(id);
		if (earlier !== undefined) {
			throw invalidField(
				context,
				REPLY_BUTTONS_FIELD,
				`buttons ${earlier + 1} and ${index + 1} have the same ID ${quote(id)}`,
				'Give each button its own ID: the ID is how the answers are told apart.',
			);
		}
		firstWithId.set(id, index);
	});
	return buttons;
}

/** Reads and checks an item's interactive fields for Message Type "buttons" or "ctaUrl". */
export function readInteractive(ctx: IExecuteFunctions, context: FieldContext, kind: InteractiveMessage['kind']): InteractiveMessage {
	const { itemIndex } = context;
	// Body and footer are sent as typed, line breaks included, as a caption is.
	const text = (field: string, name: string, required: boolean, max: number, keepWhitespace = true) =>
		requireMaxCharacters(
			context,
			field,
			requireText(context, field, ctx.getNodeParameter(name, itemIndex, ''), { required, keepWhitespace }),
			max,
		);
	const body = text(BODY_TEXT_FIELD, 'bodyText', true, INTERACTIVE_LIMITS.body);
	const footer = text(FOOTER_TEXT_FIELD, 'footerText', false, INTERACTIVE_LIMITS.footer);
	if (kind === 'buttons') {
		return { kind, body, footer, buttons: readReplyButtons(context, ctx.getNodeParameter('replyButtons.button', itemIndex, [])) };
	}
	const displayText = text(LINK_TEXT_FIELD, 'ctaDisplayText', true, INTERACTIVE_LIMITS.linkText, false);
	const url = requireText(context, LINK_URL_FIELD, ctx.getNodeParameter('ctaUrl', itemIndex, ''), { required: true });
	return { kind, body, footer, displayText, url: requireLinkUrl(context, LINK_URL_FIELD, url) };
}

const SOURCE_NAMES: Record<Exclude<SourceKind, 'url'>, string> = { binary: 'Binary File', mediaId: 'Media ID' };

/**
 * Meta documents only a link for a link button's header video. Sending an uploaded one by media ID
 * instead would be a guess at an undocumented form, so the item is refused and told why.
 */
export function requireLinkHeader(context: FieldContext, message: InteractiveMessage, source: SourceKind, urlDelivery: unknown): void {
	if (message.kind !== 'ctaUrl') return;
	const why = 'WhatsApp documents only a link for the video of a link button message.';
	const alternative = 'or set Message Type to "Video with Reply Buttons", which also takes an uploaded video or a media ID.';
	if (source !== 'url') {
		throw invalidField(
			context,
			'Video Source',
			`Message Type "Video with a Link Button" takes its video by link only, and ${quote(SOURCE_NAMES[source])} would send it by media ID`,
			`${why} Set Video Source to URL with a public link to the video file, ${alternative}`,
		);
	}
	if (urlDelivery === 'upload') {
		throw invalidField(
			context,
			'URL Delivery',
			'"Download and Upload" sends the video by media ID, and Message Type "Video with a Link Button" takes its video by link only',
			`${why} Set Options → URL Delivery to "Send Link", ${alternative}`,
		);
	}
}
