import type { INodeParameters } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { normalisePhoneNumber, requireVideoUrl } from '../../../nodes/SendWhatsAppVideo/validation';
import { runWorkflow } from '../../harness/engine';
import type { InputItem } from '../../harness/engine';
import { CANARY, canaryHits, observe } from '../../harness/canary';
import { captureLogs } from '../../harness/logs';
import { D, useEmulator, videoItem } from '../../harness/setup';

const context = { node: { id: 'n', name: 'Send WhatsApp Video', type: 't', typeVersion: 1, position: [0, 0] as [number, number], parameters: {} }, itemIndex: 4 };

describe('phone numbers are accepted as people type them and normalised to E.164 digits', () => {
	test.each([
		['+49 151 2345-6789', '4915123456789'],
		['+1 (415) 555-0123', '14155550123'],
		['0049 151 23456789', '4915123456789'],
		['+44.20.7946.0958', '442079460958'],
		['14155550123', '14155550123'],
		['+49\u00a0151\u00a023456789', '4915123456789'],
		['+49/151/23456789', '4915123456789'],
	])('%s -> %s', (typed, digits) => {
		expect(normalisePhoneNumber(context, 'Phone Number', typed)).toBe(digits);
	});

	test.each([
		['+49 151 CALL-NOW', /contains characters that are not digits/],
		['(415) 555-0123 ext. 7', /contains characters that are not digits/],
		['0151 2345678', /national number.*single 0/],
		['+1234567', /has 7 digits; a phone number with country code has 8 to 15/],
		['+1234567890123456', /has 16 digits/],
		['49+15123456789', /"\+" in the wrong place/],
		['++4915123456789', /"\+" in the wrong place/],
	])('rejects %s', (typed, problem) => {
		const attempt = () => normalisePhoneNumber(context, 'Phone Number', typed);
		expect(attempt).toThrow(NodeOperationError);
		expect(attempt).toThrow(problem);
		expect(attempt).toThrow(/^Invalid "Phone Number" in item 4: /);
	});
});

describe('video URLs', () => {
	test('http and https URLs pass, normalised', () => {
		expect(requireVideoUrl(context, 'Video URL', 'https://cdn.example.com/a b.mp4')).toBe('https://cdn.example.com/a%20b.mp4');
		expect(requireVideoUrl(context, 'Video URL', 'http://cdn.example.com/a.mp4')).toBe('http://cdn.example.com/a.mp4');
	});
});

describe('nothing that can be checked locally is sent to a provider', () => {
	captureLogs();
	const emulator = useEmulator({ lancepilotTokens: [CANARY.apiToken], dialog360ApiKeys: [CANARY.apiKey] });
	const canaryCredentials = () => ({
		lancepilotApi: { apiToken: CANARY.apiToken, baseUrl: emulator().lancepilotBaseUrl },
		dialog360Api: { apiKey: CANARY.apiKey, baseUrl: emulator().dialog360BaseUrl },
	});
	const lancepilot = { provider: 'lancepilot', workspaceId: D.workspaceId, contactBy: 'number', recipient: '+4915123456789', source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' };
	const dialog360 = { provider: 'dialog360', recipient: '+4915123456789', source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' };
	const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
	const quicktime = Buffer.concat([Buffer.from('0000001466747970717420200000020071742020', 'hex'), Buffer.alloc(64)]);
	const oversized = Buffer.alloc(16 * 1024 * 1024 + 1);
	Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex').copy(oversized);

	const cases: Array<[string, INodeParameters, InputItem, string, RegExp]> = [
		['a workspace id expression resolving to nothing', { ...lancepilot, workspaceId: '={{ $json.workspace }}' }, {}, 'Workspace ID', /it is empty/],
		['a workspace id that is not a UUID', { ...lancepilot, workspaceId: 'my-workspace' }, {}, 'Workspace ID', /is not a UUID/],
		['a contact id that is not a UUID', { ...lancepilot, contactBy: 'id', contactId: '12345' }, {}, 'Contact ID', /is not a UUID/],
		['a whitespace-only phone number', { ...dialog360, recipient: '   ' }, {}, 'Phone Number', /only whitespace/],
		['letters in the phone number', { ...lancepilot, recipient: '+49 abc' }, {}, 'Phone Number', /not digits/],
		['a 16-digit phone number', { ...dialog360, recipient: '+1234567890123456' }, {}, 'Phone Number', /16 digits/],
		['a phone number expression resolving to an object', { ...dialog360, recipient: '={{ $json.contact }}' }, { json: { contact: { phone: '+4915123456789' } } }, 'Phone Number', /value is an object/],
		['a phone number expression resolving to null', { ...dialog360, recipient: '={{ $json.phone }}' }, { json: { phone: null } }, 'Phone Number', /it is empty/],
		['a URL expression resolving to an empty string', { ...dialog360, videoUrl: '={{ $json.url }}' }, { json: { url: '' } }, 'Video URL', /it is empty/],
		['text that is not a URL', { ...dialog360, videoUrl: 'promo.mp4' }, {}, 'Video URL', /not a valid URL/],
		['an ftp: URL', { ...lancepilot, videoUrl: 'ftp://files.example.com/a.mp4' }, {}, 'Video URL', /"ftp" scheme is not allowed/],
		['a file: URL', { ...dialog360, videoUrl: 'file:///etc/passwd' }, {}, 'Video URL', /"file" scheme/],
		['a javascript: URL', { ...dialog360, videoUrl: 'javascript:alert(1)' }, {}, 'Video URL', /"javascript" scheme/],
		['a URL with credentials', { ...lancepilot, videoUrl: 'https://user:secret@cdn.example.com/a.mp4' }, {}, 'Video URL', /user name or password/],
		['a media id with spaces', { ...dialog360, source: 'mediaId', mediaId: '123 456' }, {}, 'Media ID', /contains spaces/],
		['a media id expression resolving to nothing', { ...dialog360, source: 'mediaId', mediaId: '={{ $json.media }}' }, {}, 'Media ID', /it is empty/],
		['a media id source on Lancepilot', { ...lancepilot, source: 'mediaId', mediaId: '123' }, {}, 'Video Source', /Lancepilot cannot send from "mediaId"/],
		['a caption of 1025 characters', { ...dialog360, caption: 'x'.repeat(1025) }, {}, 'Caption', /1025 characters; the limit is 1024/],
		['a caption expression resolving to an object', { ...lancepilot, caption: '={{ $json }}' }, { json: { a: 1 } }, 'Caption', /value is an object/],
		['callback data of 513 characters', { ...dialog360, options: { callbackData: 'y'.repeat(513) } }, {}, 'Callback Data', /513 characters; the limit is 512/],
		['a missing binary property', { ...dialog360, source: 'binary', binaryPropertyName: 'video' }, videoItem(), 'Input Binary Field', /no binary property "video".*/],
		['an item without binary data', { ...lancepilot, source: 'binary' }, { json: { a: 1 } }, 'Input Binary Field', /no binary property "data"/],
		['an empty file', { ...dialog360, source: 'binary' }, { binary: { data: { bytes: Buffer.alloc(0), fileName: 'a.mp4', mimeType: 'video/mp4' } } }, 'Input Binary Field', /the file is empty/],
		['a PNG named .mp4', { ...lancepilot, source: 'binary' }, { binary: { data: { bytes: png, fileName: 'promo.mp4', mimeType: 'video/mp4' } } }, 'Input Binary Field', /the file is a PNG image, not an MP4 or 3GP video \(upstream called it video\/mp4, "promo.mp4"\)/],
		['a QuickTime .mov', { ...dialog360, source: 'binary' }, { binary: { data: { bytes: quicktime, fileName: 'clip.mov', mimeType: 'video/quicktime' } } }, 'Input Binary Field', /QuickTime \.mov/],
		['an HTML page saved as a video', { ...dialog360, source: 'binary' }, { binary: { data: { bytes: Buffer.from('<!DOCTYPE html><html>Sign in</html>'), fileName: 'video.mp4', mimeType: 'application/octet-stream' } } }, 'Input Binary Field', /HTML page/],
		['a binary property expression resolving to nothing', { ...dialog360, source: 'binary', binaryPropertyName: '={{ $json.property }}' }, videoItem(), 'Input Binary Field', /it is empty/],
		['a reply-to message id resolving to an object', { ...dialog360, options: { replyToMessageId: '={{ $json }}' } }, { json: { id: 'wamid.x' } }, 'Reply To Message ID', /value is an object/],
		['a contact id with trailing characters', { ...lancepilot, contactBy: 'id', contactId: `${D.contactId}X` }, {}, 'Contact ID', /is not a UUID/],
		['a 7-digit number on Lancepilot', { ...lancepilot, recipient: '+49 1234 5' }, {}, 'Phone Number', /has 7 digits/],
		['a file name resolving to an object', { ...lancepilot, source: 'binary', options: { fileName: '={{ $json }}' } }, { json: { name: 'a' }, ...videoItem() }, 'File Name', /value is an object/],
		['a URL without a host', { ...lancepilot, videoUrl: 'https://' }, {}, 'Video URL', /not a valid URL/],
		['a caption resolving to a list', { ...dialog360, caption: '={{ [1, 2] }}' }, {}, 'Caption', /value is a list/],
		['a video of 16 MB + 1 byte', { ...lancepilot, source: 'binary' }, { binary: { data: { bytes: oversized, fileName: 'big.mp4', mimeType: 'video/mp4' } } }, 'Input Binary Field', /\(16777217 bytes\); WhatsApp accepts at most 16 MB \(16777216 bytes\)/],
	];

	let tried = 0;
	let sent = 0;
	afterAll(() => {
		const hits = canaryHits();
		process.stdout.write(`\nbad-input table: ${tried} bad inputs tried, ${sent} requests sent for them, ${hits} canary hits\n`);
		expect(hits).toBe(0);
	});

	test.each(cases)('%s', async (_name, parameters, item, field, problem) => {
		const result = observe(await runWorkflow({ parameters, items: [item, item], credentials: canaryCredentials(), continueOnFail: true }));
		tried++;
		expect(result.items.map((output) => output.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		const rejected = result.items[1];
		expect(rejected.json.error).toMatch(new RegExp(`^Invalid "${field}" in item 1: `));
		expect(rejected.json.error).toMatch(problem);
		expect(typeof rejected.json.description).toBe('string');
		sent += emulator().requests.length;
		expect(emulator().requests).toEqual([]);
	});

	test('a 16 MB + 1 byte video in filesystem mode is refused before anything is sent', async () => {
		const result = await runWorkflow({
			parameters: { ...dialog360, source: 'binary' },
			items: [{ binary: { data: { bytes: oversized, fileName: 'big.mp4', mimeType: 'video/mp4' } } }],
			credentials: canaryCredentials(),
			binaryMode: 'filesystem',
			continueOnFail: true,
		});
		expect(result.items[0].json.error).toMatch(/16777217 bytes/);
		expect(emulator().requests).toEqual([]);
	});

	test('a caption of 1024 emoji is 1024 characters and is sent', async () => {
		const result = await runWorkflow({
			parameters: { ...dialog360, caption: '🎬'.repeat(1024) },
			items: [{}],
			credentials: canaryCredentials(),
		});
		expect(result.error).toBeUndefined();
		expect(emulator().messagesCreated()).toHaveLength(1);
	});

	test('a phone number given as a number by an expression is accepted', async () => {
		const result = await runWorkflow({
			parameters: { ...dialog360, recipient: '={{ $json.phone }}' },
			items: [{ json: { phone: 4915123456789 } }],
			credentials: canaryCredentials(),
		});
		expect(result.items[0].json.recipient).toBe('4915123456789');
	});
});
