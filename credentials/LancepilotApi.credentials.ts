import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class LancepilotApi implements ICredentialType {
	name = 'lancepilotApi';

	displayName = 'Lancepilot API';

	icon = 'file:lancepilot.svg' as const;

	documentationUrl = 'https://lancepilot.com/docs/api';

	properties: INodeProperties[] = [
		{
			displayName: 'API Token',
			name: 'apiToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'The API token from Lancepilot (Settings → API). Sent as a Bearer token.',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://lancepilot.com/api/v3',
			description:
				'Change only to reach a different Lancepilot endpoint, such as the provider emulator shipped with this package',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.apiToken}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl}}',
			url: '/workspaces',
			method: 'GET',
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: 'Lancepilot did not accept this API token. Copy it again from Lancepilot (Settings → API).',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message: 'Nothing answers at this Base URL. Leave it at https://lancepilot.com/api/v3 unless you use the emulator.',
				},
			},
		],
	};
}
