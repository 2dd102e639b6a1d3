/**
 * Reading MP4/3GP boxes from bytes that come from strangers: box headers (8 bytes, or 16 with a
 * 64-bit size) and big-endian fields, every read checked against the end of the box it belongs to
 * (and that box against its parent and the file), so nothing can read past the buffer. Anything that
 * does not add up throws `InvalidVideoError`, whose message starts "not a valid MP4/3GP: ", and
 * nothing else is thrown.
 *
 * - Box size 0 means "to the end of the enclosing box" (the file, at top level); size 1 means a
 *   64-bit size follows; any size smaller than its header is rejected. Fewer than 8 bytes left at
 *   the end of a container are padding and ignored, as ffmpeg does. A box that overruns its parent
 *   is rejected.
 * - Inside a box, the first of a repeated child (mvhd, tkhd, stsd...) is used, as ffmpeg does.
 * - At most 100,000 box headers are read per reader (a real file needs a few hundred, a fragmented
 *   one a few thousand), so a file of millions of empty boxes costs milliseconds, not seconds.
 * - Nesting cannot recurse: callers descend only along fixed paths, and `MAX_DEPTH` would stop a
 *   later change that made them recurse.
 * - A table's entry count is checked against its box before anyone loops over it.
 */

export class InvalidVideoError extends Error {
	constructor(reason: string) {
		super(`not a valid MP4/3GP: ${reason}`);
		this.name = 'InvalidVideoError';
	}
}

/** Deeper than the deepest path read (moov/trak/mdia/minf/stbl/stsd/mp4a/wave/esds). */
const MAX_DEPTH = 16;
/**
 * Box headers read per reader (one file, one call), top level and moov together. A real file needs a few hundred (a
 * fragmented one a few thousand); without a cap, a 16 MB moov of two million empty boxes took
 * 10-30 s and 500 MB to walk.
 */
const MAX_BOX_HEADERS = 100_000;

export interface Box {
	type: string;
	start: number;
	/** Where the payload starts: after the 8-byte header, or 16 with a 64-bit size. */
	payload: number;
	end: number;
	depth: number;
	/** With `index` (its rank among same-type siblings), for `pathOf`; undefined at top level. */
	parent?: Box;
	index: number;
}

/**
 * e.g. 'moov/trak[1]/mdia/minf/stbl/stsz', so an error says where the file is wrong. Built only
 * for an error: building it for every box made walking a hostile moov several times slower.
 */
export function pathOf(box: Box): string {
	const name = `${printable(box.type)}${box.index > 0 ? `[${box.index}]` : ''}`;
	return box.parent ? `${pathOf(box.parent)}/${name}` : name;
}

interface BoxHeader {
	type: string;
	start: number;
	payload: number;
	/** As declared; may lie past the enclosing box, which the caller decides about. */
	declaredEnd: number;
}

/** Bounds-checked big-endian reads: every read names the box it belongs to and stays inside it. */
export class BoxReader {
	private readonly view: DataView;
	private headersRead = 0;

	constructor(readonly bytes: Uint8Array) {
		this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	}

	get length(): number {
		return this.bytes.byteLength;
	}

	u8(offset: number, box: Box): number {
		this.need(offset, 1, box);
		return this.view.getUint8(offset);
	}

	u16(offset: number, box: Box): number {
		this.need(offset, 2, box);
		return this.view.getUint16(offset);
	}

	u32(offset: number, box: Box): number {
		this.need(offset, 4, box);
		return this.view.getUint32(offset);
	}

	i32(offset: number, box: Box): number {
		this.need(offset, 4, box);
		return this.view.getInt32(offset);
	}

	/** 64-bit values as numbers: anything above 2^53 cannot be an offset or size in a buffer anyway. */
	u64(offset: number, box: Box): number {
		this.need(offset, 8, box);
		const high = this.view.getUint32(offset);
		const low = this.view.getUint32(offset + 4);
		if (high > 0x1fffff) {
			throw new InvalidVideoError(`${pathOf(box)}: 64-bit value at offset ${offset} is too large to be real`);
		}
		return high * 0x1_0000_0000 + low;
	}

	fourcc(offset: number, box: Box): string {
		this.need(offset, 4, box);
		return fourccAt(this.bytes, offset);
	}

	/** The box header at `offset`, checked only against `limit` (the end of the enclosing box). */
	header(offset: number, limit: number, parent: Box | undefined): BoxHeader {
		const where = (): string => (parent ? pathOf(parent) : 'top level');
		if (++this.headersRead > MAX_BOX_HEADERS) {
			throw new InvalidVideoError(`${where()}: more than ${MAX_BOX_HEADERS} boxes, refusing to walk further`);
		}
		const available = Math.min(limit, this.length) - offset;
		if (available < 8) {
			throw new InvalidVideoError(`${where()}: ${available} bytes at offset ${offset} are too few for a box header (8)`);
		}
		const size32 = this.view.getUint32(offset);
		const type = fourccAt(this.bytes, offset + 4);
		if (size32 === 1) {
			if (available < 16) {
				throw new InvalidVideoError(`${where()}: box '${type}' at offset ${offset} is cut off inside its 64-bit size`);
			}
			const high = this.view.getUint32(offset + 8);
			const low = this.view.getUint32(offset + 12);
			const size = high * 0x1_0000_0000 + low;
			if (size < 16) {
				throw new InvalidVideoError(`${where()}: box '${type}' at offset ${offset} has 64-bit size ${size}, smaller than its 16-byte header`);
			}
			return { type, start: offset, payload: offset + 16, declaredEnd: offset + size };
		}
		if (size32 === 0) {
			return { type, start: offset, payload: offset + 8, declaredEnd: limit };
		}
		if (size32 < 8) {
			throw new InvalidVideoError(`${where()}: box '${type}' at offset ${offset} has size ${size32}, smaller than its 8-byte header`);
		}
		return { type, start: offset, payload: offset + 8, declaredEnd: offset + size32 };
	}

	/** The boxes inside `parent`, from `from` (after the parent's own fields) to its end. */
	*children(parent: Box, from: number = parent.payload): Generator<Box> {
		if (parent.depth >= MAX_DEPTH) {
			throw new InvalidVideoError(`${pathOf(parent)}: boxes nested more than ${MAX_DEPTH} deep`);
		}
		const seen = new Map<string, number>();
		let offset = from;
		// Fewer than 8 bytes left cannot be a box; some muxers pad containers like this and ffmpeg ignores it.
		while (parent.end - offset >= 8) {
			const header = this.header(offset, parent.end, parent);
			if (header.declaredEnd > parent.end) {
				throw new InvalidVideoError(
					`${pathOf(parent)}: box '${header.type}' at offset ${offset} declares ${header.declaredEnd - offset} bytes, ` +
						`past the end of its parent at offset ${parent.end}`,
				);
			}
			const index = seen.get(header.type) ?? 0;
			seen.set(header.type, index + 1);
			yield {
				type: header.type,
				start: header.start,
				payload: header.payload,
				end: header.declaredEnd,
				depth: parent.depth + 1,
				parent,
				index,
			};
			offset = header.declaredEnd;
		}
	}

	/** The first child of that type: a repeated box is ignored, as ffmpeg ignores it. */
	child(parent: Box, type: string, from?: number): Box | undefined {
		for (const box of this.children(parent, from)) {
			if (box.type === type) return box;
		}
		return undefined;
	}

	requiredChild(parent: Box, type: string): Box {
		const box = this.child(parent, type);
		if (!box) throw new InvalidVideoError(`${pathOf(parent)} has no '${type}' box`);
		return box;
	}

	/**
	 * The entry count of a full box whose table follows it, checked against the box before anyone
	 * loops over it: a count of 4 billion in a 20-byte box must fail here, not after a long loop.
	 */
	tableCount(box: Box, countOffset: number, entryBytes: number): number {
		const count = this.u32(countOffset, box);
		const available = box.end - (countOffset + 4);
		if (count * entryBytes > available) {
			throw new InvalidVideoError(
				`${pathOf(box)}: ${count} entries of ${entryBytes} bytes need ${count * entryBytes} bytes, the box has ${available}`,
			);
		}
		return count;
	}

	private need(offset: number, count: number, box: Box): void {
		if (offset < box.start || offset + count > box.end || box.end > this.length) {
			throw new InvalidVideoError(`${pathOf(box)}: the box ends at offset ${box.end}, too early to read ${count} bytes at offset ${offset}`);
		}
	}
}

export function fourccAt(bytes: Uint8Array, offset: number): string {
	return String.fromCharCode(bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]);
}

/** Box types from hostile files can hold any byte; keep error messages readable. */
export function printable(text: string): string {
	return text.replace(/[^\x20-\x7e]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function quoted(fourcc: string): string {
	return `'${printable(fourcc)}'`;
}

/** The version byte of a full box, before its flags. */
export function fullBoxVersion(reader: BoxReader, box: Box): number {
	return reader.u8(box.payload, box);
}
