import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class Dialog360Api implements ICredentialType {
	name = 'dialog360Api';

	displayName = '360dialog API';

	icon = 'file:dialog360.svg' as const;

	documentationUrl = 'https://docs.360dialog.com/docs/waba-messaging/messaging';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'The D360-API-KEY of the WhatsApp number, from the 360dialog Client Hub. Each number has its own key.',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://waba-v2.360dialog.io',
			description:
				'Change only to reach a different 360dialog endpoint, such as the provider emulator shipped with this package',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				'D360-API-KEY': '={{$credentials.apiKey}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl}}',
			url: '/whatsapp_business_profile',
			qs: { fields: 'about' },
			method: 'GET',
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message:
						'360dialog did not accept this API key. Copy the key of this WhatsApp number again from the 360dialog Client Hub (each number has its own key).',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message: 'Nothing answers at this Base URL. Leave it at https://waba-v2.360dialog.io unless you use the emulator.',
				},
			},
		],
	};
}
