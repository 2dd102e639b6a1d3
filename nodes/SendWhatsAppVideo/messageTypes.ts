/**
 * The kinds of message the node sends, as the Message Type picker names them, and reading that
 * parameter for an item. Which kinds a provider offers is its capability (`can.messageTypes`).
 */
import type { INodePropertyOptions } from 'n8n-workflow';

import type { MessageKind, VideoProvider } from './providers/types';
import type { FieldContext } from './validation';
import { invalidField, quote } from './validation';

export const MESSAGE_TYPE_FIELD = 'Message Type';

export const MESSAGE_TYPE_OPTIONS: Record<MessageKind, INodePropertyOptions> = {
	video: {
		name: 'Video',
		value: 'video',
		description: "A video with an optional caption. WhatsApp delivers it only within 24 hours of the recipient's last message to you.",
	},
	template: {
		name: 'Template',
		value: 'template',
		description: 'An approved template with the video as its header. Reaches anyone who opted in, at any time.',
	},
	buttons: {
		name: 'Video with Reply Buttons',
		value: 'buttons',
		description:
			"The video above a text and up to three buttons to answer with, e.g. Yes / No. Within 24 hours of the recipient's last message, as a video.",
	},
	ctaUrl: {
		name: 'Video with a Link Button',
		value: 'ctaUrl',
		description:
			"The video (by link) above a text and one button that opens a web page, e.g. Book now. Within 24 hours of the recipient's last message, as a video.",
	},
};

const MESSAGE_KINDS = Object.keys(MESSAGE_TYPE_OPTIONS) as MessageKind[];

function listed(kinds: readonly MessageKind[]): string {
	return kinds.map((kind) => MESSAGE_TYPE_OPTIONS[kind].name).join(', ');
}

/**
 * An item's Message Type, refused when the provider's API documents no such message (rather than
 * sending something else). Workflows saved before the parameter existed hold none: a video.
 */
export function readMessageType(
	context: FieldContext,
	value: unknown,
	provider: VideoProvider,
	providers: readonly VideoProvider[],
): MessageKind {
	const kind = MESSAGE_KINDS.find((candidate) => candidate === value) ?? 'video';
	if (provider.can.messageTypes.includes(kind)) return kind;
	const able = providers.filter((candidate) => candidate.can.messageTypes.includes(kind)).map((candidate) => candidate.displayName);
	throw invalidField(
		context,
		MESSAGE_TYPE_FIELD,
		`${provider.displayName} cannot send ${quote(MESSAGE_TYPE_OPTIONS[kind].name)}: its API documents no such message`,
		`Choose one of: ${listed(provider.can.messageTypes)}${able.length ? `; or send it through ${able.join(' or ')}` : ''}.`,
	);
}
