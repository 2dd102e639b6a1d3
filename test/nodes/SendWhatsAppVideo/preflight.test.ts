/**
 * The video check, through the engine against the emulator: every fixture (made with ffmpeg, see
 * test/fixtures/README.md) is sent, warned about or refused as WhatsApp's rules say, for both
 * providers and both binary data modes; a refused item sends nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { INodeParameters } from 'n8n-workflow';

import { BINARY_MODES, runWorkflow } from '../../harness/engine';
import { moveMoovToFront } from '../../../nodes/SendWhatsAppVideo/mp4/faststart';
import { D, emulatorCredentials, fixture, FIXTURES_DIR, sha256, useEmulator, videoItem } from '../../harness/setup';

const emulator = useEmulator();

interface ProbedStream {
	codec_type: string;
	profile?: string;
	level?: number;
	width?: number;
	height?: number;
}
const probed = JSON.parse(readFileSync(join(FIXTURES_DIR, 'ffprobe.json'), 'utf8')) as Record<string, { streams: ProbedStream[] }>;

const providers: Record<string, INodeParameters> = {
	lancepilot: { provider: 'lancepilot', workspaceId: D.workspaceId, contactBy: 'number', recipient: '+4915123456789', source: 'binary' },
	dialog360: { provider: 'dialog360', recipient: '+4915123456789', source: 'binary' },
};

async function sendFixture(provider: string, name: string, videoCheck: string, binaryMode: 'memory' | 'filesystem' = 'memory') {
	return await runWorkflow({
		parameters: { ...providers[provider], options: { videoCheck } },
		items: [videoItem(name)],
		credentials: emulatorCredentials(emulator()),
		binaryMode,
		continueOnFail: true,
	});
}

describe.each(Object.keys(providers))('video check with %s', (provider) => {
	test.each([
		['baseline-aac-faststart.mp4', 'Constrained Baseline'],
		['main-no-bframes.mp4', 'Main'],
		['h264.3gp', 'Constrained Baseline'],
		['co64.mp4', 'Constrained Baseline'],
	])('%s plays everywhere: sent, with what ffprobe reports and no warning', async (name, profile) => {
		const result = await sendFixture(provider, name, 'standard');
		const video = probed[name].streams.find((stream) => stream.codec_type === 'video') as ProbedStream;
		expect(result.items[0].json.video).toEqual({
			container: name.endsWith('.3gp') ? '3gp' : 'mp4',
			codec: 'H.264',
			profile,
			level: (video.level as number) / 10,
			bFrames: false,
			faststart: true,
			width: video.width,
			height: video.height,
			duration: expect.closeTo(2, 1),
			audio: 'AAC',
			audioTracks: 1,
			size: readFileSync(join(FIXTURES_DIR, name)).length,
			faststartFixed: false,
			warnings: [],
		});
		expect(emulator().messagesCreated()).toHaveLength(1);
	});

	test('a video without sound is sent, with no audio reported', async () => {
		const result = await sendFixture(provider, 'no-audio.mp4', 'standard');
		expect(result.items[0].json.video).toMatchObject({ audio: null, audioTracks: 0, warnings: [] });
		expect(emulator().messagesCreated()).toHaveLength(1);
	});

	test('High profile with B-frames is sent with a warning that gives the fix', async () => {
		const result = await sendFixture(provider, 'high-bframes.mp4', 'standard');
		const video = result.items[0].json.video as { profile: string; bFrames: boolean; warnings: string[] };
		expect(video).toMatchObject({ profile: 'High', bFrames: true });
		expect(video.warnings).toEqual([expect.stringMatching(/^The video is H\.264 High profile with B-frames, which many Android phones do not play\. Re-encode it as Main profile without B-frames: `ffmpeg .*-profile:v main -bf 0/)]);
		expect(emulator().messagesCreated()).toHaveLength(1);
	});

	test('High profile with B-frames is refused in strict mode, and nothing is sent', async () => {
		const result = await sendFixture(provider, 'high-bframes.mp4', 'strict');
		expect(result.items[0].json.error).toBe(
			'Invalid "Input Binary Field" in item 0: the video is H.264 High profile with B-frames, which many Android phones do not play',
		);
		expect(result.items[0].json.description).toMatch(/-bf 0/);
		expect(emulator().requests).toEqual([]);
	});

	test.each([
		['hevc.mp4', /the video is HEVC \(H\.265, as iPhones record\); WhatsApp plays only H\.264/, /libx264/],
		['h263.3gp', /the video is H\.263; WhatsApp plays only H\.264/, /libx264/],
		['two-audio.mp4', /the file has 2 audio tracks; WhatsApp accepts at most one/, /-map 0:a:0/],
	])('%s is refused before anything is sent', async (name, problem, fix) => {
		const result = await sendFixture(provider, name, 'standard');
		expect(result.items[0].json.error).toMatch(problem);
		expect(result.items[0].json.description).toMatch(fix);
		expect(emulator().requests).toEqual([]);
	});

	test('a video with moov at the end is sent with moov moved to the front, samples untouched', async () => {
		const result = await sendFixture(provider, 'moov-at-end.mp4', 'standard');
		expect(result.items[0].json.video).toMatchObject({ faststart: true, faststartFixed: true, warnings: [] });
		const [part] = (provider === 'dialog360' ? emulator().uploads()[0] : emulator().messagesCreated()[0]).multipart?.filter((p) => p.name === 'file') ?? [];
		expect(part.sha256).toBe(sha256(moveMoovToFront(fixture('moov-at-end.mp4'))));
		expect(part.sha256).not.toBe(sha256(fixture('moov-at-end.mp4')));
	});

	test('with Fix Faststart off, a moov-at-end video goes as it is, with a warning', async () => {
		const result = await runWorkflow({
			parameters: { ...providers[provider], options: { fixFaststart: false } },
			items: [videoItem('moov-at-end.mp4')],
			credentials: emulatorCredentials(emulator()),
			continueOnFail: true,
		});
		const video = result.items[0].json.video as { faststart: boolean; faststartFixed: boolean; warnings: string[] };
		expect(video).toMatchObject({ faststart: false, faststartFixed: false });
		expect(video.warnings).toEqual([expect.stringMatching(/moov box comes after the media data.*-movflags \+faststart/)]);
		const [part] = (provider === 'dialog360' ? emulator().uploads()[0] : emulator().messagesCreated()[0]).multipart?.filter((p) => p.name === 'file') ?? [];
		expect(part.sha256).toBe(sha256(fixture('moov-at-end.mp4')));
	});

	test('with the check off, even HEVC is sent and no findings are reported', async () => {
		const result = await sendFixture(provider, 'hevc.mp4', 'off');
		expect(result.items[0].json.status).toMatch(/^(created|accepted)$/);
		expect(result.items[0].json.video).toBeUndefined();
	});
});

describe.each(BINARY_MODES)('video check in %s binary mode', (binaryMode) => {
	test('findings and refusals are the same whatever holds the bytes', async () => {
		const good = await sendFixture('dialog360', 'main-no-bframes.mp4', 'standard', binaryMode);
		const bad = await sendFixture('dialog360', 'hevc.mp4', 'standard', binaryMode);
		expect(good.items[0].json.video).toMatchObject({ codec: 'H.264', profile: 'Main', bFrames: false });
		expect(bad.items[0].json.error).toMatch(/HEVC/);
		expect(emulator().messagesCreated()).toHaveLength(1);
	});

	test('a damaged MP4 (moov cut off) is refused as not valid', async () => {
		const truncated = readFileSync(join(FIXTURES_DIR, 'moov-at-end.mp4')).subarray(0, 20000);
		const result = await runWorkflow({
			parameters: { ...providers.lancepilot, options: {} },
			items: [{ binary: { data: { bytes: truncated, fileName: 'cut.mp4', mimeType: 'video/mp4' } } }],
			credentials: emulatorCredentials(emulator()),
			binaryMode,
			continueOnFail: true,
		});
		expect(result.items[0].json.error).toMatch(/^Invalid "Input Binary Field" in item 0: the file is not a valid MP4\/3GP: /);
		expect(emulator().requests).toEqual([]);
	});
});
