/**
 * The `template` object of a Cloud API message (`"type": "template"`, 360dialog and Meta alike),
 * checked against the emulator's template registry the way Graph API checks it synchronously:
 * 132001 for a template that does not exist (or is not approved) in that language, 132015 / 132016
 * for a paused / disabled one, 132012 when the header's parameter does not match the template's
 * header format, 132000 when the number of body or button parameters is wrong, 100 for malformed
 * shapes. Only the first problem is reported. The caller turns the outcome into Meta's error shape.
 */
import type { SentTemplate, StoredMedia } from './types';
import {
	EMULATOR_TEMPLATES,
	bodyParameterCount,
	findTemplate,
	firstUrlButton,
	renderBody,
	urlButtonHasVariable,
	type EmulatorTemplate,
} from './templates';
import { codePointLength, isHttpUrl, isPlainObject } from './values';

export type TemplateCheck =
	| { ok: true; template: SentTemplate; source?: 'link' | 'media-id' }
	| { ok: false; code: number; details: string };

/** Which stored media a header of each format may refer to by id. */
const HEADER_MEDIA_TYPES: Readonly<Record<'VIDEO' | 'IMAGE', ReadonlySet<string>>> = {
	VIDEO: new Set(['video/mp4', 'video/3gpp']),
	IMAGE: new Set(['image/jpeg', 'image/png']),
};

const TEMPLATE_KEYS = new Set(['name', 'language', 'components']);
const LANGUAGE_KEYS = new Set(['code', 'policy']);
const COMPONENT_KEYS: Readonly<Record<string, ReadonlySet<string>>> = {
	header: new Set(['type', 'parameters']),
	body: new Set(['type', 'parameters']),
	button: new Set(['type', 'sub_type', 'index', 'parameters']),
};
/** Parameter types Graph API knows; the emulator's templates only use some of them. */
const PARAMETER_TYPES = new Set(['text', 'currency', 'date_time', 'image', 'video', 'document', 'location', 'payload']);
const MEDIA_KEYS = new Set(['id', 'link']);
const TEXT_PARAMETER_KEYS = new Set(['type', 'text']);

/** WhatsApp's limit for a template body once the parameters are filled in. */
export const CLOUD_API_TEMPLATE_MAX_BODY = 1024;

type Fail = { ok: false; code: number; details: string };
const fail = (code: number, details: string): Fail => ({ ok: false, code, details });
const invalid = (details: string): Fail => fail(100, details);
const countMismatch = (where: string, given: number, expected: number): Fail =>
	fail(132000, `${where}: number of localizable_params (${given}) does not match the expected number of params (${expected})`);

function unexpectedKey(value: Record<string, unknown>, allowed: ReadonlySet<string>, param: string): Fail | undefined {
	for (const key of Object.keys(value)) {
		if (!allowed.has(key)) return invalid(`Unexpected key "${key}" on param "${param}".`);
	}
	return undefined;
}

interface Component {
	value: Record<string, unknown>;
	path: string;
	parameters: unknown[];
}

/**
 * Checks `message.template`. `lookupMedia` finds a media id among what THIS provider stores: an id
 * uploaded elsewhere is unknown here, as it is to the real APIs. `registry` is the emulator's seed
 * unless a unit test passes its own.
 */
export function checkTemplateMessage(
	value: unknown,
	lookupMedia: (id: string) => StoredMedia | undefined,
	registry: readonly EmulatorTemplate[] = EMULATOR_TEMPLATES,
): TemplateCheck {
	if (value === undefined) return invalid('The parameter template is required.');
	if (!isPlainObject(value)) return invalid('Param template must be an object');
	const unexpected = unexpectedKey(value, TEMPLATE_KEYS, 'template');
	if (unexpected) return unexpected;

	if (value.name === undefined) return invalid("The parameter template['name'] is required.");
	if (typeof value.name !== 'string' || value.name === '') return invalid("Param template['name'] must be a non-empty string");
	const language = value.language;
	if (language === undefined) return invalid("The parameter template['language'] is required.");
	if (!isPlainObject(language)) return invalid("Param template['language'] must be an object with a code");
	const unexpectedLanguage = unexpectedKey(language, LANGUAGE_KEYS, "template['language']");
	if (unexpectedLanguage) return unexpectedLanguage;
	if (typeof language.code !== 'string' || language.code === '') {
		return invalid("Param template['language']['code'] must be a non-empty string");
	}
	if (language.policy !== undefined && language.policy !== 'deterministic') {
		return invalid("Param template['language']['policy'] must be \"deterministic\"");
	}

	const components = value.components ?? [];
	if (!Array.isArray(components)) return invalid("Param template['components'] must be an array");
	const byType = new Map<string, Component[]>();
	for (const [i, component] of components.entries()) {
		const path = `template['components'][${i}]`;
		if (!isPlainObject(component)) return invalid(`Param ${path} must be an object`);
		const type = component.type;
		if (typeof type !== 'string' || COMPONENT_KEYS[type] === undefined) {
			return invalid(`Param ${path}['type'] must be one of header, body, button`);
		}
		const unexpectedComponentKey = unexpectedKey(component, COMPONENT_KEYS[type], path);
		if (unexpectedComponentKey) return unexpectedComponentKey;
		const parameters = component.parameters ?? [];
		if (!Array.isArray(parameters)) return invalid(`Param ${path}['parameters'] must be an array`);
		for (const [j, parameter] of parameters.entries()) {
			const parameterPath = `${path}['parameters'][${j}]`;
			if (!isPlainObject(parameter)) return invalid(`Param ${parameterPath} must be an object`);
			if (typeof parameter.type !== 'string' || !PARAMETER_TYPES.has(parameter.type)) {
				return invalid(`Param ${parameterPath}['type'] must be one of ${[...PARAMETER_TYPES].join(', ')}`);
			}
		}
		const list = byType.get(type) ?? [];
		list.push({ value: component, path, parameters });
		byType.set(type, list);
	}
	for (const type of ['header', 'body']) {
		if ((byType.get(type)?.length ?? 0) > 1) return invalid(`Param template['components'] contains more than one ${type} component`);
	}

	const template = findTemplate(value.name, language.code, registry);
	// A template that is not approved (yet) is as unknown to a send as one that does not exist.
	if (!template || template.status === 'PENDING' || template.status === 'REJECTED') {
		return fail(132001, `template name (${value.name}) does not exist in ${language.code}`);
	}
	if (template.status === 'PAUSED') {
		return fail(132015, `template name (${template.name}) in ${template.language} is paused because of low quality and cannot be sent`);
	}
	if (template.status === 'DISABLED') {
		return fail(132016, `template name (${template.name}) in ${template.language} is disabled and cannot be sent`);
	}

	const header = checkHeader(template, byType.get('header')?.[0], lookupMedia);
	if (!header.ok) return header;
	const body = checkBody(template, byType.get('body')?.[0]);
	if (!body.ok) return body;
	const button = checkButtons(template, byType.get('button') ?? []);
	if (!button.ok) return button;

	return {
		ok: true,
		template: {
			name: template.name,
			language: template.language,
			bodyParameters: body.parameters,
			...(button.parameter !== undefined ? { buttonParameter: button.parameter } : {}),
		},
		...(header.source !== undefined ? { source: header.source } : {}),
	};
}

function checkHeader(
	template: EmulatorTemplate,
	component: Component | undefined,
	lookupMedia: (id: string) => StoredMedia | undefined,
): { ok: true; source?: 'link' | 'media-id' } | Fail {
	const format = template.header.format;
	if (format === 'TEXT') {
		// The registry's text headers have no variables, so a header component may only be empty.
		const given = component?.parameters.length ?? 0;
		return given === 0 ? { ok: true } : countMismatch('header', given, 0);
	}
	const expected = format.toLowerCase();
	const mismatch = (received: string): Fail =>
		fail(132012, `header: Format mismatch, expected ${format}, received ${received}`);
	if (!component || component.parameters.length === 0) return mismatch('UNKNOWN');
	if (component.parameters.length > 1) return countMismatch('header', component.parameters.length, 1);

	const parameter = component.parameters[0] as Record<string, unknown>;
	const parameterPath = `${component.path}['parameters'][0]`;
	if (parameter.type !== expected) return mismatch(String(parameter.type).toUpperCase());
	const unexpected = unexpectedKey(parameter, new Set(['type', expected]), parameterPath);
	if (unexpected) return unexpected;

	const mediaPath = `${parameterPath}['${expected}']`;
	const media = parameter[expected];
	if (media === undefined) return invalid(`The parameter ${mediaPath} is required.`);
	if (!isPlainObject(media)) return invalid(`Param ${mediaPath} must be an object`);
	const unexpectedMedia = unexpectedKey(media, MEDIA_KEYS, mediaPath);
	if (unexpectedMedia) return unexpectedMedia;
	const hasId = media.id !== undefined;
	const hasLink = media.link !== undefined;
	if (hasId === hasLink) {
		return invalid(`Param ${mediaPath} must contain exactly one of id or link (got ${hasId ? 'both' : 'neither'})`);
	}
	if (hasId) {
		const stored = typeof media.id === 'string' ? lookupMedia(media.id) : undefined;
		if (!stored) return invalid(`Param ${mediaPath}['id'] is not a valid whatsapp business account media attachment ID`);
		const accepted = HEADER_MEDIA_TYPES[format];
		if (!accepted.has(stored.mimeType)) {
			return invalid(`Param ${mediaPath}['id'] refers to media of type ${stored.mimeType}, not ${[...accepted].join(' or ')}`);
		}
		return { ok: true, source: 'media-id' };
	}
	if (typeof media.link !== 'string' || !isHttpUrl(media.link)) return invalid(`Param ${mediaPath}['link'] must be an http or https URL`);
	return { ok: true, source: 'link' };
}

/** Text parameters only: `{type: "text", text}` with a non-empty text. */
function textParameters(component: Component): { ok: true; texts: string[] } | Fail {
	const texts: string[] = [];
	for (const [j, raw] of component.parameters.entries()) {
		const parameter = raw as Record<string, unknown>;
		const path = `${component.path}['parameters'][${j}]`;
		if (parameter.type !== 'text') {
			return invalid(`Param ${path}['type'] must be "text" (the emulator's templates take text parameters only)`);
		}
		const unexpected = unexpectedKey(parameter, TEXT_PARAMETER_KEYS, path);
		if (unexpected) return unexpected;
		if (typeof parameter.text !== 'string') return invalid(`Param ${path}['text'] must be a string`);
		if (parameter.text === '') return invalid(`Param ${path}['text'] must not be empty`);
		texts.push(parameter.text);
	}
	return { ok: true, texts };
}

function checkBody(template: EmulatorTemplate, component: Component | undefined): { ok: true; parameters: string[] } | Fail {
	const expected = bodyParameterCount(template);
	if (!component) return expected === 0 ? { ok: true, parameters: [] } : countMismatch('body', 0, expected);
	const texts = textParameters(component);
	if (!texts.ok) return texts;
	if (texts.texts.length !== expected) return countMismatch('body', texts.texts.length, expected);
	const rendered = codePointLength(renderBody(template, texts.texts));
	if (rendered > CLOUD_API_TEMPLATE_MAX_BODY) {
		return fail(132005, `body: the text is ${rendered} characters after substitution; the maximum is ${CLOUD_API_TEMPLATE_MAX_BODY}`);
	}
	return { ok: true, parameters: texts.texts };
}

function checkButtons(template: EmulatorTemplate, components: Component[]): { ok: true; parameter?: string } | Fail {
	const seen = new Set<number>();
	let parameter: string | undefined;
	for (const component of components) {
		const { value, path } = component;
		if (value.sub_type !== 'url') {
			return invalid(`Param ${path}['sub_type'] must be "url" (the emulator implements URL button parameters only)`);
		}
		if (typeof value.index !== 'string' || !/^[0-9]$/.test(value.index)) {
			return invalid(`Param ${path}['index'] must be a string holding the button's position, 0-9`);
		}
		const index = Number(value.index);
		if (seen.has(index)) return invalid(`Param template['components'] contains more than one button component for index ${index}`);
		seen.add(index);
		const button = template.buttons[index];
		if (button?.type !== 'URL') {
			return fail(132000, `button at index ${index}: the template has no URL button there, so it takes no parameters`);
		}
		const expected = index === firstUrlButton(template)?.index && urlButtonHasVariable(template) ? 1 : 0;
		if (expected === 0) {
			// A static URL takes no parameters; a component for it is already one too many.
			return fail(
				132000,
				`button at index ${index} (URL): the template's URL has no variable, so the message must not carry a button component for it`,
			);
		}
		const texts = textParameters(component);
		if (!texts.ok) return texts;
		if (texts.texts.length !== expected) return countMismatch(`button at index ${index} (URL)`, texts.texts.length, expected);
		parameter = texts.texts[0];
	}
	const url = firstUrlButton(template);
	if (url && urlButtonHasVariable(template) && !seen.has(url.index)) {
		return countMismatch(`button at index ${url.index} (URL)`, 0, 1);
	}
	return parameter !== undefined ? { ok: true, parameter } : { ok: true };
}
