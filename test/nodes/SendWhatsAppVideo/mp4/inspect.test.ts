import { readFileSync } from 'fs';
import { join } from 'path';

import { InvalidVideoError } from '../../../../nodes/SendWhatsAppVideo/mp4/boxes';
import { inspectVideo, type VideoInspection } from '../../../../nodes/SendWhatsAppVideo/mp4/inspect';
import {
	VIDEOS_DIR,
	ascii,
	box,
	concat,
	fixture,
	fullBox,
	listBoxes,
	parseWithMp4Box,
	readU32,
	typeAt,
	u16,
	u32,
	u64,
	writeU32,
} from './helpers';
import { sampleTable } from './sample-tables';

interface ProbedStream {
	codec_type: string;
	codec_name: string;
	codec_tag_string: string;
	profile: string | null;
	level: number | null;
	width: number | null;
	height: number | null;
	has_b_frames: number | null;
}

interface ProbedFile {
	major_brand: string | null;
	size: number;
	duration: number | null;
	streams: ProbedStream[];
	top_level_boxes: string[] | null;
}

const probed = JSON.parse(readFileSync(join(VIDEOS_DIR, 'ffprobe.json'), 'utf8')) as Record<string, ProbedFile>;
const fixtureNames = Object.keys(probed).filter((name) => !name.startsWith('_'));
const playableNames = fixtureNames.filter((name) => probed[name].top_level_boxes !== null && name !== 'quicktime.mov');

function trackCount(inspection: VideoInspection): number {
	return inspection.video.length + inspection.audio.length + inspection.otherTracks.length;
}

function expectInvalid(run: () => unknown, message?: RegExp): InvalidVideoError {
	let thrown: unknown;
	try {
		run();
	} catch (error) {
		thrown = error;
	}
	expect(thrown).toBeInstanceOf(InvalidVideoError);
	const error = thrown as InvalidVideoError;
	expect(error.message).toMatch(/^not a valid MP4\/3GP: /);
	if (message) expect(error.message).toMatch(message);
	return error;
}

/** The payload of the first mdat, from its header. */
function mdatRange(bytes: Uint8Array, inspection: VideoInspection): { start: number; end: number } {
	const offset = inspection.mdatOffset as number;
	expect(typeAt(bytes, offset + 4)).toBe('mdat');
	return { start: offset + 8, end: offset + readU32(bytes, offset) };
}

const FFPROBE_CODEC_NAMES: Record<string, string> = { h264: 'H.264', hevc: 'HEVC', h263: 'H.263' };

describe('inspectVideo on the fixtures, against what ffprobe reported', () => {
	it.each(playableNames)('%s', (name) => {
		const expected = probed[name];
		const bytes = fixture(name);
		expect(bytes.length).toBe(expected.size);
		const inspection = inspectVideo(bytes);

		expect(inspection.majorBrand).toBe(expected.major_brand);
		expect(inspection.container).toBe(name.endsWith('.3gp') ? '3gp' : 'mp4');
		expect(inspection.durationSeconds).toBeCloseTo(expected.duration as number, 1);
		const boxes = expected.top_level_boxes as string[];
		expect(inspection.faststart).toBe(boxes.indexOf('moov') < boxes.indexOf('mdat'));
		expect(typeAt(bytes, inspection.moovOffset + 4)).toBe('moov');
		expect(typeAt(bytes, (inspection.mdatOffset as number) + 4)).toBe('mdat');

		const videoStreams = expected.streams.filter((stream) => stream.codec_type === 'video');
		expect(inspection.video).toHaveLength(videoStreams.length);
		videoStreams.forEach((stream, index) => {
			const track = inspection.video[index];
			expect(track.codec).toBe(stream.codec_tag_string);
			expect(track.codecName).toBe(FFPROBE_CODEC_NAMES[stream.codec_name]);
			expect(track.width).toBe(stream.width);
			expect(track.height).toBe(stream.height);
			expect(track.bFrames).toBe((stream.has_b_frames as number) > 0);
			if (stream.codec_name === 'h264') {
				expect(track.profile).toBe(stream.profile);
				expect(track.level).toBe((stream.level as number) / 10);
			} else if (stream.codec_name === 'hevc') {
				// ffprobe prints HEVC's general_level_idc, which is 30 times the level.
				expect(track.profile).toBe(stream.profile);
				expect(track.level).toBe((stream.level as number) / 30);
			} else {
				expect(track.profile).toBeUndefined();
			}
		});

		const audioStreams = expected.streams.filter((stream) => stream.codec_type === 'audio');
		expect(inspection.audio).toHaveLength(audioStreams.length);
		audioStreams.forEach((stream, index) => {
			const track = inspection.audio[index];
			expect(track.codec).toBe(stream.codec_tag_string);
			expect(stream.codec_name).toBe('aac');
			expect(track.codecName).toBe('AAC');
			expect(track.objectType).toBe(0x40);
			expect(stream.profile).toBe('LC');
			expect(track.audioObjectType).toBe(2);
		});
		expect(inspection.otherTracks).toEqual([]);
	});

	it('gives the evidence for B-frames', () => {
		expect(inspectVideo(fixture('high-bframes.mp4')).video[0].bFramesEvidence).toEqual([
			'ctts with non-zero composition offsets',
			'ctts present in a High profile stream (a profile that allows B-frames)',
		]);
		expect(inspectVideo(fixture('hevc.mp4')).video[0].bFramesEvidence).toEqual(['ctts with non-zero composition offsets']);
		expect(inspectVideo(fixture('main-no-bframes.mp4')).video[0].bFramesEvidence).toEqual([]);
	});

	it('numbers tracks in file order, as sampleTable takes them', () => {
		const inspection = inspectVideo(fixture('two-audio.mp4'));
		expect(inspection.video.map((track) => track.trackIndex)).toEqual([0]);
		expect(inspection.audio.map((track) => track.trackIndex)).toEqual([1, 2]);
	});

	it.each(['not-a-video.png', 'png-named.mp4'])('rejects %s and says it is a PNG', (name) => {
		expectInvalid(() => inspectVideo(fixture(name)), /PNG image/);
		expectInvalid(() => sampleTable(fixture(name), 0), /PNG image/);
	});

	it("rejects quicktime.mov: brand 'qt  ' with no MP4 compatible brand", () => {
		expectInvalid(() => inspectVideo(fixture('quicktime.mov')), /QuickTime \.mov file \(brand 'qt  ', compatible brands 'qt  '\)/);
	});

	it('accepts the same .mov once its ftyp names an MP4 brand, reading esds from the QuickTime wave box', () => {
		const bytes = fixture('quicktime.mov');
		expect(typeAt(bytes, 16)).toBe('qt  ');
		bytes.set(ascii('isom'), 16);
		const inspection = inspectVideo(bytes);
		expect(inspection).toMatchObject({ container: 'mp4', majorBrand: 'qt  ', compatibleBrands: ['isom'], faststart: true });
		expect(inspection.video).toMatchObject([{ codec: 'avc1', profile: 'Constrained Baseline', level: 3, width: 160, height: 120, bFrames: false }]);
		expect(inspection.audio).toEqual([{ trackIndex: 1, codec: 'mp4a', codecName: 'AAC', objectType: 0x40, audioObjectType: 2 }]);
	});
});

describe('cross-check with mp4box (GPAC)', () => {
	let errorSpy: jest.SpyInstance;
	beforeEach(() => {
		// mp4box logs what it skips (e.g. the QuickTime terminator box) through console.error.
		errorSpy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
	});
	afterEach(() => errorSpy.mockRestore());

	it.each(playableNames)('%s: brands, duration, box order, tracks, codecs, sizes and samples agree', (name) => {
		const bytes = fixture(name);
		const mine = inspectVideo(bytes);
		const theirs = parseWithMp4Box(bytes);
		if (!theirs) throw new Error(`mp4box found no movie in ${name}`);

		expect(theirs.brands).toEqual([mine.majorBrand, ...mine.compatibleBrands]);
		expect(mine.durationSeconds).toBeCloseTo(theirs.durationSeconds, 6);
		expect(mine.faststart).toBe(theirs.isProgressive);
		expect(theirs.tracks).toHaveLength(trackCount(mine));

		for (const video of mine.video) {
			const track = theirs.tracks[video.trackIndex];
			expect(track.handler).toBe('vide');
			const [fourcc, ...details] = track.codec.split('.');
			expect(video.codec).toBe(fourcc);
			expect({ width: video.width, height: video.height }).toEqual({ width: track.width, height: track.height });
			if (fourcc === 'avc1') {
				// RFC 6381: avc1.PPCCLL, profile_idc, constraint flags and level_idc in hex.
				const [profileIdc, constraints, levelIdc] = [0, 2, 4].map((at) => parseInt(details[0].slice(at, at + 2), 16));
				expect(video.profileIdc).toBe(profileIdc);
				expect(video.level).toBe(levelIdc / 10);
				if (profileIdc === 66) expect(video.profile).toBe(constraints & 0x40 ? 'Constrained Baseline' : 'Baseline');
			} else if (fourcc === 'hvc1') {
				// hvc1.<space><profile_idc>.<compat>.<tier><level_idc>...
				expect(video.profileIdc).toBe(parseInt(details[0].replace(/^[ABC]/, ''), 10));
				expect(video.level).toBe(parseInt(details[2].slice(1), 10) / 30);
			}
		}
		for (const audio of mine.audio) {
			const track = theirs.tracks[audio.trackIndex];
			expect(track.handler).toBe('soun');
			expect(track.type).toBe('audio');
			// mp4a.OT.AOT: object type indication in hex, audio object type in decimal.
			const [fourcc, objectType, audioObjectType] = track.codec.split('.');
			expect(audio.codec).toBe(fourcc);
			expect(audio.objectType).toBe(parseInt(objectType, 16));
			expect(audio.audioObjectType).toBe(parseInt(audioObjectType, 10));
		}

		const mdat = mdatRange(bytes, mine);
		theirs.tracks.forEach((track, trackIndex) => {
			const samples = sampleTable(bytes, trackIndex);
			expect(samples).toEqual(track.samples);
			expect(samples.reduce((sum, sample) => sum + sample.size, 0)).toBe(track.size);
			for (const sample of samples) {
				expect(sample.offset).toBeGreaterThanOrEqual(mdat.start);
				expect(sample.offset + sample.size).toBeLessThanOrEqual(mdat.end);
			}
		});
	});

	it('mp4box reads quicktime.mov, whose brands are what the inspector rejects it for', () => {
		const theirs = parseWithMp4Box(fixture('quicktime.mov'));
		expect(theirs?.brands).toEqual(['qt  ', 'qt  ']);
		expect(theirs?.tracks.map((track) => track.codec)).toEqual(['avc1.42c01e', 'mp4a.40.2']);
	});

	it('mp4box finds no movie in the PNGs either', () => {
		expect(parseWithMp4Box(fixture('not-a-video.png'))).toBeUndefined();
	});

	it('mp4box calls the H.263 track "metadata" (it has no s263 visual entry); its hdlr says vide, as the inspector does', () => {
		const theirs = parseWithMp4Box(fixture('h263.3gp'));
		expect(theirs?.tracks[0]).toMatchObject({ codec: 's263', type: 'metadata', handler: 'vide' });
		expect(inspectVideo(fixture('h263.3gp')).video[0].codec).toBe('s263');
	});
});

describe('sampleTable', () => {
	function sampleBytes(bytes: Uint8Array, trackIndex: number): Uint8Array[] {
		return sampleTable(bytes, trackIndex).map((sample) => bytes.subarray(sample.offset, sample.offset + sample.size));
	}

	it.each(['moov-at-end.mp4', 'co64.mp4'])('%s has sample for sample the bytes of baseline-aac-faststart.mp4', (name) => {
		const reference = fixture('baseline-aac-faststart.mp4');
		const other = fixture(name);
		for (const trackIndex of [0, 1]) {
			const expected = sampleBytes(reference, trackIndex);
			const actual = sampleBytes(other, trackIndex);
			expect(actual).toHaveLength(expected.length);
			expect(actual.map((bytes) => Buffer.from(bytes).toString('hex'))).toEqual(
				expected.map((bytes) => Buffer.from(bytes).toString('hex')),
			);
		}
		// The offsets differ, which is what makes the comparison mean something.
		expect(sampleTable(other, 0)[0].offset).not.toBe(sampleTable(reference, 0)[0].offset);
	});

	it.each(playableNames)("%s: one video sample per frame that ffmpeg's framemd5 decoded", (name) => {
		const framemd5 = readFileSync(join(VIDEOS_DIR, 'framemd5', `${name}.framemd5`), 'utf8');
		const frames = framemd5.split('\n').filter((line) => /^\d+,/.test(line));
		const bytes = fixture(name);
		expect(sampleTable(bytes, inspectVideo(bytes).video[0].trackIndex)).toHaveLength(frames.length);
	});

	it('rejects a track that does not exist', () => {
		const bytes = fixture('no-audio.mp4');
		expectInvalid(() => sampleTable(bytes, 1), /there is no track 1 \(the file has 1 tracks\)/);
		expectInvalid(() => sampleTable(bytes, -1), /no track -1/);
		expectInvalid(() => sampleTable(bytes, 0.5), /no track 0.5/);
	});
});

/** The baseline fixture with its mdat grown (payload appended) so the whole file has `total` bytes. */
function withBigMdat(name: string, total: number): Uint8Array {
	const bytes = fixture(name);
	const inspection = inspectVideo(bytes);
	const mdatStart = inspection.mdatOffset as number;
	const mdatEnd = mdatStart + readU32(bytes, mdatStart);
	const grown = new Uint8Array(total);
	const growth = total - bytes.length;
	grown.set(bytes.subarray(0, mdatEnd), 0);
	grown.set(bytes.subarray(mdatEnd), mdatEnd + growth);
	writeU32(grown, mdatStart, mdatEnd - mdatStart + growth);
	return grown;
}

/** xorshift32, so the "random" garbage is the same on every run. */
function fillWithGarbage(bytes: Uint8Array, from: number, to: number, seed = 0x9e3779b9): void {
	let state = seed;
	for (let offset = from; offset < to; offset++) {
		state ^= state << 13;
		state ^= state >>> 17;
		state ^= state << 5;
		bytes[offset] = state & 0xff;
	}
}

describe('reads only box headers and moov, never the media data', () => {
	const SIZE = 16 * 1024 * 1024 - 1024;

	it('a 16 MB file (the baseline fixture with a big mdat) inspects and lists samples as the 26 KB one does', () => {
		const small = fixture('baseline-aac-faststart.mp4');
		const big = withBigMdat('baseline-aac-faststart.mp4', SIZE);
		expect(big.length).toBe(SIZE);
		expect(inspectVideo(big)).toEqual(inspectVideo(small));
		expect(sampleTable(big, 0)).toEqual(sampleTable(small, 0));
		expect(sampleTable(big, 1)).toEqual(sampleTable(small, 1));
	});

	it('a 16 MB moov-at-end file inspects the same apart from where moov is', () => {
		const small = inspectVideo(fixture('moov-at-end.mp4'));
		const big = inspectVideo(withBigMdat('moov-at-end.mp4', SIZE));
		expect(big).toEqual({ ...small, moovOffset: small.moovOffset + SIZE - fixture('moov-at-end.mp4').length });
		expect(big.faststart).toBe(false);
	});

	it.each(['baseline-aac-faststart.mp4', 'moov-at-end.mp4'])('%s: random garbage in the whole mdat payload changes nothing', (name) => {
		const bytes = withBigMdat(name, SIZE);
		const before = inspectVideo(bytes);
		const mdat = mdatRange(bytes, before);
		fillWithGarbage(bytes, mdat.start, mdat.end);
		expect(inspectVideo(bytes)).toEqual(before);
	});

	it('accepts an mdat cut off right after its header when a complete moov came first', () => {
		const big = withBigMdat('baseline-aac-faststart.mp4', SIZE);
		const before = inspectVideo(big);
		const truncated = big.slice(0, (before.mdatOffset as number) + 8);
		expect(readU32(truncated, before.mdatOffset as number)).toBeGreaterThan(truncated.length);
		expect(inspectVideo(truncated)).toEqual(before);
		// The samples are gone, and sampleTable, which promises readable samples, says so.
		expectInvalid(() => sampleTable(truncated, 0), /sample 1 .* lies past the end of the \d+-byte file/);
	});

	it('rejects the same cut when moov was still to come', () => {
		const big = withBigMdat('moov-at-end.mp4', SIZE);
		const mdatOffset = inspectVideo(big).mdatOffset as number;
		expectInvalid(
			() => inspectVideo(big.slice(0, mdatOffset + 8)),
			/the file is truncated: box 'mdat' at offset 40 declares \d+ bytes but only 8 remain, and no complete moov box came before it/,
		);
	});

	it('ignores a few trailing bytes after a complete file', () => {
		const bytes = concat(fixture('baseline-aac-faststart.mp4'), [0, 0, 0]);
		expect(inspectVideo(bytes)).toEqual(inspectVideo(fixture('baseline-aac-faststart.mp4')));
	});
});

describe('box sizes 0 and 1', () => {
	it('size 0: the last top-level box runs to the end of the file', () => {
		const bytes = fixture('baseline-aac-faststart.mp4');
		const reference = inspectVideo(bytes);
		writeU32(bytes, reference.mdatOffset as number, 0);
		expect(inspectVideo(bytes)).toEqual(reference);
		expect(sampleTable(bytes, 0)).toEqual(sampleTable(fixture('baseline-aac-faststart.mp4'), 0));
	});

	it('size 0 inside moov: the box runs to the end of its parent', () => {
		const bytes = fixture('baseline-aac-faststart.mp4');
		const udta = listBoxes(bytes).find((listed) => listed.type === 'udta');
		expect(udta && udta.offset + udta.size).toBe(inspectVideo(bytes).moovOffset + readU32(bytes, 32));
		writeU32(bytes, (udta as { offset: number }).offset, 0);
		expect(inspectVideo(bytes)).toEqual(inspectVideo(fixture('baseline-aac-faststart.mp4')));
	});

	it('size 1: a 64-bit size follows (the free box and mdat header merged into a 16-byte mdat header)', () => {
		const bytes = fixture('baseline-aac-faststart.mp4');
		const reference = inspectVideo(bytes);
		const mdatOffset = reference.mdatOffset as number;
		const freeOffset = mdatOffset - 8;
		expect(typeAt(bytes, freeOffset + 4)).toBe('free');
		const mdatSize = readU32(bytes, mdatOffset);
		bytes.set([...u32(1), ...ascii('mdat'), ...u64(mdatSize + 8)], freeOffset);
		expect(inspectVideo(bytes)).toEqual({ ...reference, mdatOffset: freeOffset });
		expect(sampleTable(bytes, 1)).toEqual(sampleTable(fixture('baseline-aac-faststart.mp4'), 1));
	});

	it.each([
		[2, /size 2, smaller than its 8-byte header/],
		[7, /size 7, smaller than its 8-byte header/],
	])('rejects size %d', (size, message) => {
		const bytes = fixture('baseline-aac-faststart.mp4');
		writeU32(bytes, 32, size);
		expectInvalid(() => inspectVideo(bytes), message);
	});

	it('rejects a 64-bit size smaller than the 16-byte header', () => {
		const bytes = fixture('baseline-aac-faststart.mp4');
		const mdatOffset = inspectVideo(bytes).mdatOffset as number;
		bytes.set([...u32(1), ...ascii('mdat'), ...u64(15)], mdatOffset - 8);
		expectInvalid(() => inspectVideo(bytes), /64-bit size 15, smaller than its 16-byte header/);
	});

	it('rejects a box in moov that overruns moov', () => {
		const bytes = fixture('baseline-aac-faststart.mp4');
		const trak = listBoxes(bytes).find((listed) => listed.type === 'trak') as { offset: number };
		writeU32(bytes, trak.offset, 0x7fffffff);
		expectInvalid(() => inspectVideo(bytes), /^not a valid MP4\/3GP: moov: box 'trak' at offset 148 declares 2147483647 bytes, past the end of its parent/);
	});
});

describe('hostile structure', () => {
	it.each([
		['an empty buffer', new Uint8Array(0), /the file is only 0 bytes long/],
		['seven bytes', new Uint8Array(7), /the file is only 7 bytes long/],
		['an HTML page', new Uint8Array(ascii('<!DOCTYPE html><html>')), /HTML or XML page/],
		['zeros', new Uint8Array(64), /does not start with an ftyp box/],
		['an ftyp too short for a brand', box('ftyp', ascii('isom')), /ftyp box has 4 bytes/],
		['ftyp alone', box('ftyp', ascii('isom'), u32(0), ascii('isom')), /no moov box \(top-level boxes: 'ftyp'\)/],
		[
			'a box type made of control bytes',
			concat(box('ftyp', ascii('isom'), u32(0)), u32(8), [1, 2, 3, 4]),
			/no moov box \(top-level boxes: 'ftyp', '\\x01\\x02\\x03\\x04'\)/,
		],
	])('rejects %s', (_, bytes, message) => {
		expectInvalid(() => inspectVideo(bytes), message);
		expectInvalid(() => sampleTable(bytes, 0), message);
	});

	it('rejects two moov boxes instead of guessing which one players use', () => {
		const bytes = fixture('baseline-aac-faststart.mp4');
		const moov = bytes.subarray(32, 32 + readU32(bytes, 32));
		expectInvalid(() => inspectVideo(concat(bytes, moov)), /two moov boxes \(at offsets 32 and 26013\)/);
	});

	it('uses the first of two ftyp boxes and the first of two mvhd boxes', () => {
		const mvhd = (seconds: number): Uint8Array => fullBox('mvhd', 0, u32(0), u32(0), u32(1000), u32(seconds * 1000), new Uint8Array(80));
		const bytes = concat(
			box('ftyp', ascii('isom'), u32(0), ascii('isom')),
			box('ftyp', ascii('3gp4'), u32(0)),
			box('moov', mvhd(3), mvhd(5)),
		);
		expect(inspectVideo(bytes)).toMatchObject({ majorBrand: 'isom', container: 'mp4', durationSeconds: 3, faststart: true, video: [], audio: [] });
	});

	it('does not descend into boxes it does not need, however deep they nest', () => {
		let nested = box('free');
		for (let depth = 0; depth < 5000; depth++) nested = box('udta', nested);
		const bytes = concat(box('ftyp', ascii('mp42'), u32(0)), box('moov', nested));
		expect(inspectVideo(bytes)).toMatchObject({ container: 'mp4', video: [], audio: [], otherTracks: [] });
	});

	/** `count` empty 8-byte boxes of the given types, back to back. */
	function emptyBoxes(count: number, typeOf: (index: number) => number): Uint8Array {
		const boxes = new Uint8Array(8 * count);
		const view = new DataView(boxes.buffer);
		for (let index = 0; index < count; index++) {
			view.setUint32(index * 8, 8);
			view.setUint32(index * 8 + 4, typeOf(index));
		}
		return boxes;
	}
	const FREE = readU32(new Uint8Array(ascii('free')), 0);
	const TRAK = readU32(new Uint8Array(ascii('trak')), 0);

	it('stops after 100,000 box headers at top level', () => {
		const bytes = concat(box('ftyp', ascii('isom'), u32(0)), emptyBoxes(200_000, () => FREE));
		expectInvalid(() => inspectVideo(bytes), /^not a valid MP4\/3GP: top level: more than 100000 boxes, refusing to walk further$/);
	});

	// Found by a probe next to the fuzz run: before the cap, a 16 MB moov of two million empty boxes
	// took 10-30 s and 500 MB (every walk of moov visited them all, several times over).
	it.each([
		['free', () => FREE],
		['trak', () => TRAK],
		['all different', (index: number) => 0x41000000 + index],
	])('stops after 100,000 box headers in a 16 MB moov of two million empty %s boxes', (_, typeOf) => {
		const boxes = emptyBoxes(2_000_000, typeOf);
		const bytes = concat(box('ftyp', ascii('isom'), u32(0)), u32(boxes.length + 8), ascii('moov'), boxes);
		expect(bytes.length).toBeGreaterThan(16_000_000);
		expectInvalid(() => inspectVideo(bytes), /^not a valid MP4\/3GP: moov: more than 100000 boxes, refusing to walk further$/);
		expectInvalid(() => sampleTable(bytes, 0), /moov: more than 100000 boxes/);
	});
});

/** The byte offset of the first `type` box (a real one, found by walking) in a fixture. */
function boxOffset(bytes: Uint8Array, type: string, occurrence = 0): number {
	const found = listBoxes(bytes).filter((listed) => listed.type === type)[occurrence];
	if (!found) throw new Error(`no ${type} #${occurrence}`);
	return found.offset;
}

describe('entry counts that would overrun their tables are rejected before any loop', () => {
	it.each([
		['stsz', 'baseline-aac-faststart.mp4', 8 + 8, /stsz: 4294967295 entries of 4 bytes need 17179869180 bytes, the box has 120/],
		['stco', 'baseline-aac-faststart.mp4', 8 + 4, /stco: 4294967295 entries of 4 bytes need/],
		['stsc', 'baseline-aac-faststart.mp4', 8 + 4, /stsc: 4294967295 entries of 12 bytes need/],
		['co64', 'co64.mp4', 8 + 4, /co64: 4294967295 entries of 8 bytes need/],
		['ctts', 'high-bframes.mp4', 8 + 4, /ctts: 4294967295 entries of 8 bytes need/],
	])('%s', (type, name, countAt, message) => {
		const bytes = fixture(name);
		writeU32(bytes, boxOffset(bytes, type) + countAt, 0xffffffff);
		expectInvalid(() => inspectVideo(bytes), message);
		// sampleTable has no use for ctts, so only inspection reads (and refuses) it.
		if (type === 'ctts') expect(sampleTable(bytes, 0)).toHaveLength(30);
		else expectInvalid(() => sampleTable(bytes, 0), message);
	});

	it('a uniform stsz size with a huge count: inspection does not care, sampleTable refuses before looping', () => {
		const bytes = fixture('baseline-aac-faststart.mp4');
		const stsz = boxOffset(bytes, 'stsz');
		writeU32(bytes, stsz + 12, 1);
		writeU32(bytes, stsz + 16, 0xfffffff0);
		expect(inspectVideo(bytes).video).toHaveLength(1);
		expectInvalid(() => sampleTable(bytes, 0), /stsz: 4294967280 samples is more than the 4194304 this reads/);
		writeU32(bytes, stsz + 16, 30_000);
		expectInvalid(() => sampleTable(bytes, 0), /stsz: 30000 samples of 1 bytes do not fit in a 26013-byte file/);
	});

	it('rejects tables that disagree on the number of samples', () => {
		const bytes = fixture('baseline-aac-faststart.mp4');
		const stsc = boxOffset(bytes, 'stsc');
		writeU32(bytes, stsc + 20, readU32(bytes, stsc + 20) + 1);
		expectInvalid(() => sampleTable(bytes, 0), /stsc and the chunk offsets describe \d+ samples, stsz has 30/);
	});

	it('rejects stsc entries that do not start at chunk 1 and climb', () => {
		const bytes = fixture('baseline-aac-faststart.mp4');
		writeU32(bytes, boxOffset(bytes, 'stsc') + 16, 2);
		expectInvalid(() => sampleTable(bytes, 0), /entry 0 starts at chunk 2/);
	});

	it('rejects a chunk offset that puts samples past the end of the file', () => {
		const bytes = fixture('baseline-aac-faststart.mp4');
		writeU32(bytes, boxOffset(bytes, 'stco') + 16, 0xfffffff0);
		expectInvalid(() => sampleTable(bytes, 0), /sample 1 \(\d+ bytes at offset 4294967280\) lies past the end/);
	});
});

/** A minimal movie built from parts, for what the fixtures do not contain. */
function movie(options: {
	brand?: string;
	mvhd?: Uint8Array;
	tkhdSize?: [number, number];
	entry: Uint8Array;
	handler?: string;
	ctts?: Uint8Array;
	sizes?: Uint8Array;
	stsdVersion?: number;
}): Uint8Array {
	const [tkhdWidth, tkhdHeight] = options.tkhdSize ?? [0, 0];
	const tkhd = fullBox('tkhd', 0, new Uint8Array(20), new Uint8Array(52), u32(tkhdWidth * 65536), u32(tkhdHeight * 65536));
	const hdlr = fullBox('hdlr', 0, u32(0), ascii(options.handler ?? 'vide'), new Uint8Array(12), [0]);
	const stbl = box(
		'stbl',
		fullBox('stsd', options.stsdVersion ?? 0, u32(1), options.entry),
		...(options.ctts ? [options.ctts] : []),
		fullBox('stsc', 0, u32(1), u32(1), u32(2), u32(1)),
		options.sizes ?? fullBox('stsz', 0, u32(0), u32(2), u32(3), u32(4)),
		fullBox('stco', 0, u32(1), u32(0)),
	);
	const trak = box('trak', tkhd, box('mdia', hdlr, box('minf', stbl)));
	return concat(
		box('ftyp', ascii(options.brand ?? 'isom'), u32(0)),
		box('moov', options.mvhd ?? fullBox('mvhd', 0, u32(0), u32(0), u32(600), u32(1200), new Uint8Array(80)), trak),
		box('mdat', ascii('0123456789')),
	);
}

function visualEntry(type: string, width: number, height: number, ...children: Uint8Array[]): Uint8Array {
	return box(type, new Uint8Array(6), u16(1), new Uint8Array(16), u16(width), u16(height), new Uint8Array(50), ...children);
}

function audioEntry(type: string, ...children: Uint8Array[]): Uint8Array {
	return versionedAudioEntry(type, 0, 0, ...children);
}

/** Version in the entry's first field; `extra` bytes of QuickTime fields after the usual 20. */
function versionedAudioEntry(type: string, version: number, extra: number, ...children: Uint8Array[]): Uint8Array {
	return box(type, new Uint8Array(6), u16(1), u16(version), new Uint8Array(18 + extra), ...children);
}

const AAC_LC_ESDS = fullBox('esds', 0, [0x03, 3 + 19, 0, 1, 0, 0x04, 13 + 4, 0x40, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05, 2, 0x12, 0x08]);

function avcC(profileIdc: number, constraints: number, levelIdc: number): Uint8Array {
	return box('avcC', [1, profileIdc, constraints, levelIdc, 0xff, 0xe0, 0]);
}

describe('what the fixtures do not cover', () => {
	it('mvhd version 1 (64-bit duration)', () => {
		const mvhd = fullBox('mvhd', 1, u64(0), u64(0), u32(90000), u64(90000 * 7.5), new Uint8Array(80));
		expect(inspectVideo(movie({ mvhd, entry: visualEntry('avc1', 64, 48) })).durationSeconds).toBe(7.5);
	});

	it('an unknown or zero-timescale duration is left out', () => {
		const unknown = fullBox('mvhd', 0, u32(0), u32(0), u32(600), u32(0xffffffff), new Uint8Array(80));
		expect(inspectVideo(movie({ mvhd: unknown, entry: visualEntry('avc1', 64, 48) }))).not.toHaveProperty('durationSeconds');
		const noTimescale = fullBox('mvhd', 0, u32(0), u32(0), u32(0), u32(100), new Uint8Array(80));
		expect(inspectVideo(movie({ mvhd: noTimescale, entry: visualEntry('avc1', 64, 48) }))).not.toHaveProperty('durationSeconds');
	});

	it('ctts version 1 with a negative offset is B-frame evidence; all-zero offsets in a Baseline stream are not', () => {
		const negative = fullBox('ctts', 1, u32(2), u32(1), u32(0), u32(1), u32(-512 >>> 0));
		const inspection = inspectVideo(movie({ entry: visualEntry('avc1', 64, 48, avcC(66, 0, 21)), ctts: negative }));
		expect(inspection.video[0]).toMatchObject({ profile: 'Baseline', level: 2.1, bFrames: true, bFramesEvidence: ['ctts with non-zero composition offsets'] });
		const zeros = fullBox('ctts', 0, u32(1), u32(2), u32(0));
		expect(inspectVideo(movie({ entry: visualEntry('avc1', 64, 48, avcC(66, 0, 21)), ctts: zeros })).video[0].bFrames).toBe(false);
	});

	it('a ctts entry that applies to no sample is not evidence', () => {
		const empty = fullBox('ctts', 0, u32(1), u32(0), u32(1024));
		expect(inspectVideo(movie({ entry: visualEntry('avc1', 64, 48, avcC(66, 0xc0, 30)), ctts: empty })).video[0].bFrames).toBe(false);
	});

	it('ctts in a Main profile stream is evidence even with zero offsets', () => {
		const zeros = fullBox('ctts', 0, u32(1), u32(2), u32(0));
		expect(inspectVideo(movie({ entry: visualEntry('avc1', 64, 48, avcC(77, 0, 40)), ctts: zeros })).video[0]).toMatchObject({
			profile: 'Main',
			level: 4,
			bFrames: true,
			bFramesEvidence: ['ctts present in a Main profile stream (a profile that allows B-frames)'],
		});
	});

	it.each([
		[66, 0x00, 'Baseline'],
		[66, 0x40, 'Constrained Baseline'],
		[77, 0x00, 'Main'],
		[88, 0x00, 'Extended'],
		[100, 0x00, 'High'],
		[110, 0x00, 'High 10'],
		[110, 0x10, 'High 10 Intra'],
		[122, 0x00, 'High 4:2:2'],
		[244, 0x00, 'High 4:4:4 Predictive'],
		[44, 0x00, 'CAVLC 4:4:4'],
		[99, 0x00, 'profile 99'],
	])('avcC profile_idc %d with constraint flags %d is %s', (profileIdc, constraints, name) => {
		expect(inspectVideo(movie({ entry: visualEntry('avc3', 64, 48, avcC(profileIdc, constraints, 31)) })).video[0]).toMatchObject({
			codec: 'avc3',
			codecName: 'H.264',
			profile: name,
			profileIdc,
			level: 3.1,
		});
	});

	it('takes width and height from tkhd when the sample entry says 0', () => {
		const inspection = inspectVideo(movie({ entry: visualEntry('avc1', 0, 0), tkhdSize: [320, 240] }));
		expect(inspection.video[0]).toMatchObject({ width: 320, height: 240 });
	});

	it('names other codecs and keeps other tracks by handler', () => {
		expect(inspectVideo(movie({ entry: visualEntry('vp09', 64, 48) })).video[0].codecName).toBe('VP9');
		expect(inspectVideo(movie({ entry: visualEntry('zzzz', 64, 48) })).video[0].codecName).toBe('zzzz');
		expect(inspectVideo(movie({ entry: audioEntry('samr'), handler: 'soun' })).audio[0]).toEqual({ trackIndex: 0, codec: 'samr', codecName: 'AMR-NB' });
		expect(inspectVideo(movie({ entry: audioEntry('mp4a'), handler: 'soun' })).audio[0]).toEqual({ trackIndex: 0, codec: 'mp4a', codecName: 'MPEG-4 Audio' });
		expect(inspectVideo(movie({ entry: box('tx3g'), handler: 'text' })).otherTracks).toEqual(['text']);
	});

	it('reads an esds with an escaped audio object type and an MP3 object type', () => {
		// ES_Descriptor { ES_ID, flags, DecoderConfigDescriptor { 0x40, ..., DecoderSpecificInfo { AOT 31 -> 32 + 10 = 42 } } }
		const decoderSpecific = [0x05, 2, (31 << 3) | 0b001, 0b01000000];
		const decoderConfig = [0x04, 13 + decoderSpecific.length, 0x40, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...decoderSpecific];
		const esds = fullBox('esds', 0, [0x03, 3 + decoderConfig.length, 0, 1, 0, ...decoderConfig]);
		expect(inspectVideo(movie({ entry: audioEntry('mp4a', esds), handler: 'soun' })).audio[0]).toMatchObject({ codecName: 'AAC', objectType: 0x40, audioObjectType: 42 });
		const mp3 = fullBox('esds', 0, [0x03, 3 + 15, 0, 1, 0, 0x04, 13, 0x6b, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
		expect(inspectVideo(movie({ entry: audioEntry('mp4a', mp3), handler: 'soun' })).audio[0]).toMatchObject({ codecName: 'MP3', objectType: 0x6b });
	});

	it('finds esds after QuickTime sound description v1 and v2 fields, and after an ISO v1 entry in an stsd of version 1', () => {
		const expected = { codecName: 'AAC', objectType: 0x40, audioObjectType: 2 };
		const quickTimeV1 = versionedAudioEntry('mp4a', 1, 16, AAC_LC_ESDS);
		const quickTimeV2 = versionedAudioEntry('mp4a', 2, 36, AAC_LC_ESDS);
		const isoV1 = versionedAudioEntry('mp4a', 1, 0, AAC_LC_ESDS);
		expect(inspectVideo(movie({ entry: quickTimeV1, handler: 'soun' })).audio[0]).toMatchObject(expected);
		expect(inspectVideo(movie({ entry: quickTimeV2, handler: 'soun' })).audio[0]).toMatchObject(expected);
		expect(inspectVideo(movie({ entry: isoV1, handler: 'soun', stsdVersion: 1 })).audio[0]).toMatchObject(expected);
		expectInvalid(() => inspectVideo(movie({ entry: versionedAudioEntry('mp4a', 3, 0), handler: 'soun' })), /unknown audio sample entry version 3/);
	});

	it('rejects an esds descriptor whose length overruns the box', () => {
		const esds = fullBox('esds', 0, [0x03, 0x80 | 1, 0x7f, 0, 1, 0]);
		expectInvalid(() => inspectVideo(movie({ entry: audioEntry('mp4a', esds), handler: 'soun' })), /esds: descriptor with tag 3 at offset \d+ declares 255 bytes/);
	});

	it('rejects a video sample entry too short for its fixed fields', () => {
		expectInvalid(() => inspectVideo(movie({ entry: box('avc1', new Uint8Array(20)) })), /avc1: a video sample entry needs 78 bytes, this one has 20/);
	});

	it('reads the compact stz2 sample sizes (4-, 8- and 16-bit)', () => {
		const cases: Array<[number, number[]]> = [
			[4, [0x34]],
			[8, [3, 4]],
			[16, [...u16(3), ...u16(4)]],
		];
		for (const [bits, table] of cases) {
			const sizes = fullBox('stz2', 0, [0, 0, 0, bits], u32(2), table);
			// The single chunk is at offset 0: good enough, samples only need to lie inside the file.
			expect(sampleTable(movie({ entry: visualEntry('avc1', 64, 48), sizes }), 0)).toEqual([
				{ offset: 0, size: 3 },
				{ offset: 3, size: 4 },
			]);
		}
		const badBits = fullBox('stz2', 0, [0, 0, 0, 5], u32(2), [0x34]);
		expectInvalid(() => sampleTable(movie({ entry: visualEntry('avc1', 64, 48), sizes: badBits }), 0), /field size 5 is not 4, 8 or 16/);
	});
});
