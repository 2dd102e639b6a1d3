/**
 * The faststart rewrite keeps every media sample byte for byte: proved with the sample tables
 * (absolute offset and size of each sample of each track) before and after.
 */
import { moveMoovToFront } from '../../../../nodes/SendWhatsAppVideo/mp4/faststart';
import { inspectVideo } from '../../../../nodes/SendWhatsAppVideo/mp4/inspect';
import { fixture } from '../../../harness/setup';
import { sampleTable } from './sample-tables';

function samples(bytes: Buffer): Buffer[][] {
	const tracks = inspectVideo(bytes).video.length + inspectVideo(bytes).audio.length;
	return Array.from({ length: tracks }, (_, track) =>
		sampleTable(bytes, track).map(({ offset, size }) => bytes.subarray(offset, offset + size)),
	);
}

function topLevelTypes(bytes: Buffer): string[] {
	const types: string[] = [];
	for (let offset = 0; offset + 8 <= bytes.length; offset += bytes.readUInt32BE(offset)) {
		types.push(bytes.toString('latin1', offset + 4, offset + 8));
	}
	return types;
}

describe('moving moov in front of the media data', () => {
	const original = fixture('moov-at-end.mp4');

	test('moov-at-end.mp4 becomes faststart with identical samples in every track', () => {
		expect(inspectVideo(original).faststart).toBe(false);
		const rewritten = moveMoovToFront(original);
		expect(inspectVideo(rewritten).faststart).toBe(true);
		expect(topLevelTypes(rewritten).indexOf('moov')).toBeLessThan(topLevelTypes(rewritten).indexOf('mdat'));
		expect(rewritten.length).toBe(original.length);
		const before = samples(original);
		const after = samples(rewritten);
		expect(after.map((track) => track.length)).toEqual(before.map((track) => track.length));
		after.forEach((track, index) => track.forEach((sample, at) => expect(sample.equals(before[index][at])).toBe(true)));
	});

	test('the rewrite matches ffmpeg\'s own faststart file of the same encode, sample for sample', () => {
		const ffmpegFaststart = samples(fixture('baseline-aac-faststart.mp4'));
		const ours = samples(moveMoovToFront(original));
		expect(ours.map((track) => Buffer.concat(track).toString('hex'))).toEqual(ffmpegFaststart.map((track) => Buffer.concat(track).toString('hex')));
	});

	test('offsets that would overflow 32 bits turn stco into co64, and samples stay identical', () => {
		// A lowered limit stands in for a file past 4 GB, which a test cannot hold in memory.
		const rewritten = moveMoovToFront(original, 1000);
		expect(rewritten.includes(Buffer.from('co64'))).toBe(true);
		expect(rewritten.includes(Buffer.from('stco'))).toBe(false);
		expect(rewritten.length).toBeGreaterThan(original.length);
		expect(inspectVideo(rewritten).faststart).toBe(true);
		const before = samples(original);
		samples(rewritten).forEach((track, index) => track.forEach((sample, at) => expect(sample.equals(before[index][at])).toBe(true)));
	});

	test('a file that is already faststart is returned untouched', () => {
		const faststart = fixture('baseline-aac-faststart.mp4');
		expect(moveMoovToFront(faststart)).toBe(faststart);
		const co64 = fixture('co64.mp4');
		expect(moveMoovToFront(co64)).toBe(co64);
	});

	test.each([
		['no moov at all', Buffer.concat([fixture('moov-at-end.mp4').subarray(0, 40)])],
		['a box size beyond the file', Buffer.from('0000001866747970697336d0000000200069736f6dffffffff6d646174', 'hex')],
	])('%s is refused as not a valid MP4/3GP', (_name, bytes) => {
		expect(() => moveMoovToFront(bytes)).toThrow(/^not a valid MP4\/3GP: /);
	});
});
