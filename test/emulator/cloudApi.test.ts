import { D, D360_AUTH, META_AUTH, expectMetaError, postJson } from './helpers';
import { BSUID_RE, isBsuid, startEmulator, type CloudApiProviderName, type Emulator } from './server';

let emu: Emulator;
beforeAll(async () => {
	emu = await startEmulator();
});
afterEach(() => emu.reset());
afterAll(() => emu.close());

const TO = D.contactNumber.slice(1);
const LINK = 'https://cdn.example.com/clip.mp4';
const BSUID = D.contactBsuid;
const PARENT_BSUID = D.contactParentBsuid;

describe('BSUID format', () => {
	it.each([
		'US.13491208655302741918',
		'US.ENT.11815799212886844830',
		'DE.a',
		'BR.AbC123',
		`IN.${'9'.repeat(128)}`,
		`IN.ENT.${'z'.repeat(128)}`,
		'US.ENT',
	])('accepts %s', (value) => {
		expect(isBsuid(value)).toBe(true);
	});

	it.each([
		['a phone number', '4915123456789'],
		['lower-case country', 'us.13491208655302741918'],
		['three-letter country', 'USA.13491208655302741918'],
		['one-letter country', 'U.13491208655302741918'],
		['no dot', 'US13491208655302741918'],
		['nothing after the dot', 'US.'],
		['nothing after ENT.', 'US.ENT.'],
		['129 characters', `US.${'1'.repeat(129)}`],
		['129 characters after ENT.', `US.ENT.${'1'.repeat(129)}`],
		['a dash', 'US.1349-1208'],
		['an underscore', 'US.1349_1208'],
		['a space', 'US. 13491208655302741918'],
		['a trailing newline', 'US.13491208655302741918\n'],
		['a second dot', 'US.1349.1208'],
		['lower-case ent', 'US.ent.11815799212886844830'],
		['a username instead', '@demo_user'],
	])('refuses %s', (_label, value) => {
		expect(BSUID_RE.test(value)).toBe(false);
	});
});

describe.each<[CloudApiProviderName, () => string, Record<string, string>]>([
	['dialog360', () => `${emu.dialog360BaseUrl}/messages`, D360_AUTH],
	['whatsappCloud', () => `${emu.metaBaseUrl}/${D.metaGraphApiVersion}/${D.metaPhoneNumberId}/messages`, META_AUTH],
])('%s: recipients by BSUID', (provider, url, auth) => {
	const send = (body: unknown) => postJson(url(), body, auth);
	const message = (recipient: Record<string, unknown>) => ({
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		...recipient,
		type: 'video',
		video: { link: LINK, caption: 'for a username' },
	});

	it.each([BSUID, PARENT_BSUID])('sends to %s given as recipient, answering user_id instead of wa_id', async (bsuid) => {
		const res = await send(message({ recipient: bsuid }));
		expect(res.status).toBe(200);
		expect(res.json).toEqual({
			messaging_product: 'whatsapp',
			contacts: [{ input: bsuid, user_id: bsuid }],
			messages: [{ id: expect.stringMatching(/^wamid\./), message_status: 'accepted' }],
		});
		const created = emu.messagesCreated(provider);
		expect(created).toHaveLength(1);
		expect(created[0].created).toEqual({
			kind: 'message',
			provider,
			messageId: (res.json as { messages: Array<{ id: string }> }).messages[0].id,
			recipient: bsuid,
			recipientKind: 'bsuid',
			source: 'link',
			caption: 'for a username',
		});
		expect(created[0].json).toEqual(message({ recipient: bsuid }));
	});

	it('lets to win when both to and recipient are present', async () => {
		const res = await send(message({ to: TO, recipient: BSUID }));
		expect(res.status).toBe(200);
		expect((res.json as { contacts: unknown }).contacts).toEqual([{ input: TO, wa_id: TO }]);
		const [record] = emu.messagesCreated(provider);
		expect(record.created).toMatchObject({ recipient: TO });
		expect(record.created).not.toHaveProperty('recipientKind');
	});

	it('still checks to when both are present', async () => {
		expectMetaError(await send(message({ to: `+${TO}`, recipient: BSUID })), 100, 'Param to');
		expect(emu.messagesCreated()).toHaveLength(0);
	});

	it.each<[string, Record<string, unknown>, string]>([
		['neither to nor recipient', {}, 'The parameter to or recipient is required.'],
		['a phone number as recipient', { recipient: TO }, 'Param recipient'],
		['a lower-case BSUID', { recipient: BSUID.toLowerCase() }, 'Param recipient'],
		['a BSUID with a dash', { recipient: 'US.1349-1208' }, 'Param recipient'],
		['an over-long BSUID', { recipient: `US.${'1'.repeat(129)}` }, 'Param recipient'],
		['an empty recipient', { recipient: '' }, 'Param recipient'],
		['a numeric recipient', { recipient: 1349120865530274 }, 'Param recipient'],
		['a recipient object', { recipient: { user_id: BSUID } }, 'Param recipient'],
		['a BSUID in to', { to: BSUID }, 'Param to'],
	])('refuses %s with code 100', async (_label, recipient, details) => {
		const error = expectMetaError(await send(message(recipient)), 100, details);
		expect(error.error.message).toBe('(#100) Invalid parameter');
		expect(emu.messagesCreated()).toHaveLength(0);
	});
});
