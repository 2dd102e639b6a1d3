import { InvalidVideoError } from './boxes';

/**
 * Rewrites an MP4/3GP whose `moov` box comes after the media data so that `moov` comes first
 * ("faststart"), as `ffmpeg -movflags +faststart` does: players (and WhatsApp's preview) can then
 * start before the whole file has arrived. Only box positions and chunk offsets change; every
 * media sample keeps its bytes.
 *
 * `moov` moves to just before the first `mdat`. Every chunk offset (`stco`, `co64`) that points at
 * data which moved is shifted by the distance it moved. A 32-bit `stco` whose offsets would overflow
 * becomes a 64-bit `co64`, which makes `moov` bigger and moves the data again, so the layout is
 * recomputed until it settles.
 */

/** The boxes between `moov` and the chunk offset tables; nothing else can hold chunk offsets. */
const PATH_TO_CHUNK_OFFSETS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);

interface TopLevelBox {
	type: string;
	start: number;
	end: number;
}

function fail(reason: string): never {
	throw new InvalidVideoError(reason);
}

function boxesIn(bytes: Buffer, start: number, end: number): TopLevelBox[] {
	const boxes: TopLevelBox[] = [];
	let offset = start;
	while (offset + 8 <= end) {
		let size = bytes.readUInt32BE(offset);
		const type = bytes.toString('latin1', offset + 4, offset + 8);
		if (size === 1) {
			if (offset + 16 > end) fail(`the "${type}" box at ${offset} is cut off`);
			size = Number(bytes.readBigUInt64BE(offset + 8));
		} else if (size === 0) {
			size = end - offset;
		}
		if (size < 8 || offset + size > end) fail(`the "${type}" box at ${offset} has an impossible size`);
		boxes.push({ type, start: offset, end: offset + size });
		offset += size;
	}
	return boxes;
}

function boxHeader(type: string, size: number): Buffer {
	const header = Buffer.alloc(8);
	header.writeUInt32BE(size, 0);
	header.write(type, 4, 'latin1');
	return header;
}

/** A new `moov` with every chunk offset passed through `shift`; `stco` becomes `co64` where needed. */
function rebuild(bytes: Buffer, box: TopLevelBox, shift: (offset: number) => number, limit: number): Buffer {
	const headerSize = bytes.readUInt32BE(box.start) === 1 ? 16 : 8;
	if (box.type === 'stco' || box.type === 'co64') {
		const wide = box.type === 'co64';
		const count = bytes.readUInt32BE(box.start + headerSize + 4);
		const entries = box.start + headerSize + 8;
		if (entries + count * (wide ? 8 : 4) > box.end) fail(`the ${box.type} table overruns its box`);
		const offsets = Array.from({ length: count }, (_, index) =>
			shift(wide ? Number(bytes.readBigUInt64BE(entries + index * 8)) : bytes.readUInt32BE(entries + index * 4)),
		);
		const promote = wide || offsets.some((offset) => offset > limit);
		const table = Buffer.alloc(8 + count * (promote ? 8 : 4));
		bytes.copy(table, 0, box.start + headerSize, box.start + headerSize + 4);
		table.writeUInt32BE(count, 4);
		offsets.forEach((offset, index) => {
			if (promote) table.writeBigUInt64BE(BigInt(offset), 8 + index * 8);
			else table.writeUInt32BE(offset, 8 + index * 4);
		});
		return Buffer.concat([boxHeader(promote ? 'co64' : 'stco', 8 + table.length), table]);
	}
	if (!PATH_TO_CHUNK_OFFSETS.has(box.type)) return bytes.subarray(box.start, box.end);
	const children = boxesIn(bytes, box.start + headerSize, box.end).map((child) => rebuild(bytes, child, shift, limit));
	const size = 8 + children.reduce((sum, child) => sum + child.length, 0);
	return Buffer.concat([boxHeader(box.type, size), ...children]);
}

/**
 * Returns the file with `moov` first, or the same buffer when it already is. `offsetLimit` is the
 * largest offset a 32-bit table may hold; tests lower it to exercise the promotion to `co64`.
 */
export function moveMoovToFront(bytes: Buffer, offsetLimit = 0xffffffff): Buffer {
	const boxes = boxesIn(bytes, 0, bytes.length);
	const moovIndex = boxes.findIndex((box) => box.type === 'moov');
	const mdatIndex = boxes.findIndex((box) => box.type === 'mdat');
	if (moovIndex === -1) fail('there is no moov box');
	if (boxes.filter((box) => box.type === 'moov').length > 1) fail('there is more than one moov box');
	if (mdatIndex === -1 || moovIndex < mdatIndex) return bytes;

	const moov = boxes[moovIndex];
	const insertAt = boxes[mdatIndex].start;
	const oldMoovSize = moov.end - moov.start;
	// The new moov's size decides how far the data moves, which can decide whether offsets overflow
	// 32 bits, which decides the new moov's size: repeat until the size settles (it only grows).
	let candidate = rebuild(bytes, moov, (offset) => offset, offsetLimit);
	for (let round = 0; round < 4; round++) {
		const movedBy = candidate.length;
		const shift = (offset: number) => {
			if (offset < insertAt) return offset;
			if (offset < moov.start) return offset + movedBy;
			if (offset >= moov.end) return offset + movedBy - oldMoovSize;
			return fail('a chunk offset points inside the moov box');
		};
		const next = rebuild(bytes, moov, shift, offsetLimit);
		if (next.length === movedBy) {
			return Buffer.concat([bytes.subarray(0, insertAt), next, bytes.subarray(insertAt, moov.start), bytes.subarray(moov.end)]);
		}
		candidate = next;
	}
	return fail('the moov box did not settle while moving it');
}
