import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { credentialBaseUrl } from '../transport';
import { cloudApiProvider } from './cloudApi';

/** Every request goes below the Graph API version and the sending number's id. */
function apiRoot(credentials: ICredentialDataDecryptedObject): string {
	const version = encodeURIComponent(String(credentials.graphApiVersion ?? '').trim());
	const phoneNumberId = encodeURIComponent(String(credentials.phoneNumberId ?? '').trim());
	return `${credentialBaseUrl(credentials)}/${version}/${phoneNumberId}`;
}

/** Meta's WhatsApp Cloud API, directly: a system-user token and the sending number's id. */
export const whatsappCloud = cloudApiProvider({
	name: 'whatsappCloud',
	displayName: 'WhatsApp Cloud API (Meta)',
	description: "Send through Meta's WhatsApp Cloud API directly, to a phone number",
	credentialType: 'whatsAppCloudApi',
	secretField: 'accessToken',
	apiRoot,
});
