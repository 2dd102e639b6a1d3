import type { IDataObject, IExecuteFunctions, ILoadOptionsFunctions, INodeListSearchResult, INodeProperties } from 'n8n-workflow';

import { appendVideoPart } from '../media';
import type { TemplateDefinition, TemplateLookup, TemplateMessage } from '../templates';
import { sharedOnce } from '../sharedOnce';
import { TEMPLATE_FIELD, headerFormatOf, readAllPages } from '../templates';
import type { ProviderCaller, ProviderErrorText, ProviderWire, RequestContext } from '../transport';
import { callProvider, credentialBaseUrl, singleRequestContext } from '../transport';
import type { FieldContext } from '../validation';
import { invalidField, locatorValue, looksLikeBsuid, normalisePhoneNumber, quote, requireText, requireUuid } from '../validation';
import { phoneNumberField } from './phoneNumberField';
import type { MessageOptions, ProviderTarget, SendOutcome, VideoProvider, VideoSource } from './types';

/** `POST .../messages/video` with a JSON body (video by URL). */
interface LancepilotVideoJsonBody extends IDataObject {
	file: string;
	caption?: string;
}

/** 201 answer of a message send. `data` is "the created resource", undocumented beyond that. */
interface LancepilotCreatedResponse extends IDataObject {
	status: number;
	message: string;
	data: IDataObject;
}

/** A template as `GET /workspaces/{ws}/templates` lists it. */
interface LancepilotTemplate {
	id: number;
	name: string;
	language: string;
	category?: string;
	status: string;
	components?: {
		header?: { type?: string; text?: string; media?: { type?: string; handle?: string } } | null;
		body?: { text?: string; variables?: string[] } | null;
		footer?: unknown;
		buttons?: Array<{ type?: string; text?: string; url?: string; variables?: string[] }> | null;
	};
}

/** `POST …/template-messages` with a JSON body (header video by URL). */
interface LancepilotTemplateJsonBody extends IDataObject {
	template_id: number;
	template_data: {
		header: IDataObject;
		body?: { variables: string[] };
		buttons?: Array<{ type: 'URL'; variables: string[] }>;
	};
}

/** 401 / 404 / 422 answers (Laravel). */
interface LancepilotErrorResponse {
	message?: string;
	status?: number;
	errors?: Record<string, string[]>;
}

/**
 * Whether the number in the path wants a `+` is not documented; contacts are stored in E.164,
 * so send that. Kept in one place in case Lancepilot turns out to want bare digits.
 */
function lancepilotNumberPathSegment(digits: string): string {
	return encodeURIComponent(`+${digits}`);
}

function isErrorBody(body: unknown): body is LancepilotErrorResponse {
	return typeof body === 'object' && body !== null && !Array.isArray(body);
}

function describeLancepilotError(statusCode: number, body: unknown): ProviderErrorText {
	const parsed: LancepilotErrorResponse = isErrorBody(body) ? body : {};
	const providerMessage = parsed.message ?? (typeof body === 'string' && body ? body : `HTTP ${statusCode}`);
	const fieldErrors = Object.entries(parsed.errors ?? {})
		.map(([field, problems]) => `${field}: ${Array.isArray(problems) ? problems.join(' ') : String(problems)}`)
		.join('; ');
	switch (statusCode) {
		case 401:
			return {
				message: `Lancepilot rejected the API token (401 ${providerMessage})`,
				description:
					'Check the API Token in the Lancepilot credential; create a new token in Lancepilot if this one was revoked.',
			};
		case 404:
			return {
				message: `Lancepilot: ${providerMessage} (404)`,
				description:
					'Check the Workspace ID and, when sending by contact ID, the Contact ID: both are UUIDs from your Lancepilot workspace, and the token must belong to that workspace.',
			};
		case 422:
			return {
				message: `Lancepilot rejected the request: ${providerMessage}${fieldErrors ? ` (${fieldErrors})` : ''}`,
				description: fieldErrors
					? `Lancepilot's field errors: ${fieldErrors}. Videos must be MP4 or 3GP and at most 16384 KB; captions at most 1024 characters.`
					: 'Lancepilot did not accept the request body.',
			};
		case 429:
			return {
				message: `Lancepilot is rate limiting this token (429 ${providerMessage})`,
				description: 'Send fewer videos per minute, or try again later.',
			};
		default:
			return {
				message: `Lancepilot answered HTTP ${statusCode}: ${providerMessage}`,
				description:
					statusCode >= 500
						? 'Lancepilot had a server error.'
						: fieldErrors || 'See the response body in the error details.',
			};
	}
}

const wire: ProviderWire = {
	displayName: 'Lancepilot',
	credentialType: 'lancepilotApi',
	secretField: 'apiToken',
	apiRoot: credentialBaseUrl,
	describeError: describeLancepilotError,
	// Lancepilot documents no throttling answer besides a plain 429.
	isThrottled: () => false,
};

function messageIdFrom(data: IDataObject): string | null {
	for (const key of ['id', 'message_id', 'messageId', 'wamid']) {
		const value = data[key];
		if (typeof value === 'string' && value) return value;
		if (typeof value === 'number') return String(value);
	}
	return null;
}

function asCreatedResponse(body: unknown): LancepilotCreatedResponse {
	const response = body as Partial<LancepilotCreatedResponse>;
	const data = response.data && typeof response.data === 'object' && !Array.isArray(response.data) ? response.data : {};
	return { ...response, status: Number(response.status ?? 201), message: String(response.message ?? ''), data };
}

async function videoBody(source: VideoSource, caption: string): Promise<{ json?: LancepilotVideoJsonBody; form?: FormData }> {
	if (source.kind === 'binary') {
		const form = new FormData();
		appendVideoPart(form, 'file', await source.load());
		if (caption) form.append('caption', caption);
		return { form };
	}
	if (source.kind === 'url') return { json: caption ? { file: source.url, caption } : { file: source.url } };
	throw new Error('Lancepilot cannot send by media ID');
}

/**
 * Where the header's video goes in `template_data`. The detailed API pages say `header.file`; one
 * older page shows `header.media.file`. Both the JSON body and the multipart names come from here.
 */
const HEADER_FILE_PATH = ['header', 'file'];

function multipartName(path: Array<string | number>): string {
	return `template_data${path.map((segment) => `[${segment}]`).join('')}`;
}

function headerWithFile(url: string): IDataObject {
	return HEADER_FILE_PATH.slice(1).reduceRight<IDataObject | string>((inner, key) => ({ [key]: inner }), url) as IDataObject;
}

async function templateBody(
	source: VideoSource,
	template: TemplateMessage,
): Promise<{ json?: LancepilotTemplateJsonBody; form?: FormData }> {
	const templateId = template.id as number;
	const buttons = template.buttonParameter !== undefined ? [{ type: 'URL' as const, variables: [template.buttonParameter] }] : undefined;
	if (source.kind === 'url') {
		const json: LancepilotTemplateJsonBody = { template_id: templateId, template_data: { header: headerWithFile(source.url) } };
		if (template.bodyParameters.length) json.template_data.body = { variables: template.bodyParameters };
		if (buttons) json.template_data.buttons = buttons;
		return { json };
	}
	if (source.kind !== 'binary') throw new Error('Lancepilot cannot send by media ID');
	const form = new FormData();
	form.append('template_id', String(templateId));
	appendVideoPart(form, multipartName(HEADER_FILE_PATH), await source.load());
	template.bodyParameters.forEach((text, index) => form.append(multipartName(['body', 'variables', index]), text));
	if (buttons) {
		form.append(multipartName(['buttons', 0, 'type']), 'URL');
		form.append(multipartName(['buttons', 0, 'variables', 0]), buttons[0].variables[0]);
	}
	return { form };
}

function lancepilotTemplateDefinition(template: LancepilotTemplate): TemplateDefinition {
	const header = template.components?.header;
	const urlButton = template.components?.buttons?.find((button) => button.type?.toUpperCase() === 'URL')?.url;
	return {
		value: String(template.id),
		id: template.id,
		name: template.name,
		language: template.language,
		status: String(template.status ?? '').toUpperCase(),
		headerFormat: !header ? 'NONE' : header.type === 'media' ? headerFormatOf(header.media?.type) : headerFormatOf(header.type),
		bodyText: template.components?.body?.text ?? '',
		...(urlButton !== undefined ? { urlButton } : {}),
	};
}

const TEMPLATE_PAGE_SIZE = 50;

/** One page of a Lancepilot listing (Laravel pagination). */
interface LancepilotPage<Item> {
	data?: Item[];
	meta?: { current_page?: number; last_page?: number; per_page?: number; total?: number };
}

/** Every item of a Lancepilot listing, page by page until `meta.last_page`. */
async function readLancepilotList<Item>(
	ctx: ProviderCaller,
	context: RequestContext,
	path: string,
	qs: IDataObject = {},
): Promise<Item[]> {
	let page = 0;
	const pages = await readAllPages<LancepilotPage<Item>>(
		async () =>
			(await callProvider(ctx, wire, context, { method: 'GET', path, qs: { ...qs, page: ++page }, createsMessage: false })) as LancepilotPage<Item>,
		(answer) => Array.isArray(answer.data) && answer.data.length > 0 && page < Number(answer.meta?.last_page ?? 0),
	);
	return pages.flatMap((answer) => (Array.isArray(answer.data) ? answer.data : []));
}

async function listWorkspaceTemplates(ctx: ProviderCaller, context: RequestContext, workspaceId: string): Promise<TemplateDefinition[]> {
	const templates = await readLancepilotList<LancepilotTemplate>(ctx, context, `/workspaces/${workspaceId}/templates`, {
		per_page: TEMPLATE_PAGE_SIZE,
	});
	return templates.map(lancepilotTemplateDefinition);
}

/** The Template parameter holds Lancepilot's numeric template id. */
function parseTemplateId(context: FieldContext, value: string): number {
	if (!/^\d+$/.test(value) || Number(value) < 1) {
		throw invalidField(
			context,
			TEMPLATE_FIELD,
			`${quote(value)} is not a Lancepilot template ID`,
			'Pick the template from the list, or enter its numeric ID from Lancepilot, e.g. 41.',
		);
	}
	return Number(value);
}

/** Version 1 holds the UUID as text; version 2 a resource locator (picked from the list or typed). */
function readWorkspaceId(context: FieldContext, value: unknown): string {
	return requireUuid(context, 'Workspace ID', requireText(context, 'Workspace ID', locatorValue(value), { required: true }));
}

const UUID_REGEX_SOURCE = '^\\s*[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\\s*$';

/** A workspace as `GET /workspaces` lists it. */
interface LancepilotWorkspace {
	id: string;
	attributes?: { name?: string };
}

/** The Workspace picker: the workspaces the credential's token can use. */
async function searchLancepilotWorkspaces(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	const workspaces = await readLancepilotList<LancepilotWorkspace>(this, singleRequestContext(this.getNode()), '/workspaces');
	const wanted = (filter ?? '').trim().toLowerCase();
	const results = workspaces
		.map((workspace) => ({ name: workspace.attributes?.name || workspace.id, value: workspace.id }))
		.filter((workspace) => !wanted || `${workspace.name} ${workspace.value}`.toLowerCase().includes(wanted));
	return { results: results.sort((a, b) => a.name.localeCompare(b.name)) };
}

const fields: INodeProperties[] = [
	{
		displayName: 'Workspace ID',
		name: 'workspaceId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 3f1c2a9e-7b4d-4e8a-9c6f-1a2b3c4d5e6f',
		description:
			"UUID of the Lancepilot workspace that owns the WhatsApp number. Lancepilot's GET /workspaces lists the token's workspaces with their IDs.",
		displayOptions: { show: { '@version': [1] } },
	},
	{
		displayName: 'Workspace ID',
		name: 'workspaceId',
		type: 'resourceLocator',
		required: true,
		default: { mode: 'list', value: '' },
		description: 'The Lancepilot workspace that owns the WhatsApp number',
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a workspace...',
				typeOptions: { searchListMethod: 'searchLancepilotWorkspaces', searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. 3f1c2a9e-7b4d-4e8a-9c6f-1a2b3c4d5e6f',
				validation: [
					{
						type: 'regex',
						properties: { regex: UUID_REGEX_SOURCE, errorMessage: 'A workspace ID is a UUID, e.g. 3f1c2a9e-7b4d-4e8a-9c6f-1a2b3c4d5e6f' },
					},
				],
			},
		],
		displayOptions: { show: { '@version': [{ _cnd: { gte: 2 } }] } },
	},
	{
		displayName: 'Find Contact By',
		name: 'contactBy',
		type: 'options',
		options: [
			{ name: 'Phone Number', value: 'number', description: 'Send to a phone number; Lancepilot finds or creates the contact' },
			{ name: 'Contact ID', value: 'id', description: 'Send to an existing contact by its UUID' },
		],
		default: 'number',
		description: 'How to identify the Lancepilot contact that receives the video',
	},
	{ ...phoneNumberField, displayOptions: { show: { contactBy: ['number'] } } },
	{
		displayName: 'Contact ID',
		name: 'contactId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 8d7e6f5a-4b3c-4d2e-8f1a-0b9c8d7e6f5a',
		description: 'UUID of the Lancepilot contact',
		displayOptions: { show: { contactBy: ['id'] } },
	},
];

export const lancepilot: VideoProvider = {
	name: 'lancepilot',
	displayName: 'Lancepilot',
	description: 'Send through Lancepilot (API v3) to a workspace contact',
	credentialType: wire.credentialType,
	fields,
	// Its API documents text, image, video and template messages, no interactive ones.
	can: {
		sources: ['binary', 'url'],
		messageTypes: ['video', 'template'],
		replyContext: false,
		callbackData: false,
		urlUpload: false,
		uploadPacing: false,
	},
	templateValueExample: 'e.g. 41',
	listSearch: { searchLancepilotWorkspaces },

	async listTemplates(ctx: ILoadOptionsFunctions) {
		const context = singleRequestContext(ctx.getNode());
		return await listWorkspaceTemplates(ctx, context, readWorkspaceId(context, ctx.getCurrentNodeParameter('workspaceId')));
	},

	target(ctx: IExecuteFunctions, context: RequestContext): ProviderTarget {
		const { itemIndex } = context;
		const workspaceId = readWorkspaceId(context, ctx.getNodeParameter('workspaceId', itemIndex, ''));
		const contactBy = ctx.getNodeParameter('contactBy', itemIndex, 'number') as 'number' | 'id';
		let recipient: string;
		let contactPath: string;
		if (contactBy === 'id') {
			recipient = requireUuid(
				context,
				'Contact ID',
				requireText(context, 'Contact ID', ctx.getNodeParameter('contactId', itemIndex, ''), { required: true }),
			);
			contactPath = `contacts/${recipient}`;
		} else {
			const typed = requireText(context, phoneNumberField.displayName, ctx.getNodeParameter('recipient', itemIndex, ''), {
				required: true,
			});
			if (looksLikeBsuid(typed)) {
				throw invalidField(
					context,
					phoneNumberField.displayName,
					`${quote(typed)} is a business-scoped user ID (BSUID), which Lancepilot cannot send to`,
					'Lancepilot sends to phone numbers or contact IDs: enter the phone number, or set Find Contact By to Contact ID.',
				);
			}
			recipient = normalisePhoneNumber(context, phoneNumberField.displayName, typed);
			contactPath = `contacts/number/${lancepilotNumberPathSegment(recipient)}`;
		}

		return {
			recipient,
			account: workspaceId,
			async findTemplate(value: string): Promise<TemplateLookup> {
				const id = parseTemplateId(context, value);
				const definitions = await sharedOnce(
					context.templateLists,
					workspaceId,
					async () => await listWorkspaceTemplates(ctx, context, workspaceId),
				);
				return { asked: `ID ${id}`, definition: definitions.find((definition) => definition.id === id), otherLanguages: [] };
			},
			async send(source: VideoSource, message: MessageOptions): Promise<SendOutcome> {
				const { template } = message;
				const body = asCreatedResponse(
					await callProvider(ctx, wire, context, {
						method: 'POST',
						path: `/workspaces/${workspaceId}/${contactPath}/${template ? 'template-messages' : 'messages/video'}`,
						...(template ? await templateBody(source, template) : await videoBody(source, message.caption)),
						createsMessage: true,
					}),
				);
				const outcome: SendOutcome = {
					provider: 'lancepilot',
					recipient,
					status: 'created',
					messageId: messageIdFrom(body.data),
					mediaId: null,
					response: body,
				};
				if (template) outcome.template = { id: template.id ?? null, name: template.name, language: template.language };
				return outcome;
			},
		};
	},
};
