/**
 * Recipients by username: a user who hides their number is addressed by a business-scoped user ID
 * (BSUID). The Cloud API providers send it as `recipient` instead of `to`; Lancepilot cannot.
 */
import { metaErrorBody } from '../../emulator/server';
import { runWorkflow } from '../../harness/engine';
import { D, emulatorCredentials, providerFailure, useEmulator } from '../../harness/setup';

const emulator = useEmulator();
const byUrl = { source: 'url', videoUrl: 'https://cdn.example.com/promo.mp4' };

describe.each(['dialog360', 'whatsappCloud'])('%s', (provider) => {
	test.each([D.contactBsuid, D.contactParentBsuid])('sends to the BSUID %s as "recipient", with no "to"', async (bsuid) => {
		const result = await runWorkflow({ parameters: { provider, recipient: ` ${bsuid} `, ...byUrl }, items: [{}], credentials: emulatorCredentials(emulator()) });
		expect(result.error).toBeUndefined();
		const [message] = emulator().messagesCreated(provider as 'dialog360');
		expect(message.json).toEqual({
			messaging_product: 'whatsapp',
			recipient_type: 'individual',
			recipient: bsuid,
			type: 'video',
			video: { link: byUrl.videoUrl },
		});
		expect(result.items[0].json).toMatchObject({ provider, recipient: bsuid, status: 'accepted' });
		expect((result.items[0].json.response as { contacts: unknown[] }).contacts).toEqual([{ input: bsuid, user_id: bsuid }]);
	});

	test.each(['US.', 'us.13491208655302741918', 'US.1349-1208', `US.${'1'.repeat(129)}`, 'US.ENT.'])('refuses the malformed BSUID %s before sending', async (typed) => {
		const result = await runWorkflow({ parameters: { provider, recipient: typed, ...byUrl }, items: [{}], credentials: emulatorCredentials(emulator()), continueOnFail: true });
		expect(result.items[0].json.error).toMatch(/^Invalid "Phone Number" in item 0: .* is neither a phone number nor a valid business-scoped user ID \(BSUID\)/);
		expect(result.items[0].json.description).toMatch(/US\.13491208655302741918/);
		expect(emulator().requests).toEqual([]);
	});

	test('WhatsApp\'s 131062 (BSUID not supported for this message) comes with advice', async () => {
		emulator().injectFault({ provider: provider as 'dialog360', path: /messages$/, kind: 'status', status: 400, body: metaErrorBody(131062, 'BSUID recipients are not supported for this message') });
		const error = await providerFailure(emulator(), { provider, recipient: D.contactBsuid, ...byUrl });
		expect(error.message).toMatch(/^WhatsApp error 131062/);
		expect(error.description).toMatch(/send it to the phone number instead/);
	});
});

test('Lancepilot refuses a BSUID locally: it sends to phone numbers or contact IDs', async () => {
	const result = await runWorkflow({
		parameters: { provider: 'lancepilot', workspaceId: D.workspaceId, contactBy: 'number', recipient: D.contactBsuid, ...byUrl },
		items: [{}],
		credentials: emulatorCredentials(emulator()),
		continueOnFail: true,
	});
	expect(result.items[0].json.error).toBe(`Invalid "Phone Number" in item 0: "${D.contactBsuid}" is a business-scoped user ID (BSUID), which Lancepilot cannot send to`);
	expect(result.items[0].json.description).toMatch(/Lancepilot sends to phone numbers or contact IDs/);
	expect(emulator().requests).toEqual([]);
});
