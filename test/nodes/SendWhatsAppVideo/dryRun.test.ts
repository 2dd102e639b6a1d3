/**
 * Options → Dry Run: every check runs, nothing is uploaded or sent, and each output item holds the
 * requests a real run would send. Each case runs the same parameters twice through n8n's engine
 * against the emulator, once dry and once for real, and compares the dry run's requests with what
 * the emulator received.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import type { RecordedRequest } from '../../emulator/server';
import { runWorkflow } from '../../harness/engine';
import type { InputItem, RunOptions, RunResult } from '../../harness/engine';
import type { MediaHost } from '../../harness/mediaServer';
import { startMediaHost } from '../../harness/mediaServer';
import { D, emulatorCredentials, fixture, sha256, useEmulator, videoItem } from '../../harness/setup';

const emulator = useEmulator();
let host: MediaHost;
beforeAll(async () => {
	host = await startMediaHost();
});
afterAll(async () => await host.close());
beforeEach(() => {
	host.requests.length = 0;
});

const SECRETS = [D.lancepilotToken, D.dialog360ApiKey, D.metaAccessToken];
const RECIPIENT = '+49 151 2345 6789';
const VIDEO = 'baseline-aac-faststart.mp4';
const locator = (value: string) => ({ __rl: true, mode: 'list', value });

type Provider = 'lancepilot' | 'dialog360' | 'whatsappCloud';
type Source = 'binary' | 'url link' | 'url upload' | 'mediaId';
type MessageType = 'video' | 'template' | 'buttons';

const PROVIDER_BASE: Record<Provider, INodeParameters> = {
	lancepilot: { provider: 'lancepilot', workspaceId: D.workspaceId, contactBy: 'number' },
	dialog360: { provider: 'dialog360' },
	whatsappCloud: { provider: 'whatsappCloud' },
};

const baseUrlOf = (provider: Provider) =>
	({ lancepilot: emulator().lancepilotBaseUrl, dialog360: emulator().dialog360BaseUrl, whatsappCloud: emulator().metaBaseUrl })[provider];

function messageParameters(provider: Provider, messageType: MessageType): INodeParameters {
	if (messageType === 'video') return { caption: 'Spring is here' };
	if (messageType === 'buttons') {
		return {
			messageType,
			bodyText: 'Would you like a demo?',
			footerText: 'Answer any time',
			replyButtons: { button: [{ id: 'yes', title: 'Yes' }, { id: 'no', title: 'No' }] },
		};
	}
	return {
		messageType,
		template: locator(provider === 'lancepilot' ? '41' : 'spring_promo|en_US'),
		bodyParameters: { parameter: [{ text: 'Ada' }, { text: '20%' }] },
		buttonParameter: 'SPRING-ADA',
	};
}

/** Parameters and input for one case; a media ID is uploaded for real first, as a user would have. */
async function caseOf(provider: Provider, source: Source, messageType: MessageType): Promise<{ parameters: INodeParameters; items: InputItem[] }> {
	const parameters: INodeParameters = { ...PROVIDER_BASE[provider], recipient: RECIPIENT, ...messageParameters(provider, messageType) };
	if (source === 'binary') return { parameters: { ...parameters, source: 'binary' }, items: [videoItem(VIDEO)] };
	if (source === 'mediaId') {
		const upload = await send({ ...PROVIDER_BASE[provider], recipient: RECIPIENT, source: 'binary' }, [videoItem(VIDEO)]);
		return { parameters: { ...parameters, source: 'mediaId', mediaId: upload.items[0].json.mediaId as string }, items: [{}] };
	}
	const videoUrl = `${host.origin}/files/${VIDEO}`;
	const options = source === 'url upload' ? { urlDelivery: 'upload' } : { checkLink: true };
	return { parameters: { ...parameters, source: 'url', videoUrl, options }, items: [{}] };
}

function send(parameters: INodeParameters, items: InputItem[], options: Partial<RunOptions> = {}): Promise<RunResult> {
	return runWorkflow({ parameters, items, credentials: emulatorCredentials(emulator()), ...options });
}

function dryRunOf(parameters: INodeParameters): INodeParameters {
	return { ...parameters, options: { ...(parameters.options as IDataObject | undefined), dryRun: true } };
}

/** The emulator's requests from `mark` on, in arrival order. */
const requestsSince = (mark: number) => emulator().requests.filter((request) => request.id >= mark).sort((a, b) => a.id - b.id);
const nextRequestId = () => Math.max(-1, ...emulator().requests.map((request) => request.id)) + 1;

/** A request the emulator received, in the dry run's form: the file described, not its bytes. */
function asDryRunRequest(provider: Provider, request: RecordedRequest): IDataObject {
	const url = `${baseUrlOf(provider)}${request.path}`;
	if (!request.multipart) return { method: request.method, url, bodyType: 'json', body: request.json as IDataObject };
	const body = Object.fromEntries(
		request.multipart.map((part) => [
			part.name,
			part.filename === undefined ? part.value : { name: part.filename, type: part.contentType, size: part.size, sha256: part.sha256 },
		]),
	);
	return { method: request.method, url, bodyType: 'multipart', body };
}

const TEMPLATE_LISTINGS = ['/v1/configs/templates', `/${D.metaGraphApiVersion}/${D.metaBusinessAccountId}/message_templates`, `/workspaces/${D.workspaceId}/templates`];

const CASES: Array<{ provider: Provider; source: Source; messageType: MessageType }> = [];
for (const provider of ['lancepilot', 'dialog360', 'whatsappCloud'] as Provider[]) {
	for (const source of ['binary', 'url link', 'url upload', 'mediaId'] as Source[]) {
		for (const messageType of ['video', 'template', 'buttons'] as MessageType[]) {
			const cloudApiOnly = source === 'url upload' || source === 'mediaId' || messageType === 'buttons';
			if (provider !== 'lancepilot' || !cloudApiOnly) CASES.push({ provider, source, messageType });
		}
	}
}

describe('Dry Run: the requests a real run sends, and nothing sent', () => {
	test.each(CASES)('$provider, $source, $messageType', async ({ provider, source, messageType }) => {
		const { parameters, items } = await caseOf(provider, source, messageType);

		const dryMark = nextRequestId();
		host.requests.length = 0;
		const dry = await send(dryRunOf(parameters), items);
		expect(dry.error).toBeUndefined();
		// Only reads reached the provider: the template's definition, to check the template.
		const seenInDryRun = requestsSince(dryMark);
		expect(seenInDryRun.filter((request) => request.method !== 'GET')).toEqual([]);
		expect(seenInDryRun.every((request) => TEMPLATE_LISTINGS.includes(request.path))).toBe(true);
		expect(seenInDryRun.length > 0).toBe(messageType === 'template');
		// Check Link Before Sending asked the video's host, as it does before a real send.
		if (source === 'url link') expect(host.requests.map((request) => request.method)).toEqual(['HEAD']);

		const realMark = nextRequestId();
		const real = await send(parameters, items);
		expect(real.error).toBeUndefined();
		const sent = requestsSince(realMark).filter((request) => request.method === 'POST');
		const uploaded = sent.find((request) => request.created?.kind === 'media');
		// The real media ID stands where the dry run shows its placeholder.
		const realMediaId = uploaded ? (uploaded.responseBody as { id: string }).id : undefined;
		const expected = sent.map((request) => asDryRunRequest(provider, request));
		const placeholder = '<media id of the upload in item 0>';
		const expectedText = realMediaId ? JSON.stringify(expected).split(realMediaId).join(placeholder) : JSON.stringify(expected);

		const [item] = dry.items;
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(item.json).toMatchObject({ provider, recipient: '4915123456789', status: 'dryRun' });
		expect(item.json.requests).toEqual(JSON.parse(expectedText));
		expect(item.json.requests).toHaveLength(source === 'binary' || source === 'url upload' ? (provider === 'lancepilot' ? 1 : 2) : 1);
		if (messageType === 'template') expect(item.json.template).toEqual(real.items[0].json.template);
		if (source === 'binary' || source === 'url upload') {
			expect(item.json.video).toEqual(real.items[0].json.video);
			expect(JSON.stringify(item.json.requests)).toContain(sha256(fixture(VIDEO)));
		}
		const output = JSON.stringify(dry.items);
		for (const secret of SECRETS) expect(output).not.toContain(secret);
	});

	test('a video whose moov box comes last is described as the bytes the real upload carries, after Fix Faststart', async () => {
		const parameters = { provider: 'dialog360', recipient: RECIPIENT, source: 'binary' };
		const dry = await send(dryRunOf(parameters), [videoItem('moov-at-end.mp4')]);
		expect(emulator().requests).toEqual([]);
		await send(parameters, [videoItem('moov-at-end.mp4')]);

		const [upload] = dry.items[0].json.requests as IDataObject[];
		const file = emulator().uploads()[0].multipart?.find((part) => part.filename !== undefined);
		expect(file?.sha256).not.toBe(sha256(fixture('moov-at-end.mp4')));
		expect(upload.body).toMatchObject({ file: { name: 'moov-at-end.mp4', type: 'video/mp4', size: file?.size, sha256: file?.sha256 } });
	});

	test('items sharing one binary: the upload is listed once, and every message names the item whose upload it uses', async () => {
		const { binary } = videoItem(VIDEO);
		const items = [0, 1, 2].map((index) => ({ json: { phone: `+4915100000${index}` }, binary }));
		const result = await send(dryRunOf({ provider: 'whatsappCloud', recipient: '={{ $json.phone }}', source: 'binary' }), items);

		expect(emulator().requests).toEqual([]);
		const requests = result.items.map((item) => item.json.requests as IDataObject[]);
		const uploader = requests.findIndex((list) => list.length === 2);
		expect(requests.filter((list) => list.length === 2)).toHaveLength(1);
		for (const [index, list] of requests.entries()) {
			expect(list.at(-1)?.body).toMatchObject({ to: `4915100000${index}`, video: { id: `<media id of the upload in item ${uploader}>` } });
		}
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	});
});

describe('Dry Run: checks fail as in a real run', () => {
	const cases: Array<{ what: string; parameters: INodeParameters; items: InputItem[] }> = [
		{ what: 'a national phone number', parameters: { provider: 'dialog360', recipient: '0151 2345 6789', source: 'url', videoUrl: 'https://cdn.example.com/a.mp4' }, items: [{}] },
		{ what: 'a PNG as the video', parameters: { provider: 'dialog360', recipient: RECIPIENT, source: 'binary' }, items: [videoItem('not-a-video.png')] },
		{ what: 'an HEVC video (Video Check)', parameters: { ...PROVIDER_BASE.lancepilot, recipient: RECIPIENT, source: 'binary' }, items: [videoItem('hevc.mp4')] },
		{
			what: 'a button title of 21 characters',
			parameters: { ...dryRunFree('whatsappCloud', 'buttons'), replyButtons: { button: [{ id: 'yes', title: 'x'.repeat(21) }] } },
			items: [{}],
		},
		{
			what: 'a template with one body parameter too few',
			parameters: { ...dryRunFree('dialog360', 'template'), bodyParameters: { parameter: [{ text: 'Ada' }] } },
			items: [{}],
		},
		{
			what: 'a link that answers 404 (Check Link Before Sending)',
			parameters: { provider: 'dialog360', recipient: RECIPIENT, source: 'url', videoUrl: 'HOST/missing', options: { checkLink: true } },
			items: [{}],
		},
	];

	function dryRunFree(provider: Provider, messageType: MessageType): INodeParameters {
		return { ...PROVIDER_BASE[provider], recipient: RECIPIENT, source: 'url', videoUrl: 'https://cdn.example.com/a.mp4', ...messageParameters(provider, messageType) };
	}

	test.each(cases)('$what', async ({ parameters, items }) => {
		const resolved = JSON.parse(JSON.stringify(parameters).replace('HOST', host.origin)) as INodeParameters;
		const dry = await send(dryRunOf(resolved), items);
		const writes = () => emulator().requests.filter((request) => request.method !== 'GET');
		expect(writes()).toEqual([]);
		const real = await send(resolved, items);
		expect(writes()).toEqual([]);

		expect(dry.items).toEqual([]);
		expect(dry.error?.message).toBeDefined();
		expect(dry.error?.message).toBe(real.error?.message);
		expect(dry.error?.description).toBe(real.error?.description);
	});
});

describe('Dry Run and Send Once', () => {
	it('neither claims nor records keys: a real run after a dry run sends, a dry run after a real one shows the requests', async () => {
		const workflowId = 'dry-run-send-once';
		const parameters = { provider: 'dialog360', recipient: RECIPIENT, source: 'url', videoUrl: 'https://cdn.example.com/a.mp4', options: { sendOnce: true } };
		const run = (options: INodeParameters) => send(options, [{}], { workflowId });

		expect((await run(dryRunOf(parameters))).items[0].json.status).toBe('dryRun');
		expect((await run(parameters)).items[0].json.status).toBe('accepted');
		expect((await run(dryRunOf(parameters))).items[0].json.status).toBe('dryRun');
		expect((await run(parameters)).items[0].json).toMatchObject({ status: 'skipped', reason: 'alreadySent' });
		expect(emulator().messagesCreated()).toHaveLength(1);
	});
});
