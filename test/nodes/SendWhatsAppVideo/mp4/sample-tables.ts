/**
 * The absolute offset and size of every sample of a track, from its sample tables (stsz/stz2 + stsc +
 * stco/co64): what the faststart tests compare before and after the rewrite, sample for sample, and
 * what the inspection tests check against mp4box and ffmpeg's framemd5. Test code only: the node
 * never lists samples.
 *
 * Stricter than the inspection: every sample must lie inside the buffer (a truncated `mdat` is
 * refused), the tables must agree on the number of samples, and more than 4,194,304 samples are
 * refused. Reads through the node's own bounded box reader, so it throws only `InvalidVideoError`.
 */
import { BoxReader, InvalidVideoError, pathOf } from '../../../../nodes/SendWhatsAppVideo/mp4/boxes';
import type { Box } from '../../../../nodes/SendWhatsAppVideo/mp4/boxes';
import { readTopLevel, sampleTableBox, tracksOf } from '../../../../nodes/SendWhatsAppVideo/mp4/movie';
import { readSampleSizes } from '../../../../nodes/SendWhatsAppVideo/mp4/tables';

interface SampleLocation {
	/** Absolute offset in the file. */
	offset: number;
	size: number;
}

/** Keeps `sampleTable`'s answer under about 200 MB even for a hostile 16 MB file of 1-byte samples. */
const MAX_SAMPLES = 1 << 22;

/** Chunk offsets from stco (32-bit) or co64 (64-bit), whichever the track has first. */
function readChunkOffsets(reader: BoxReader, stbl: Box): { count: number; offsetOf: (index: number) => number } {
	for (const box of reader.children(stbl)) {
		if (box.type === 'stco') {
			const count = reader.tableCount(box, box.payload + 4, 4);
			return { count, offsetOf: (index) => reader.u32(box.payload + 8 + index * 4, box) };
		}
		if (box.type === 'co64') {
			const count = reader.tableCount(box, box.payload + 4, 8);
			return { count, offsetOf: (index) => reader.u64(box.payload + 8 + index * 8, box) };
		}
	}
	throw new InvalidVideoError(`${pathOf(stbl)} has neither 'stco' nor 'co64'`);
}

interface ChunkRun {
	firstChunk: number;
	samplesPerChunk: number;
}

/** stsc runs, checked: they start at chunk 1 and climb, and name only chunks that exist. */
function readChunkRuns(reader: BoxReader, stbl: Box, chunkCount: number): ChunkRun[] {
	const stsc = reader.requiredChild(stbl, 'stsc');
	const count = reader.tableCount(stsc, stsc.payload + 4, 12);
	const runs: ChunkRun[] = [];
	for (let index = 0, at = stsc.payload + 8; index < count; index++, at += 12) {
		const firstChunk = reader.u32(at, stsc);
		const samplesPerChunk = reader.u32(at + 4, stsc);
		if (index === 0 && firstChunk !== 1) {
			throw new InvalidVideoError(`${pathOf(stsc)}: entry 0 starts at chunk ${firstChunk}; the first entry must start at chunk 1`);
		}
		const previous = index > 0 ? runs[index - 1].firstChunk : 0;
		if (index > 0 && firstChunk <= previous) {
			throw new InvalidVideoError(`${pathOf(stsc)}: entry ${index} starts at chunk ${firstChunk}, not after entry ${index - 1}'s chunk ${previous}`);
		}
		if (firstChunk > chunkCount) {
			throw new InvalidVideoError(`${pathOf(stsc)}: entry ${index} starts at chunk ${firstChunk}, but the track has ${chunkCount} chunks`);
		}
		runs.push({ firstChunk, samplesPerChunk });
	}
	return runs;
}

/**
 * The absolute offset and size of every sample of a track (its index among the `trak` boxes), from
 * stsz/stz2 + stsc + stco/co64. Every sample must lie inside `bytes`, and the tables must agree on
 * the number of samples. Throws only `InvalidVideoError`.
 */
export function sampleTable(bytes: Uint8Array, trackIndex: number): SampleLocation[] {
	const reader = new BoxReader(bytes);
	// Reading the top level also refuses what is not an MP4/3GP (a PNG, a QuickTime .mov...).
	const top = readTopLevel(reader);
	const tracks = tracksOf(reader, top.moov);
	if (!Number.isInteger(trackIndex) || trackIndex < 0 || trackIndex >= tracks.length) {
		throw new InvalidVideoError(`there is no track ${trackIndex} (the file has ${tracks.length} tracks)`);
	}
	const stbl = sampleTableBox(reader, tracks[trackIndex]);
	const sizeBox = reader.child(stbl, 'stsz') ?? reader.child(stbl, 'stz2');
	if (!sizeBox) throw new InvalidVideoError(`${pathOf(stbl)} has neither 'stsz' nor 'stz2'`);
	const sizes = readSampleSizes(reader, sizeBox);
	if (sizes.count > MAX_SAMPLES) {
		throw new InvalidVideoError(`${pathOf(sizes.box)}: ${sizes.count} samples is more than the ${MAX_SAMPLES} this reads`);
	}
	if (sizes.count === 0) return [];
	// Real samples do not overlap, so even uniform-size samples cannot add up to more than the file.
	if (sizes.uniformSize !== undefined && sizes.count * sizes.uniformSize > bytes.length) {
		throw new InvalidVideoError(`${pathOf(sizes.box)}: ${sizes.count} samples of ${sizes.uniformSize} bytes do not fit in a ${bytes.length}-byte file`);
	}
	const chunks = readChunkOffsets(reader, stbl);
	const runs = readChunkRuns(reader, stbl, chunks.count);

	let described = 0;
	runs.forEach((run, index) => {
		const lastChunk = index + 1 < runs.length ? runs[index + 1].firstChunk - 1 : chunks.count;
		described += (lastChunk - run.firstChunk + 1) * run.samplesPerChunk;
	});
	if (described !== sizes.count) {
		throw new InvalidVideoError(`${pathOf(stbl)}: stsc and the chunk offsets describe ${described} samples, ${sizes.box.type} has ${sizes.count}`);
	}

	const samples: SampleLocation[] = [];
	runs.forEach((run, index) => {
		const lastChunk = index + 1 < runs.length ? runs[index + 1].firstChunk - 1 : chunks.count;
		for (let chunk = run.firstChunk; chunk <= lastChunk; chunk++) {
			let offset = chunks.offsetOf(chunk - 1);
			for (let inChunk = 0; inChunk < run.samplesPerChunk; inChunk++) {
				const size = sizes.sizeOf(samples.length);
				if (offset + size > bytes.length) {
					throw new InvalidVideoError(
						`${pathOf(stbl)}: sample ${samples.length + 1} (${size} bytes at offset ${offset}) lies past the end of the ${bytes.length}-byte file`,
					);
				}
				samples.push({ offset, size });
				offset += size;
			}
		}
	});
	return samples;
}
