import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { readAllPages } from '../templates';
import type { ProviderCaller, ProviderWire, RequestContext } from '../transport';
import { callProvider, credentialBaseUrl } from '../transport';
import { cloudApiProvider } from './cloudApi';
import type { CloudApiTemplate } from './cloudApiTemplates';

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

/** Meta's WhatsApp Cloud API, directly: a system-user token and the sending number's id. */
export const whatsappCloud = cloudApiProvider({
	name: 'whatsappCloud',
	displayName: 'WhatsApp Cloud API (Meta)',
	description: "Send through Meta's WhatsApp Cloud API directly, to a phone number",
	credentialType: 'whatsAppCloudApi',
	secretField: 'accessToken',
	apiRoot,
	listTemplates,
});
