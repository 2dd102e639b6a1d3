/**
 * Video URLs: "Download and Upload" for 360dialog (the video is fetched here, checked like a binary,
 * uploaded and sent by media id) and "Check Link Before Sending" for plain links.
 */
import type { INodeParameters } from 'n8n-workflow';

import { runWorkflow } from '../../harness/engine';
import type { MediaHost } from '../../harness/mediaServer';
import { startMediaHost } from '../../harness/mediaServer';
import { D, emulatorCredentials, fixture, sha256, useEmulator } from '../../harness/setup';

const emulator = useEmulator();
let host: MediaHost;
beforeAll(async () => {
	host = await startMediaHost();
});
afterAll(async () => {
	await host.close();
});
beforeEach(() => {
	host.requests.length = 0;
});

async function send(parameters: INodeParameters) {
	return await runWorkflow({ parameters, items: [{}], credentials: emulatorCredentials(emulator()), continueOnFail: true });
}

const upload = (path: string, options: INodeParameters = {}) => ({
	provider: 'dialog360',
	recipient: '+4915123456789',
	source: 'url',
	videoUrl: `${host.origin}${path}`,
	options: { urlDelivery: 'upload', ...options },
});
const checkedLink = (provider: 'lancepilot' | 'dialog360', path: string) => ({
	...(provider === 'lancepilot' ? { provider, workspaceId: D.workspaceId, contactBy: 'number' } : { provider }),
	recipient: '+4915123456789',
	source: 'url',
	videoUrl: `${host.origin}${path}`,
	options: { checkLink: true },
});

describe('360dialog "Download and Upload"', () => {
	test('downloads the video, checks it, uploads the bytes and sends the media id', async () => {
		const result = await send(upload('/files/main-no-bframes.mp4'));
		expect(result.items[0].json.error).toBeUndefined();
		const [uploaded] = emulator().uploads();
		expect(uploaded.multipart?.[1]).toMatchObject({
			filename: 'main-no-bframes.mp4',
			contentType: 'video/mp4',
			sha256: sha256(fixture('main-no-bframes.mp4')),
		});
		const mediaId = (uploaded.responseBody as { id: string }).id;
		expect(emulator().messagesCreated()[0].json).toMatchObject({ video: { id: mediaId } });
		expect(result.items[0].json).toMatchObject({ mediaId, video: { codec: 'H.264', profile: 'Main' } });
	});

	test('follows up to 5 redirects', async () => {
		const result = await send(upload('/redirect/5/baseline-aac-faststart.mp4'));
		expect(result.items[0].json.status).toBe('accepted');
		expect(host.requests.map((request) => request.path)).toHaveLength(6);
	});

	test.each([
		['a 6th redirect', '/redirect/6/baseline-aac-faststart.mp4', /redirects more than 5 times/],
		['a redirect to ftp:', '/to-ftp', /"ftp" scheme is not allowed/],
		['an HTML page', '/page', /answered with a web page \(text\/html\), not a video/],
		['a 404', '/missing', /answered HTTP 404 instead of the video/],
		['a declared 17 MB', '/huge-declared', /is 17\.0 MB; WhatsApp accepts at most 16 MB/],
		['64 MB without a declared length', '/huge-chunked', /larger than 16 MB \(download stopped at \d+ bytes\)/],
		['a video WhatsApp cannot play', '/files/hevc.mp4', /the video is HEVC/],
		['a PNG', '/files/not-a-video.png', /the file is a PNG image/],
	])('refuses %s, and nothing reaches the provider', async (_name, path, problem) => {
		const result = await send(upload(path));
		expect(result.items[0].json.error).toMatch(problem);
		expect(emulator().requests).toEqual([]);
	});

	test.each([
		['a video WhatsApp cannot play', '/files/hevc.mp4', {}],
		['B-frames under a strict Video Check', '/files/high-bframes.mp4', { videoCheck: 'strict' }],
	])('names "Video URL", the field the video came from, when it refuses %s', async (_name, path, options) => {
		const result = await send(upload(path, options));
		expect(result.items[0].json.error).toMatch(/^Invalid "Video URL" in item 0: /);
		expect(emulator().requests).toEqual([]);
	});

	test('Video Check "off" sends a downloaded video without looking inside it', async () => {
		const result = await send(upload('/files/high-bframes.mp4', { videoCheck: 'off' }));
		expect(result.items[0].json).toMatchObject({ status: 'accepted' });
		expect(result.items[0].json.video).toBeUndefined();
		expect(emulator().uploads()[0].multipart?.[1]).toMatchObject({ sha256: sha256(fixture('high-bframes.mp4')) });
	});

	test('stops reading an oversized download at the limit instead of buffering all of it', async () => {
		await send(upload('/huge-chunked'));
		const [request] = host.requests;
		// The host offers 64 MB; it gets rid of 16 MB plus what the socket buffers take, no more.
		expect(request.bytesSent).toBeLessThan(32 * 1024 * 1024);
	});

	test('gives up on a host that stops sending, after the request timeout', async () => {
		const result = await send(upload('/stall', { timeoutSeconds: 1 }));
		expect(result.items[0].json.error).toMatch(/took longer than 1 s/);
		expect(emulator().requests).toEqual([]);
	});
});

describe.each(['lancepilot', 'dialog360'] as const)('"Check Link Before Sending" with %s', (provider) => {
	test('a link that answers 200 with a video is sent as a link, after a HEAD request', async () => {
		const result = await send(checkedLink(provider, '/files/baseline-aac-faststart.mp4'));
		expect(result.items[0].json.status).toMatch(/^(created|accepted)$/);
		expect(host.requests.map((request) => request.method)).toEqual(['HEAD']);
		expect(JSON.stringify(emulator().messagesCreated()[0].json)).toContain(`${host.origin}/files/baseline-aac-faststart.mp4`);
	});

	test('a server that refuses HEAD is asked for one byte instead', async () => {
		const result = await send(checkedLink(provider, '/no-head/baseline-aac-faststart.mp4'));
		expect(result.items[0].json.status).toMatch(/^(created|accepted)$/);
		expect(host.requests.map((request) => [request.method, request.range])).toEqual([
			['HEAD', undefined],
			['GET', 'bytes=0-0'],
		]);
	});

	test.each([
		['/missing', /answered HTTP 404/],
		['/page', /web page \(text\/html\)/],
		['/text', /says the file is "text\/plain", not a video/],
		['/huge-declared', /17\.0 MB/],
	])('%s is refused before the message is sent', async (path, problem) => {
		const result = await send(checkedLink(provider, path));
		expect(result.items[0].json.error).toMatch(problem);
		expect(emulator().requests).toEqual([]);
	});
});
