import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class WhatsAppCloudApi implements ICredentialType {
	name = 'whatsAppCloudApi';

	displayName = 'Meta WhatsApp Cloud API';

	icon = 'file:whatsappCloud.svg' as const;

	documentationUrl = 'https://developers.facebook.com/docs/whatsapp/cloud-api/get-started';

	properties: INodeProperties[] = [
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'A system-user access token with the whatsapp_business_messaging permission, from Meta Business Settings → System Users. Temporary tokens from the app dashboard expire after 24 hours.',
		},
		{
			displayName: 'Phone Number ID',
			name: 'phoneNumberId',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. 106540352242922',
			description: 'The ID of the sending WhatsApp number (not the number itself), from the app dashboard → WhatsApp → API Setup',
		},
		{
			displayName: 'WhatsApp Business Account ID',
			name: 'businessAccountId',
			type: 'string',
			default: '',
			placeholder: 'e.g. 102290129340398',
			description: 'The WhatsApp Business Account (WABA) ID shown next to the Phone Number ID. Needed for templates: the Template list and the checks before a template is sent read them from this account.',
		},
		{
			displayName: 'App Secret',
			name: 'appSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'The app secret from the app dashboard → App Settings → Basic. Needed only to check the signature of status webhooks.',
		},
		{
			displayName: 'Graph API Version',
			name: 'graphApiVersion',
			type: 'string',
			default: 'v26.0',
			placeholder: 'e.g. v26.0',
			description: 'The Graph API version in every request path. Meta keeps each version about two years.',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://graph.facebook.com',
			description:
				'Change only to reach a different endpoint, such as the provider emulator shipped with this package',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.accessToken}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl}}/{{$credentials.graphApiVersion}}',
			url: '=/{{$credentials.phoneNumberId}}',
			method: 'GET',
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message:
						'Meta did not accept this access token (it is wrong or has expired). Create a system-user token in Meta Business Settings and paste it again.',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 400,
					message:
						'Meta does not know this Phone Number ID, or the token may not use it. Copy the Phone Number ID from the app dashboard → WhatsApp → API Setup.',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message: 'Nothing answers at this Base URL and Graph API Version. Leave the Base URL at https://graph.facebook.com unless you use the emulator.',
				},
			},
		],
	};
}
