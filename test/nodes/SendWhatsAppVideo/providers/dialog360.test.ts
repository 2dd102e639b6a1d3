import { metaErrorBody } from '../../../emulator/server';
import { runWorkflow } from '../../../harness/engine';
import { emulatorCredentials, providerFailure, useEmulator, videoItem } from '../../../harness/setup';

const emulator = useEmulator();

const dialog360 = { provider: 'dialog360', recipient: '+4915123456789', source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' };

describe('360dialog errors: both shapes become NodeApiErrors', () => {
	test('360dialog\'s own shape on a bad key: {"error": "Invalid request"}', async () => {
		const error = await providerFailure(emulator(), dialog360, { apiKey: 'wrong-key' });
		expect(error.message).toBe('360dialog rejected the API key (401 Invalid request)');
		expect(error.description).toMatch(/Each WhatsApp number has its own D360-API-KEY/);
	});

	test('Meta\'s shape: the code, message and error_data.details are shown, with advice for the code', async () => {
		emulator().injectFault({
			provider: 'dialog360',
			path: '/messages',
			kind: 'status',
			status: 400,
			body: metaErrorBody(131053, 'Unsupported video mime type application/octet-stream', { message: 'Media upload error' }),
		});
		const error = await providerFailure(emulator(), dialog360);
		expect(error.message).toBe('WhatsApp error 131053: Media upload error (Unsupported video mime type application/octet-stream)');
		expect(error.description).toMatch(/^Details: Unsupported video mime type application\/octet-stream\. WhatsApp could not process the video/);
		expect(error.httpCode).toBe('400');
	});

	test.each([
		[131047, /24 hours.*template/],
		[130429, /Throughput limit/],
		[131056, /Too many messages to this recipient/],
		[131052, /could not download the media.*URL Delivery to "Download and Upload"/],
		[100, /A parameter was invalid/],
	])('code %i comes with plain-language advice', async (code, advice) => {
		emulator().injectFault({ provider: 'dialog360', path: '/messages', kind: 'status', status: 400, body: metaErrorBody(code, 'details here'), times: 2 });
		// Throttling codes are retried by default (131056 for as long as the Time Budget lasts); here the advice itself is under test.
		const error = await providerFailure(emulator(), { ...dialog360, options: { maxRetries: 0, timeBudgetSeconds: 1 } });
		expect(error.message).toMatch(new RegExp(`^WhatsApp error ${code}: `));
		expect(error.description).toMatch(advice);
	});

	test('a real validation answer from the provider (unknown media id) is shown with its details', async () => {
		const error = await providerFailure(emulator(), { ...dialog360, source: 'mediaId', mediaId: '999999999999999' });
		expect(error.message).toMatch(/^WhatsApp error 100: Invalid parameter \(Param video\['id'\] is not a valid whatsapp business account media attachment ID\)$/);
	});

	test('an upload that fails sends no message', async () => {
		emulator().injectFault({ provider: 'dialog360', path: '/media', kind: 'status', status: 400, body: metaErrorBody(131053, 'File is corrupt') });
		const result = await runWorkflow({
			parameters: { ...dialog360, source: 'binary' },
			items: [videoItem()],
			credentials: emulatorCredentials(emulator()),
			continueOnFail: true,
		});
		expect(result.items[0].json.error).toBe('WhatsApp error 131053: Media upload error (File is corrupt)');
		expect(emulator().messagesCreated()).toEqual([]);
	});
});
