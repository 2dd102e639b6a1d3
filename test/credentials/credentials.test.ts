import { Dialog360Api } from '../../credentials/Dialog360Api.credentials';
import { LancepilotApi } from '../../credentials/LancepilotApi.credentials';
import { WhatsAppCloudApi } from '../../credentials/WhatsAppCloudApi.credentials';
import { EMULATOR_DEFAULTS } from '../emulator/server';
import { runCredentialTest } from '../harness/credentialTest';
import { useEmulator } from '../harness/setup';

const emulator = useEmulator();

describe('Lancepilot API credential', () => {
	const type = new LancepilotApi();

	test('keeps the names saved credentials depend on', () => {
		expect(type.name).toBe('lancepilotApi');
		expect(type.properties.map((property) => property.name)).toEqual(['apiToken', 'baseUrl']);
		expect(type.properties[0].typeOptions?.password).toBe(true);
		expect(type.properties[1].default).toBe('https://lancepilot.com/api/v3');
	});

	test('"Test" passes with a valid token: GET {baseUrl}/workspaces with a Bearer header', async () => {
		const outcome = await runCredentialTest(type, {
			apiToken: EMULATOR_DEFAULTS.lancepilotToken,
			baseUrl: emulator().lancepilotBaseUrl,
		});
		expect(outcome.statusCode).toBe(200);
		expect(outcome.verdict.status).toBe('OK');
		expect(JSON.parse(outcome.body).data[0].id).toBe(EMULATOR_DEFAULTS.workspaceId);
		expect(emulator().requests).toHaveLength(1);
		expect(emulator().requests[0]).toMatchObject({ method: 'GET', path: '/workspaces' });
		expect(emulator().requests[0].headers.authorization).toBe(`Bearer ${EMULATOR_DEFAULTS.lancepilotToken}`);
	});

	test('"Test" fails with a wrong token (401 Unauthenticated.)', async () => {
		const outcome = await runCredentialTest(type, { apiToken: 'wrong-token', baseUrl: emulator().lancepilotBaseUrl });
		expect(outcome.statusCode).toBe(401);
		expect(JSON.parse(outcome.body)).toEqual({ message: 'Unauthenticated.' });
		expect(outcome.verdict).toEqual({ status: 'Error', message: expect.stringContaining('did not accept this API token') });
	});

	test('"Test" with a Base URL that is not the API says so (404)', async () => {
		const outcome = await runCredentialTest(type, { apiToken: EMULATOR_DEFAULTS.lancepilotToken, baseUrl: `${emulator().origin}/nothing-here` });
		expect(outcome.statusCode).toBe(404);
		expect(outcome.verdict).toEqual({ status: 'Error', message: expect.stringContaining('Nothing answers at this Base URL') });
	});

	test('a base URL with a trailing slash still reaches /workspaces', async () => {
		const outcome = await runCredentialTest(type, {
			apiToken: EMULATOR_DEFAULTS.lancepilotToken,
			baseUrl: `${emulator().lancepilotBaseUrl}/`,
		});
		expect(outcome.statusCode).toBe(200);
	});
});

describe('360dialog API credential', () => {
	const type = new Dialog360Api();

	test('keeps the names saved credentials depend on', () => {
		expect(type.name).toBe('dialog360Api');
		expect(type.properties.map((property) => property.name)).toEqual(['apiKey', 'baseUrl']);
		expect(type.properties[0].typeOptions?.password).toBe(true);
		expect(type.properties[1].default).toBe('https://waba-v2.360dialog.io');
	});

	test('"Test" passes with a valid key: GET /whatsapp_business_profile?fields=about with D360-API-KEY', async () => {
		const outcome = await runCredentialTest(type, {
			apiKey: EMULATOR_DEFAULTS.dialog360ApiKey,
			baseUrl: emulator().dialog360BaseUrl,
		});
		expect(outcome.statusCode).toBe(200);
		expect(emulator().requests[0]).toMatchObject({
			method: 'GET',
			path: '/whatsapp_business_profile',
			query: { fields: 'about' },
		});
		expect(emulator().requests[0].headers['d360-api-key']).toBe(EMULATOR_DEFAULTS.dialog360ApiKey);
	});

	test('"Test" fails with a wrong key (401, 360dialog\'s own error shape)', async () => {
		const outcome = await runCredentialTest(type, { apiKey: 'wrong-key', baseUrl: emulator().dialog360BaseUrl });
		expect(outcome.statusCode).toBe(401);
		expect(JSON.parse(outcome.body)).toEqual({ error: 'Invalid request' });
		expect(outcome.verdict).toEqual({ status: 'Error', message: expect.stringContaining('did not accept this API key') });
	});

	test('"Test" with a Base URL that is not the API says so (404)', async () => {
		const outcome = await runCredentialTest(type, { apiKey: EMULATOR_DEFAULTS.dialog360ApiKey, baseUrl: `${emulator().origin}/nothing-here` });
		expect(outcome.statusCode).toBe(404);
		expect(outcome.verdict).toEqual({ status: 'Error', message: expect.stringContaining('Nothing answers at this Base URL') });
	});
});

describe('Meta WhatsApp Cloud API credential', () => {
	const type = new WhatsAppCloudApi();
	const valid = () => ({
		accessToken: EMULATOR_DEFAULTS.metaAccessToken,
		phoneNumberId: EMULATOR_DEFAULTS.metaPhoneNumberId,
		businessAccountId: EMULATOR_DEFAULTS.metaBusinessAccountId,
		appSecret: '',
		graphApiVersion: EMULATOR_DEFAULTS.metaGraphApiVersion,
		baseUrl: emulator().metaBaseUrl,
	});

	test('keeps the names saved credentials and workflows depend on', () => {
		expect(type.name).toBe('whatsAppCloudApi');
		expect(type.properties.map((property) => property.name)).toEqual([
			'accessToken',
			'phoneNumberId',
			'businessAccountId',
			'appSecret',
			'graphApiVersion',
			'baseUrl',
		]);
		const secrets = type.properties.filter((property) => property.typeOptions?.password).map((property) => property.name);
		expect(secrets).toEqual(['accessToken', 'appSecret']);
		expect(type.properties.find((property) => property.name === 'baseUrl')?.default).toBe('https://graph.facebook.com');
		expect(type.properties.find((property) => property.name === 'graphApiVersion')?.default).toMatch(/^v\d+\.0$/);
	});

	test('"Test" passes with a valid token: GET {baseUrl}/{version}/{phoneNumberId} with a Bearer header', async () => {
		const outcome = await runCredentialTest(type, valid());
		expect(outcome.statusCode).toBe(200);
		expect(outcome.verdict.status).toBe('OK');
		expect(JSON.parse(outcome.body)).toMatchObject({ id: EMULATOR_DEFAULTS.metaPhoneNumberId });
		expect(emulator().requests).toHaveLength(1);
		expect(emulator().requests[0]).toMatchObject({
			method: 'GET',
			path: `/${EMULATOR_DEFAULTS.metaGraphApiVersion}/${EMULATOR_DEFAULTS.metaPhoneNumberId}`,
		});
		expect(emulator().requests[0].headers.authorization).toBe(`Bearer ${EMULATOR_DEFAULTS.metaAccessToken}`);
	});

	test('"Test" fails with a wrong token (401, code 190) and says what to do', async () => {
		const outcome = await runCredentialTest(type, { ...valid(), accessToken: 'expired-token' });
		expect(outcome.statusCode).toBe(401);
		expect(JSON.parse(outcome.body)).toMatchObject({ error: { code: 190 } });
		expect(outcome.verdict).toEqual({ status: 'Error', message: expect.stringContaining('did not accept this access token') });
	});

	test('"Test" with a Phone Number ID Meta does not know says which field to fix (400)', async () => {
		const outcome = await runCredentialTest(type, { ...valid(), phoneNumberId: '999999999999999' });
		expect(outcome.statusCode).toBe(400);
		expect(outcome.verdict).toEqual({ status: 'Error', message: expect.stringContaining('Phone Number ID') });
	});
});
