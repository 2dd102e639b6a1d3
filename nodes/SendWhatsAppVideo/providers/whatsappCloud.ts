import { createHmac, timingSafeEqual } from 'node:crypto';

import type { ICredentialDataDecryptedObject, IHookFunctions, IWebhookFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { readAllPages } from '../templates';
import type { ProviderCaller, ProviderWire, RequestContext } from '../transport';
import { callProvider, credentialBaseUrl } from '../transport';
import { cloudApiProvider } from './cloudApi';
import type { CloudApiTemplate } from './cloudApiTemplates';
import type { StatusWebhookSupport, WebhookVerdict } from './types';

function graphRoot(credentials: ICredentialDataDecryptedObject, objectId: unknown): string {
	const version = encodeURIComponent(String(credentials.graphApiVersion ?? '').trim());
	return `${credentialBaseUrl(credentials)}/${version}/${encodeURIComponent(String(objectId ?? '').trim())}`;
}

/** Messages and media go below the Graph API version and the sending number's id. */
function apiRoot(credentials: ICredentialDataDecryptedObject): string {
	return graphRoot(credentials, credentials.phoneNumberId);
}

/** 200 answer of `GET /{version}/{business-account-id}/message_templates`. */
interface MetaTemplatePage {
	data?: CloudApiTemplate[];
	paging?: { cursors?: { before?: string; after?: string }; next?: string };
}

const TEMPLATE_PAGE_SIZE = 50;

/** Templates belong to the WhatsApp Business Account, not to the phone number. */
async function listTemplates(ctx: ProviderCaller, wire: ProviderWire, context: RequestContext): Promise<CloudApiTemplate[]> {
	const credentials = await ctx.getCredentials(wire.credentialType, context.itemIndex);
	if (!String(credentials.businessAccountId ?? '').trim()) {
		throw new NodeOperationError(context.node, 'The Meta credential has no WhatsApp Business Account ID, which templates need', {
			description:
				'Templates belong to the WhatsApp Business Account, not to the phone number: copy its ID from WhatsApp Manager (or Meta Business Settings → Accounts → WhatsApp accounts) into the credential\'s WhatsApp Business Account ID field.',
			itemIndex: context.itemIndex,
		});
	}
	const accountWire: ProviderWire = { ...wire, apiRoot: (decrypted) => graphRoot(decrypted, decrypted.businessAccountId) };
	const pages = await readAllPages<MetaTemplatePage>(
		async (previous) =>
			(await callProvider(ctx, accountWire, context, {
				method: 'GET',
				path: '/message_templates',
				qs: {
					fields: 'name,language,status,category,components',
					limit: TEMPLATE_PAGE_SIZE,
					...(previous?.paging?.cursors?.after ? { after: previous.paging.cursors.after } : {}),
				},
				createsMessage: false,
			})) as MetaTemplatePage,
		(page) => Boolean(page.paging?.next && page.paging.cursors?.after),
	);
	return pages.flatMap((page) => (Array.isArray(page.data) ? page.data : []));
}

function sameText(a: string, b: string): boolean {
	return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/**
 * Meta's webhook is set in the app dashboard, not through this API: the trigger answers Meta's
 * verification request with the Verify Token and checks every delivery's signature with the App Secret.
 */
const statusWebhook = (wire: ProviderWire): Omit<StatusWebhookSupport, 'readStatuses'> => ({
	fields: [
		{
			displayName: 'Verify Token',
			name: 'verifyToken',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			description:
				"Any text you choose. Paste the same text into Verify Token in your Meta app (WhatsApp → Configuration → Webhook) together with this trigger's Production URL as the Callback URL.",
		},
	],
	setupNotice:
		"In your Meta app: WhatsApp → Configuration → Webhook → Edit: Callback URL = this trigger's Production URL, Verify Token = the one below, then Verify and Save and subscribe to the \"messages\" field. Activate the workflow first, so n8n can answer Meta's verification.",

	async checkExists(ctx: IHookFunctions) {
		const credentials = await ctx.getCredentials(wire.credentialType);
		if (!String(credentials.appSecret ?? '')) {
			throw new NodeOperationError(ctx.getNode(), 'The Meta credential has no App Secret, which checking webhook signatures needs', {
				description:
					"Meta signs every webhook with your app's secret (X-Hub-Signature-256); without it anyone could post fake statuses. Copy it from the app dashboard → App Settings → Basic into the credential's App Secret.",
			});
		}
		return true;
	},
	async create() {
		return true;
	},
	async delete() {
		return true;
	},

	async verify(ctx: IWebhookFunctions): Promise<WebhookVerdict> {
		const response = ctx.getResponseObject();
		if (ctx.getWebhookName() === 'setup') {
			const query = ctx.getQueryData() as Record<string, unknown>;
			const token = String(ctx.getNodeParameter('verifyToken', ''));
			const given = String(query['hub.verify_token'] ?? '');
			if (query['hub.mode'] === 'subscribe' && token && sameText(given, token)) {
				response.status(200).type('text/plain').send(String(query['hub.challenge'] ?? ''));
			} else {
				response.status(403).type('text/plain').send('The verify token does not match the trigger\'s Verify Token.');
			}
			return { kind: 'answered' };
		}
		const credentials = await ctx.getCredentials(wire.credentialType);
		const appSecret = String(credentials.appSecret ?? '');
		const rawBody = (ctx.getRequestObject() as { rawBody?: Buffer }).rawBody;
		const signature = ctx.getHeaderData()['x-hub-signature-256'];
		const expected = appSecret && rawBody ? `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}` : '';
		if (expected && typeof signature === 'string' && sameText(signature, expected)) return { kind: 'deliver' };
		response.status(401).json({ error: 'Invalid or missing X-Hub-Signature-256' });
		return { kind: 'answered' };
	},
});

/** Meta's WhatsApp Cloud API, directly: a system-user token and the sending number's id. */
export const whatsappCloud = cloudApiProvider({
	name: 'whatsappCloud',
	displayName: 'WhatsApp Cloud API (Meta)',
	description: "Send through Meta's WhatsApp Cloud API directly, to a phone number",
	credentialType: 'whatsAppCloudApi',
	secretField: 'accessToken',
	apiRoot,
	listTemplates,
	statusWebhook,
});
