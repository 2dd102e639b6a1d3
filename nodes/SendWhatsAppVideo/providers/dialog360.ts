import { readAllPages } from '../templates';
import type { ProviderCaller, ProviderErrorText, ProviderWire, RequestContext } from '../transport';
import { callProvider, credentialBaseUrl } from '../transport';
import { cloudApiProvider } from './cloudApi';
import type { CloudApiTemplate } from './cloudApiTemplates';

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
});
