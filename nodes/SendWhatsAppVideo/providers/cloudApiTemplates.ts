/**
 * Templates in the WhatsApp Cloud API, as every provider of that family speaks it: the template
 * objects their listings return, the Template parameter's `name|language` value (as n8n's own
 * WhatsApp node encodes it), and the body of a template message with a video header.
 */
import type { IDataObject } from 'n8n-workflow';

import type { TemplateDefinition, TemplateLookup, TemplateMessage } from '../templates';
import { TEMPLATE_FIELD, headerFormatOf } from '../templates';
import type { FieldContext } from '../validation';
import { invalidField, quote } from '../validation';

/** A template object as the Cloud API lists it. */
export interface CloudApiTemplate {
	id?: string;
	name: string;
	language: string;
	status: string;
	category?: string;
	components?: CloudApiTemplateComponent[];
}

interface CloudApiTemplateComponent {
	type: string;
	format?: string;
	text?: string;
	buttons?: Array<{ type: string; text?: string; url?: string }>;
}

/** The video of a template's header: an uploaded media id or a public link. */
export type CloudApiHeaderVideo = { id: string } | { link: string };

/** `POST …/messages` for a template. */
export interface CloudApiTemplateMessage extends IDataObject {
	messaging_product: 'whatsapp';
	recipient_type: 'individual';
	to?: string;
	recipient?: string;
	type: 'template';
	template: {
		name: string;
		language: { code: string };
		components: CloudApiMessageComponent[];
	};
	context?: { message_id: string };
	biz_opaque_callback_data?: string;
}

type CloudApiMessageComponent =
	| { type: 'header'; parameters: [{ type: 'video'; video: CloudApiHeaderVideo }] }
	| { type: 'body'; parameters: Array<{ type: 'text'; text: string }> }
	| { type: 'button'; sub_type: 'url'; index: '0'; parameters: [{ type: 'text'; text: string }] };

export function cloudApiTemplateDefinition(template: CloudApiTemplate): TemplateDefinition {
	const components = Array.isArray(template.components) ? template.components : [];
	const byType = (type: string) => components.find((component) => component.type?.toUpperCase() === type);
	const urlButton = byType('BUTTONS')?.buttons?.find((button) => button.type?.toUpperCase() === 'URL')?.url;
	const header = byType('HEADER');
	return {
		value: `${template.name}|${template.language}`,
		name: template.name,
		language: template.language,
		status: String(template.status ?? '').toUpperCase(),
		headerFormat: header ? headerFormatOf(header.format) : 'NONE',
		bodyText: byType('BODY')?.text ?? '',
		...(urlButton !== undefined ? { urlButton } : {}),
	};
}

/** Reads `name|language`, the Template parameter's value for the Cloud API. */
export function parseTemplateValue(context: FieldContext, value: string): { name: string; language: string } {
	const [name, language, ...rest] = value.split('|').map((part) => part.trim());
	if (!name || !language || rest.length > 0) {
		throw invalidField(
			context,
			TEMPLATE_FIELD,
			`${quote(value)} is not a template name and language`,
			'Pick the template from the list, or enter its name and language code separated by "|", e.g. spring_promo|en_US.',
		);
	}
	return { name, language };
}

export function findCloudApiTemplate(definitions: TemplateDefinition[], name: string, language: string): TemplateLookup {
	return {
		asked: `${quote(name)} in ${language}`,
		definition: definitions.find((definition) => definition.name === name && definition.language === language),
		otherLanguages: definitions.filter((definition) => definition.name === name).map((definition) => definition.language),
	};
}

export function buildTemplateMessage(
	addressee: { to: string } | { recipient: string },
	video: CloudApiHeaderVideo,
	template: TemplateMessage,
	options: { replyToMessageId: string; callbackData: string },
): CloudApiTemplateMessage {
	const components: CloudApiMessageComponent[] = [{ type: 'header', parameters: [{ type: 'video', video }] }];
	if (template.bodyParameters.length) {
		components.push({ type: 'body', parameters: template.bodyParameters.map((text) => ({ type: 'text', text })) });
	}
	if (template.buttonParameter !== undefined) {
		components.push({ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: template.buttonParameter }] });
	}
	const payload: CloudApiTemplateMessage = {
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		...addressee,
		type: 'template',
		template: { name: template.name, language: { code: template.language }, components },
	};
	if (options.replyToMessageId) payload.context = { message_id: options.replyToMessageId };
	if (options.callbackData) payload.biz_opaque_callback_data = options.callbackData;
	return payload;
}
