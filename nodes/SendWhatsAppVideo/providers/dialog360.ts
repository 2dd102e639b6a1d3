import { createHmac, timingSafeEqual } from 'node:crypto';

import type { IHookFunctions, IWebhookFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { readAllPages } from '../templates';
import type { ProviderCaller, ProviderErrorText, ProviderWire, RequestContext } from '../transport';
import { callProvider, credentialBaseUrl, singleRequestContext } from '../transport';
import { cloudApiProvider } from './cloudApi';
import type { CloudApiTemplate } from './cloudApiTemplates';
import type { StatusWebhookSupport, WebhookVerdict } from './types';

/** 360dialog's own answers, `{"error": "Invalid request"}`, besides the Meta errors it passes through. */
function describeOwnError(statusCode: number, text: string): ProviderErrorText | undefined {
	if (statusCode === 401 || statusCode === 403) {
		return {
			message: `360dialog rejected the API key (${statusCode} ${text})`,
			description:
				'Check the API Key in the 360dialog credential. Each WhatsApp number has its own D360-API-KEY; generate a new one in the 360dialog Client Hub if it was revoked.',
		};
	}
	if (statusCode === 429) {
		return {
			message: `360dialog is rate limiting this number (429 ${text})`,
			description: 'Send fewer messages per second, or try again later.',
		};
	}
	return undefined;
}

/** 200 answer of `GET /v1/configs/templates`. */
interface Dialog360TemplatePage {
	count?: number;
	total?: number;
	offset?: number;
	limit?: number;
	waba_templates?: CloudApiTemplate[];
}

const TEMPLATE_PAGE_SIZE = 50;

async function listTemplates(ctx: ProviderCaller, wire: ProviderWire, context: RequestContext): Promise<CloudApiTemplate[]> {
	let offset = 0;
	const pages = await readAllPages<Dialog360TemplatePage>(
		async () =>
			(await callProvider(ctx, wire, context, {
				method: 'GET',
				path: '/v1/configs/templates',
				qs: { limit: TEMPLATE_PAGE_SIZE, offset },
				createsMessage: false,
			})) as Dialog360TemplatePage,
		(page) => {
			const count = Array.isArray(page.waba_templates) ? page.waba_templates.length : 0;
			offset += count;
			return count > 0 && offset < Number(page.total ?? 0);
		},
	);
	return pages.flatMap((page) => (Array.isArray(page.waba_templates) ? page.waba_templates : []));
}

/** `GET /v1/configs/webhook`, and the body of `POST /v1/configs/webhook`. */
interface Dialog360WebhookConfig {
	url?: string;
	headers?: Record<string, string>;
}

/** 360dialog sends this header with every webhook; only the trigger and 360dialog know its value. */
const SECRET_HEADER = 'X-Video-Status-Secret';

/**
 * The header's value, derived from the API key and the trigger's URL rather than stored: nothing
 * secret lands in the workflow (whose static data anyone who can open it can read), every n8n
 * process computes the same value, and a new API key gives a new secret at the next activation.
 */
async function webhookSecret(ctx: IHookFunctions | IWebhookFunctions, wire: ProviderWire): Promise<string> {
	const credentials = await ctx.getCredentials(wire.credentialType);
	const url = ctx.getNodeWebhookUrl('default') ?? '';
	return createHmac('sha256', String(credentials.apiKey ?? '')).update(`status-webhook:${url}`).digest('hex').slice(0, 48);
}

async function readWebhookConfig(ctx: IHookFunctions, wire: ProviderWire): Promise<Dialog360WebhookConfig> {
	return (await callProvider(ctx, wire, singleRequestContext(ctx.getNode()), {
		method: 'GET',
		path: '/v1/configs/webhook',
		createsMessage: false,
	})) as Dialog360WebhookConfig;
}

async function writeWebhookConfig(ctx: IHookFunctions, wire: ProviderWire, config: Dialog360WebhookConfig): Promise<void> {
	await callProvider(ctx, wire, singleRequestContext(ctx.getNode()), {
		method: 'POST',
		path: '/v1/configs/webhook',
		json: { ...config },
		createsMessage: false,
	});
}

/** 360dialog refuses webhook URLs with a port or an underscore; say so before it does. */
function checkWebhookUrl(ctx: IHookFunctions, url: string): void {
	const parsed = new URL(url);
	const problem = parsed.port ? `has a port (${parsed.port})` : parsed.hostname.includes('_') ? 'has an underscore in its host name' : '';
	if (!problem) return;
	throw new NodeOperationError(ctx.getNode(), `360dialog refuses this n8n webhook URL: ${url} ${problem}`, {
		description:
			'360dialog only delivers to URLs without a port and without underscores. Put n8n behind a reverse proxy on https (port 443) and set n8n\'s WEBHOOK_URL to that public address, e.g. WEBHOOK_URL=https://n8n.example.com/, then restart n8n and activate the workflow again.',
	});
}

const statusWebhook = (wire: ProviderWire): Omit<StatusWebhookSupport, 'readStatuses'> => ({
	fields: [
		{
			displayName: 'Replace Existing Webhook',
			name: 'replaceExistingWebhook',
			type: 'boolean',
			default: false,
			description:
				"Whether to take over the number's webhook when 360dialog already sends it somewhere else. 360dialog keeps one webhook URL per number: whatever uses the other URL (e.g. a chatbot) stops receiving messages.",
		},
	],
	setupNotice: '',

	// Always (re-)register on activation: 360dialog does not show the headers it sends, so only a
	// fresh registration is sure to carry the current secret.
	async checkExists() {
		return false;
	},

	async create(ctx) {
		const ours = ctx.getNodeWebhookUrl('default') ?? '';
		checkWebhookUrl(ctx, ours);
		const config = await readWebhookConfig(ctx, wire);
		if (config.url && config.url !== ours && ctx.getNodeParameter('replaceExistingWebhook', false) !== true) {
			throw new NodeOperationError(ctx.getNode(), `This 360dialog number already sends its webhooks to ${config.url}`, {
				description:
					'360dialog keeps one webhook URL per number, and replacing it would cut off whatever receives them now (a chatbot, another workflow). Turn on "Replace Existing Webhook" to take it over anyway, or use a number without a webhook.',
			});
		}
		await writeWebhookConfig(ctx, wire, { url: ours, headers: { [SECRET_HEADER]: await webhookSecret(ctx, wire) } });
		return true;
	},

	async delete(ctx) {
		// Someone may have pointed the number elsewhere since: only ever remove our own URL.
		const config = await readWebhookConfig(ctx, wire).catch(() => ({}) as Dialog360WebhookConfig);
		if (config.url && config.url === ctx.getNodeWebhookUrl('default')) await writeWebhookConfig(ctx, wire, { url: '' });
		return true;
	},

	async verify(ctx: IWebhookFunctions): Promise<WebhookVerdict> {
		const secret = await webhookSecret(ctx, wire);
		const given = ctx.getHeaderData()[SECRET_HEADER.toLowerCase()];
		const matches =
			typeof given === 'string' &&
			given.length === secret.length &&
			timingSafeEqual(Buffer.from(given), Buffer.from(secret));
		if (matches) return { kind: 'deliver' };
		ctx.getResponseObject().status(401).json({ error: 'Unauthorized' });
		return { kind: 'answered' };
	},
});

/** 360dialog's Cloud API (v2): one API key per WhatsApp number, so no phone number id in paths. */
export const dialog360 = cloudApiProvider({
	name: 'dialog360',
	displayName: '360dialog',
	description: 'Send through 360dialog (WhatsApp Cloud API) to a phone number',
	credentialType: 'dialog360Api',
	secretField: 'apiKey',
	apiRoot: credentialBaseUrl,
	ownError: describeOwnError,
	listTemplates,
	statusWebhook,
});

