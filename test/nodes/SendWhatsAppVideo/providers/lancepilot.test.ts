import { D, providerFailure, useEmulator } from '../../../harness/setup';

const emulator = useEmulator();

const lancepilot = { provider: 'lancepilot', workspaceId: D.workspaceId, contactBy: 'number', recipient: '+4915123456789', source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' };

describe('Lancepilot errors become NodeApiErrors with Lancepilot\'s own message', () => {
	test('401: the token was refused', async () => {
		const error = await providerFailure(emulator(), lancepilot, { apiToken: 'revoked-token' });
		expect(error.message).toBe('Lancepilot rejected the API token (401 Unauthenticated.)');
		expect(error.description).toMatch(/API Token in the Lancepilot credential/);
		expect(error.httpCode).toBe('401');
	});

	test('404: unknown workspace', async () => {
		const error = await providerFailure(emulator(), { ...lancepilot, workspaceId: '00000000-0000-4000-8000-000000000000' });
		expect(error.message).toBe('Lancepilot: Workspace not found. (404)');
		expect(error.description).toMatch(/Workspace ID/);
	});

	test('422: Laravel field errors are listed field by field', async () => {
		emulator().injectFault({
			provider: 'lancepilot',
			kind: 'status',
			status: 422,
			body: { message: 'Validation error', errors: { file: ['The file field must be a file of type: mp4, 3gp.'], caption: ['Too long.'] } },
		});
		const error = await providerFailure(emulator(), lancepilot);
		expect(error.message).toBe(
			'Lancepilot rejected the request: Validation error (file: The file field must be a file of type: mp4, 3gp.; caption: Too long.)',
		);
		expect(error.description).toMatch(/^Lancepilot's field errors: file: .*caption: Too long\./);
	});

	test('500 on a send: the video may have been delivered, so the error says to check before resending', async () => {
		emulator().injectFault({ provider: 'lancepilot', kind: 'status', status: 500, body: { message: 'Server Error' } });
		const error = await providerFailure(emulator(), lancepilot);
		expect(error.message).toBe('Lancepilot answered HTTP 500: Server Error');
		expect(error.description).toMatch(/may or may not have been delivered: check the chat or the Lancepilot dashboard/);
	});
});

