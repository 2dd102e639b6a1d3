/**
 * WhatsApp templates as every provider describes them, and the checks the node makes before a
 * template goes out: the template exists in that language, is approved, has a video header, and
 * gets exactly the parameters its text and URL button need. WhatsApp would refuse each of these
 * (132000, 132001, 132012, 132015), but only after the video had been uploaded.
 */
import type { IDataObject } from 'n8n-workflow';

import type { FieldContext } from './validation';
import { invalidField, quote } from './validation';

export const TEMPLATE_FIELD = 'Template';
export const BODY_PARAMETERS_FIELD = 'Body Parameters';
export const BUTTON_PARAMETER_FIELD = 'Button Parameter';

/** WhatsApp's limit on a template body after its parameters are filled in (132005). */
const BODY_MAX_CHARACTERS = 1024;

export type TemplateHeaderFormat = 'VIDEO' | 'IMAGE' | 'DOCUMENT' | 'TEXT' | 'LOCATION' | 'NONE';

/** One template of the account, read from the provider's listing. */
export interface TemplateDefinition {
	/** What the node's Template parameter holds for it: the provider decides (an id, or name|language). */
	value: string;
	name: string;
	language: string;
	/** Upper case: APPROVED, PENDING, REJECTED, PAUSED, DISABLED. */
	status: string;
	headerFormat: TemplateHeaderFormat;
	bodyText: string;
	/** The first URL button's address, with `{{1}}` where a parameter goes. */
	urlButton?: string;
	/** Lancepilot's numeric template id. */
	id?: number;
}

/** A template as it is sent: plain data, so it is part of what makes two sends the same. */
export interface TemplateMessage extends IDataObject {
	name: string;
	language: string;
	id?: number;
	bodyParameters: string[];
	/** Only when the template's URL button has a variable. */
	buttonParameter?: string;
}

/** What a provider found for the value of the Template parameter. */
export interface TemplateLookup {
	/** How to name what was asked for in an error, e.g. `"spring_promo" in en_US`. */
	asked: string;
	definition?: TemplateDefinition;
	/** Languages the same template name exists in, for the error when the language is wrong. */
	otherLanguages: string[];
}

/** WhatsApp numbers a body's variables {{1}}, {{2}}, …; each distinct one takes a parameter. */
function placeholdersIn(text: string): number {
	return new Set(Array.from(text.matchAll(/\{\{\s*(\d+)\s*\}\}/g), (match) => match[1])).size;
}

function fillIn(text: string, parameters: string[]): string {
	return text.replace(/\{\{\s*(\d+)\s*\}\}/g, (placeholder, index: string) => parameters[Number(index) - 1] ?? placeholder);
}

function described(definition: TemplateDefinition): string {
	return `${quote(definition.name)} (${definition.language})`;
}

/** The user's value of the Template parameter checked against what the account holds. */
export function checkTemplate(
	context: FieldContext,
	lookup: TemplateLookup,
	bodyParameters: string[],
	buttonParameter: string,
): TemplateMessage {
	const { definition } = lookup;
	if (!definition) {
		throw invalidField(
			context,
			TEMPLATE_FIELD,
			`template ${lookup.asked} does not exist in this account`,
			lookup.otherLanguages.length
				? `It exists in: ${lookup.otherLanguages.join(', ')}. Choose one of those languages, or pick the template from the list.`
				: 'Pick the template from the list, or check its name and language (they are case-sensitive).',
		);
	}
	if (definition.status !== 'APPROVED') {
		throw invalidField(
			context,
			TEMPLATE_FIELD,
			`template ${described(definition)} is ${definition.status}, not approved`,
			definition.status === 'PENDING'
				? 'WhatsApp sends a template only once Meta has approved it: wait for the review, or choose an approved template.'
				: 'WhatsApp sends only approved templates that are active: choose another template, or fix this one in WhatsApp Manager.',
		);
	}
	if (definition.headerFormat !== 'VIDEO') {
		const format = definition.headerFormat.toLowerCase();
		const header = definition.headerFormat === 'NONE' ? 'no header' : `${/^[aeiou]/.test(format) ? 'an' : 'a'} ${format} header`;
		throw invalidField(
			context,
			TEMPLATE_FIELD,
			`template ${described(definition)} has ${header}, not a video header`,
			'Choose a template whose header is a video (the list shows only those), or create one in WhatsApp Manager.',
		);
	}
	const expected = placeholdersIn(definition.bodyText);
	if (bodyParameters.length !== expected) {
		throw invalidField(
			context,
			BODY_PARAMETERS_FIELD,
			`${definition.name} expects ${expected} body parameter${expected === 1 ? '' : 's'}, got ${bodyParameters.length}`,
			expected
				? `Add one parameter per variable of the template's text, in order: ${quote(definition.bodyText)}.`
				: 'Remove the body parameters: the template text has no variables.',
		);
	}
	const empty = bodyParameters.findIndex((text) => text.trim() === '');
	if (empty >= 0) {
		throw invalidField(
			context,
			BODY_PARAMETERS_FIELD,
			`parameter ${empty + 1} ({{${empty + 1}}}) is empty`,
			'WhatsApp refuses empty template parameters: fill it in, or check that its expression resolves for this item.',
		);
	}
	const filled = Array.from(fillIn(definition.bodyText, bodyParameters)).length;
	if (filled > BODY_MAX_CHARACTERS) {
		throw invalidField(
			context,
			BODY_PARAMETERS_FIELD,
			`the template text with these parameters has ${filled} characters; WhatsApp allows ${BODY_MAX_CHARACTERS}`,
			`Shorten the parameters by ${filled - BODY_MAX_CHARACTERS} characters.`,
		);
	}
	const buttonTakesParameter = definition.urlButton !== undefined && placeholdersIn(definition.urlButton) > 0;
	if (buttonTakesParameter && !buttonParameter) {
		throw invalidField(
			context,
			BUTTON_PARAMETER_FIELD,
			`${definition.name}'s URL button needs a value for its variable (${definition.urlButton})`,
			'Fill in Button Parameter with the part of the link that changes per message, e.g. a coupon code.',
		);
	}
	if (!buttonTakesParameter && buttonParameter) {
		throw invalidField(
			context,
			BUTTON_PARAMETER_FIELD,
			`${definition.name} has no URL button with a variable, so it takes no button parameter`,
			'Leave Button Parameter empty for this template.',
		);
	}
	const message: TemplateMessage = { name: definition.name, language: definition.language, bodyParameters };
	if (definition.id !== undefined) message.id = definition.id;
	if (buttonTakesParameter) message.buttonParameter = buttonParameter;
	return message;
}

/** A template as the Template picker offers it: only approved ones with a video header. */
export function isSendableVideoTemplate(definition: TemplateDefinition): boolean {
	return definition.status === 'APPROVED' && definition.headerFormat === 'VIDEO';
}

/** Header formats as providers spell them, to the upper-case names WhatsApp uses. */
export function headerFormatOf(format: unknown): TemplateHeaderFormat {
	const upper = typeof format === 'string' ? format.toUpperCase() : '';
	const known: TemplateHeaderFormat[] = ['VIDEO', 'IMAGE', 'DOCUMENT', 'TEXT', 'LOCATION'];
	return known.find((candidate) => candidate === upper) ?? 'NONE';
}

/** Pages a listing until the provider says there is no more, within a bound no real account reaches. */
export async function readAllPages<Page>(
	readPage: (previous: Page | undefined) => Promise<Page>,
	hasMore: (page: Page) => boolean,
): Promise<Page[]> {
	const pages: Page[] = [];
	let page: Page | undefined;
	for (let count = 0; count < 200; count++) {
		page = await readPage(page);
		pages.push(page);
		if (!hasMore(page)) break;
	}
	return pages;
}
