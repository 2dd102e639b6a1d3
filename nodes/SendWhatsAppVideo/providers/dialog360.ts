import type { ProviderErrorText } from '../transport';
import { credentialBaseUrl } from '../transport';
import { cloudApiProvider } from './cloudApi';

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

/** 360dialog's Cloud API (v2): one API key per WhatsApp number, so no phone number id in paths. */
export const dialog360 = cloudApiProvider({
	name: 'dialog360',
	displayName: '360dialog',
	description: 'Send through 360dialog (WhatsApp Cloud API) to a phone number',
	credentialType: 'dialog360Api',
	secretField: 'apiKey',
	apiRoot: credentialBaseUrl,
	ownError: describeOwnError,
});
