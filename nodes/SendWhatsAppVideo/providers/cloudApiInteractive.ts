/**
 * Interactive messages in the WhatsApp Cloud API, as every provider of that family speaks it: the
 * body of a reply-buttons or link-button message with the video as its header.
 */
import type { IDataObject } from 'n8n-workflow';

import type { InteractiveMessage } from '../interactive';
import type { CloudApiHeaderVideo } from './cloudApiTemplates';

interface CloudApiText {
	text: string;
}

interface ReplyButtonsInteractive {
	type: 'button';
	header: { type: 'video'; video: CloudApiHeaderVideo };
	body: CloudApiText;
	footer?: CloudApiText;
	action: { buttons: Array<{ type: 'reply'; reply: { id: string; title: string } }> };
}

interface LinkButtonInteractive {
	type: 'cta_url';
	/** Meta documents only a link here. */
	header: { type: 'video'; video: { link: string } };
	body: CloudApiText;
	footer?: CloudApiText;
	action: { name: 'cta_url'; parameters: { display_text: string; url: string } };
}

/** `POST …/messages` for an interactive message. */
export interface CloudApiInteractiveMessage extends IDataObject {
	messaging_product: 'whatsapp';
	recipient_type: 'individual';
	to?: string;
	recipient?: string;
	type: 'interactive';
	interactive: ReplyButtonsInteractive | LinkButtonInteractive;
	context?: { message_id: string };
	biz_opaque_callback_data?: string;
}

function interactiveOf(video: CloudApiHeaderVideo, message: InteractiveMessage): ReplyButtonsInteractive | LinkButtonInteractive {
	const text = { body: { text: message.body }, ...(message.footer ? { footer: { text: message.footer } } : {}) };
	if (message.kind === 'buttons') {
		return {
			type: 'button',
			header: { type: 'video', video },
			...text,
			action: { buttons: message.buttons.map(({ id, title }) => ({ type: 'reply' as const, reply: { id, title } })) },
		};
	}
	// Planning refuses every other source for a link button (requireLinkHeader).
	if (!('link' in video)) throw new Error('A link button message takes its video by link only');
	return {
		type: 'cta_url',
		header: { type: 'video', video: { link: video.link } },
		...text,
		action: { name: 'cta_url', parameters: { display_text: message.displayText, url: message.url } },
	};
}

export function buildInteractiveMessage(
	addressee: { to: string } | { recipient: string },
	video: CloudApiHeaderVideo,
	message: InteractiveMessage,
	options: { replyToMessageId: string; callbackData: string },
): CloudApiInteractiveMessage {
	const payload: CloudApiInteractiveMessage = {
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		...addressee,
		type: 'interactive',
		interactive: interactiveOf(video, message),
	};
	if (options.replyToMessageId) payload.context = { message_id: options.replyToMessageId };
	if (options.callbackData) payload.biz_opaque_callback_data = options.callbackData;
	return payload;
}
