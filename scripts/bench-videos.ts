import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const BASELINE = readFileSync(join(__dirname, '..', 'test', 'fixtures', 'videos', 'baseline-aac-faststart.mp4'));
const MDAT_AT = BASELINE.indexOf('mdat') - 4;

/**
 * A real, playable-looking MP4 of exactly `size` bytes: the baseline fixture (moov first) with its
 * mdat grown to the end of the file. `marker` makes each copy's bytes, and so its hash, distinct.
 */
export function paddedMp4(size: number, marker: number): Buffer {
	const bytes = Buffer.alloc(size, marker & 0xff);
	BASELINE.copy(bytes);
	bytes.writeUInt32BE(size - MDAT_AT, MDAT_AT);
	bytes.writeUInt32BE(marker, size - 4);
	return bytes;
}
