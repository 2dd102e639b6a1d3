import { searchList } from '../../harness/engine';
import { D, emulatorCredentials, useEmulator } from '../../harness/setup';

const emulator = useEmulator();

const searchTemplates = (options: Omit<Parameters<typeof searchList>[0], 'method'>) => searchList({ method: 'searchTemplates', ...options });

const PICKERS = [
	{ provider: 'lancepilot', parameters: { provider: 'lancepilot', workspaceId: D.workspaceId }, spring: '41', tour: '43' },
	{ provider: 'dialog360', parameters: { provider: 'dialog360' }, spring: 'spring_promo|en_US', tour: 'product_tour|en_US' },
	{ provider: 'whatsappCloud', parameters: { provider: 'whatsappCloud' }, spring: 'spring_promo|en_US', tour: 'product_tour|en_US' },
];

describe('The Template picker', () => {
	test.each(PICKERS)('$provider: lists only the approved templates with a video header, by name and language, with their text', async ({ parameters, tour, spring }) => {
		const { results } = await searchTemplates({ parameters: { ...parameters, messageType: 'template' }, credentials: emulatorCredentials(emulator()) });

		// Not the image-header, pending or paused ones, nor the 60 text-header templates on other pages.
		expect(results.map((result) => result.name)).toEqual([
			'product_tour (en_US): Here is the product tour you asked for.',
			'spring_promo (de_DE): Hallo {{1}}, im Frühlingsverkauf sparst du {{2}}.',
			'spring_promo (en_US): Hi {{1}}, our spring sale gives you {{2}} off.',
			"weekly_digest (en_US): Hi {{1}}, this week's video is here.",
		]);
		expect(results[0].value).toBe(tour);
		expect(results[2]).toMatchObject({ value: spring, description: 'Hi {{1}}, our spring sale gives you {{2}} off.' });
	});

	test.each(PICKERS)('$provider: typing filters by name, language or text', async ({ parameters }) => {
		const credentials = emulatorCredentials(emulator());

		const byName = await searchTemplates({ parameters, credentials, filter: 'SPRING' });
		const byText = await searchTemplates({ parameters, credentials, filter: 'tour you asked' });

		expect(byName.results.map((result) => result.name.split(':')[0])).toEqual(['spring_promo (de_DE)', 'spring_promo (en_US)']);
		expect(byText.results.map((result) => result.name.split(':')[0])).toEqual(['product_tour (en_US)']);
	});

	test('Lancepilot without a Workspace ID says to fill it in first', async () => {
		await expect(
			searchTemplates({ parameters: { provider: 'lancepilot', workspaceId: '' }, credentials: emulatorCredentials(emulator()) }),
		).rejects.toThrow('Invalid "Workspace ID" in item 0: it is empty');
		expect(emulator().requests).toEqual([]);
	});

	test('Meta without a Business Account ID says where templates live', async () => {
		const credentials = emulatorCredentials(emulator());
		credentials.whatsAppCloudApi = { ...credentials.whatsAppCloudApi, businessAccountId: '' };

		await expect(searchTemplates({ parameters: { provider: 'whatsappCloud' }, credentials })).rejects.toThrow(
			'The Meta credential has no WhatsApp Business Account ID, which templates need',
		);
	});

	test('a wrong key shows the provider\'s refusal without the key', async () => {
		const error = await searchTemplates({
			parameters: { provider: 'dialog360' },
			credentials: emulatorCredentials(emulator(), { apiKey: 'wrong-key-123' }),
		}).catch((caught: Error) => caught);

		expect(error).toBeInstanceOf(Error);
		expect((error as Error).message).toContain('360dialog rejected the API key');
		expect(JSON.stringify(error)).not.toContain('wrong-key-123');
	});
});
