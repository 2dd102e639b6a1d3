/**
 * MP4/3GP inspector: tells, from the bytes alone, what WhatsApp will make of a video before it is
 * sent (container, codecs, H.264 profile and level, B-frames, size in pixels, audio tracks, and
 * whether `moov` comes before `mdat`), and lists every track's samples for the faststart rewrite.
 *
 * Why it reads so little: preflight runs on every item, on files up to WhatsApp's 16 MB limit. It
 * reads the 8- or 16-byte header of each top-level box and the `moov` subtree, and nothing of any
 * `mdat` payload, so a 16 MB file costs what a 100 KB one with the same `moov` costs. The only loops
 * are over box headers and over tables whose length was first checked against their box.
 *
 * Why it is strict: the bytes come from strangers. Every read goes through `BoxReader`, which checks
 * it against the end of the box being read (and that box against its parent and the file), so it
 * cannot read past the buffer; anything that does not add up throws `InvalidVideoError` with a
 * message starting "not a valid MP4/3GP: ", and nothing else is thrown. Nesting cannot recurse: it
 * descends only along fixed paths (moov/trak/mdia/minf/stbl/stsd/<entry>/...), and `MAX_DEPTH`
 * would stop a later change that made it recurse.
 *
 * What it accepts, and what it decides when the format leaves a choice:
 * - The first box must be `ftyp` (no ftyp: rejected, naming PNG/JPEG/HTML/... when recognised).
 *   Major brand `3gp*`, `3gs*`, `3ge*`, `3gg*`... (any `3g` but 3GPP2's `3g2*`) is a 3gp container,
 *   anything else is mp4, except QuickTime's `qt  ` with no MP4 brand among the compatible ones,
 *   which is rejected: WhatsApp does not take .mov. Only the first 64 compatible brands are read.
 * - Exactly one `moov`: none, or a second one, is rejected (players disagree on which one wins, and a
 *   rewrite must not guess). Inside `moov`, the first of a repeated box (mvhd, tkhd, stsd...) is used,
 *   as ffmpeg does.
 * - Box size 0 means "to the end of the enclosing box" (the file, at top level); size 1 means a
 *   64-bit size follows; any size smaller than its header is rejected. Fewer than 8 bytes left at
 *   the end of a container are padding and ignored, as ffmpeg does. A box that overruns its parent
 *   is rejected.
 * - A top-level box that runs past the end of the file is accepted only after a complete `moov`:
 *   that is a truncated `mdat`, and preflight only needs `moov`. A few trailing bytes too short to
 *   be a box header are ignored after `moov` for the same reason. `sampleTable` is stricter: every
 *   sample must lie inside the buffer.
 * - At most 100,000 box headers are read per call (a real file needs a few hundred, a fragmented
 *   one a few thousand), so a file of millions of empty boxes costs milliseconds, not seconds.
 * - A track is video or audio by its `hdlr` ('vide', 'soun'), described by its first sample entry.
 *   Sample tables are not walked by `inspectVideo` (only `ctts` is), but a table whose entry count
 *   overruns its box is rejected. `sampleTable` also needs stsz (or stz2), stsc and stco (or co64)
 *   to agree on the number of samples, and refuses more than 4,194,304 samples.
 * - B-frames: `ctts` with any non-zero composition offset (ffmpeg writes `ctts` only for reordered
 *   streams; version-1 offsets are signed), or a `ctts` at all in an H.264 profile that allows
 *   B-frames (Main, High...). A stream whose offsets are all the same non-zero value (a shift, not
 *   a reordering; some muxers write that) is reported as having B-frames too; such files are rare.
 * - Levels are the real level: H.264 `level_idc` / 10 (30 -> 3.0), HEVC `general_level_idc` / 30
 *   (93 -> 3.1). H.264 level 1b is reported as 1.1 (or 0.9), as its level_idc says.
 * - Not seen: B-frames of a fragmented file (its composition offsets are in `trun`, not `moov`).
 */

export interface VideoTrackInfo {
	/** Index of this track among all `trak` boxes of `moov`, in file order: what `sampleTable` takes. */
	trackIndex: number;
	/** Sample entry fourcc, e.g. 'avc1', 'hvc1', 's263', 'mp4v'. */
	codec: string;
	codecName: 'H.264' | 'HEVC' | 'H.263' | 'MPEG-4 Visual' | string;
	/** ffprobe's names: 'Baseline', 'Constrained Baseline', 'Main', 'High'... (H.264 and HEVC). */
	profile?: string;
	profileIdc?: number;
	level?: number;
	width?: number;
	height?: number;
	bFrames: boolean;
	bFramesEvidence: string[];
}

export interface AudioTrackInfo {
	trackIndex: number;
	/** Sample entry fourcc, e.g. 'mp4a', 'samr'. */
	codec: string;
	codecName: string;
	/** objectTypeIndication of the esds DecoderConfigDescriptor; 0x40 is MPEG-4 Audio (AAC). */
	objectType?: number;
	/** From the AudioSpecificConfig; 2 is AAC-LC, 5 HE-AAC (SBR), 29 HE-AACv2 (PS). */
	audioObjectType?: number;
}

export interface VideoInspection {
	container: 'mp4' | '3gp';
	majorBrand: string;
	compatibleBrands: string[];
	durationSeconds?: number;
	/** `moov` comes before the first `mdat` (or there is no `mdat`), so playback can start at once. */
	faststart: boolean;
	moovOffset: number;
	mdatOffset?: number;
	video: VideoTrackInfo[];
	audio: AudioTrackInfo[];
	/** Handler types of the other tracks, e.g. 'hint', 'text', 'tmcd'. */
	otherTracks: string[];
}

export interface SampleLocation {
	/** Absolute offset in the file. */
	offset: number;
	size: number;
}

export class InvalidVideoError extends Error {
	constructor(reason: string) {
		super(`not a valid MP4/3GP: ${reason}`);
		this.name = 'InvalidVideoError';
	}
}

/** Deeper than the deepest path read (moov/trak/mdia/minf/stbl/stsd/mp4a/wave/esds). */
const MAX_DEPTH = 16;
/**
 * Box headers read per call, top level and moov together. A real file needs a few hundred (a
 * fragmented one a few thousand); without a cap, a 16 MB moov of two million empty boxes took
 * 10-30 s and 500 MB to walk.
 */
const MAX_BOX_HEADERS = 100_000;
const MAX_COMPATIBLE_BRANDS = 64;
/** Keeps `sampleTable`'s answer under about 200 MB even for a hostile 16 MB file of 1-byte samples. */
const MAX_SAMPLES = 1 << 22;

/** Brands that promise an ISO/MP4 file; a `qt  ` file naming one of these is an MP4 that QuickTime also reads. */
const MP4_BRANDS = new Set([
	'isom', 'iso2', 'iso3', 'iso4', 'iso5', 'iso6', 'iso7', 'iso8', 'iso9',
	'mp41', 'mp42', 'mp71', 'avc1', 'M4V ', 'M4VH', 'M4VP', 'dash', 'mmp4', 'msnv', 'ndas', 'XAVC', 'f4v ',
]);

/** Files commonly fed to a video node by mistake, named so the error says what the file actually is. */
const KNOWN_SIGNATURES: Array<{ name: string; bytes: number[]; at?: number }> = [
	{ name: 'a PNG image', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
	{ name: 'a JPEG image', bytes: [0xff, 0xd8, 0xff] },
	{ name: 'a GIF image', bytes: [0x47, 0x49, 0x46, 0x38] },
	{ name: 'a WebM/Matroska video', bytes: [0x1a, 0x45, 0xdf, 0xa3] },
	{ name: 'a RIFF (AVI/WAV/WebP) file', bytes: [0x52, 0x49, 0x46, 0x46] },
	{ name: 'a PDF document', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] },
	{ name: 'a ZIP archive', bytes: [0x50, 0x4b, 0x03, 0x04] },
	{ name: 'an MP3 file with ID3 tags', bytes: [0x49, 0x44, 0x33] },
	{ name: 'an Ogg file', bytes: [0x4f, 0x67, 0x67, 0x53] },
	{ name: 'an HTML or XML page', bytes: [0x3c] },
];

// Maps, not object literals: a fourcc from a hostile file must not find anything on Object.prototype.
const VIDEO_CODEC_NAMES = new Map<string, string>([
	['avc1', 'H.264'], ['avc2', 'H.264'], ['avc3', 'H.264'], ['avc4', 'H.264'],
	['hvc1', 'HEVC'], ['hev1', 'HEVC'], ['dvh1', 'HEVC (Dolby Vision)'], ['dvhe', 'HEVC (Dolby Vision)'],
	['s263', 'H.263'], ['h263', 'H.263'], ['mp4v', 'MPEG-4 Visual'],
	['vp08', 'VP8'], ['vp09', 'VP9'], ['av01', 'AV1'], ['jpeg', 'Motion JPEG'], ['mjpa', 'Motion JPEG'],
	['apch', 'ProRes'], ['apcn', 'ProRes'], ['apcs', 'ProRes'], ['apco', 'ProRes'], ['ap4h', 'ProRes'],
	['encv', 'encrypted video'],
]);

const AUDIO_CODEC_NAMES = new Map<string, string>([
	['mp4a', 'MPEG-4 Audio'], ['samr', 'AMR-NB'], ['sawb', 'AMR-WB'], ['ac-3', 'AC-3'], ['ec-3', 'E-AC-3'],
	['Opus', 'Opus'], ['fLaC', 'FLAC'], ['alac', 'ALAC'], ['.mp3', 'MP3'], ['sowt', 'PCM'], ['twos', 'PCM'],
	['lpcm', 'PCM'], ['ipcm', 'PCM'], ['raw ', 'PCM'], ['ulaw', 'G.711 mu-law'], ['alaw', 'G.711 A-law'],
	['enca', 'encrypted audio'],
]);

/** What an esds objectTypeIndication means (ISO 14496-1 table 5, the values that occur in practice). */
const OBJECT_TYPE_NAMES = new Map<number, string>([
	[0x20, 'MPEG-4 Visual'], [0x21, 'H.264'], [0x23, 'HEVC'],
	[0x40, 'AAC'], [0x66, 'AAC'], [0x67, 'AAC'], [0x68, 'AAC'], [0x69, 'MP3'], [0x6b, 'MP3'],
	[0x60, 'MPEG-2 Video'], [0x61, 'MPEG-2 Video'], [0x62, 'MPEG-2 Video'], [0x63, 'MPEG-2 Video'],
	[0x64, 'MPEG-2 Video'], [0x65, 'MPEG-2 Video'], [0x6a, 'MPEG-1 Video'], [0x6c, 'JPEG'],
	[0xa5, 'AC-3'], [0xa6, 'E-AC-3'], [0xad, 'Opus'],
]);

interface Box {
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
function pathOf(box: Box): string {
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

interface TopLevel {
	majorBrand: string;
	compatibleBrands: string[];
	moov: Box;
	mdatOffset?: number;
}

/** Bounds-checked big-endian reads: every read names the box it belongs to and stays inside it. */
class BoxReader {
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

function fourccAt(bytes: Uint8Array, offset: number): string {
	return String.fromCharCode(bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]);
}

/** Box types from hostile files can hold any byte; keep error messages readable. */
function printable(text: string): string {
	return text.replace(/[^\x20-\x7e]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function quoted(fourcc: string): string {
	return `'${printable(fourcc)}'`;
}

function describeUnknownStart(bytes: Uint8Array): string {
	const known = KNOWN_SIGNATURES.find(
		(signature) =>
			bytes.length >= signature.bytes.length && signature.bytes.every((byte, index) => bytes[index] === byte),
	);
	if (known) return `the file is ${known.name}, not an MP4/3GP video`;
	return 'the file does not start with an ftyp box';
}

/**
 * The top level: `ftyp` first, exactly one `moov`, and where the first `mdat` is. Only box headers
 * are read, so the size of `mdat` does not matter.
 */
function readTopLevel(reader: BoxReader): TopLevel {
	const fileLength = reader.length;
	if (fileLength < 8) {
		throw new InvalidVideoError(`the file is only ${fileLength} bytes long`);
	}
	const first = fourccAt(reader.bytes, 4);
	if (first !== 'ftyp') throw new InvalidVideoError(describeUnknownStart(reader.bytes));

	let brands: { majorBrand: string; compatibleBrands: string[] } | undefined;
	let moov: Box | undefined;
	let mdatOffset: number | undefined;
	const types: string[] = [];
	let offset = 0;
	while (offset < fileLength) {
		if (moov && fileLength - offset < 8) break;
		const header = reader.header(offset, fileLength, undefined);
		const truncated = header.declaredEnd > fileLength;
		if (truncated && (!moov || header.type === 'moov')) {
			throw new InvalidVideoError(
				`the file is truncated: box ${quoted(header.type)} at offset ${offset} declares ` +
					`${header.declaredEnd - offset} bytes but only ${fileLength - offset} remain` +
					(moov ? '' : ', and no complete moov box came before it'),
			);
		}
		types.push(header.type);
		const box: Box = {
			type: header.type,
			start: header.start,
			payload: header.payload,
			end: Math.min(header.declaredEnd, fileLength),
			depth: 0,
			index: 0,
		};
		if (header.type === 'ftyp' && !brands) brands = readBrands(reader, box);
		if (header.type === 'moov') {
			if (moov) {
				throw new InvalidVideoError(`two moov boxes (at offsets ${moov.start} and ${offset}); refusing to guess which one players use`);
			}
			moov = box;
		}
		if (header.type === 'mdat' && mdatOffset === undefined) mdatOffset = offset;
		if (truncated) break;
		offset = box.end;
	}
	if (!brands) throw new InvalidVideoError('no ftyp box');
	if (!moov) {
		const listed = types.slice(0, 8).map(quoted).join(', ');
		throw new InvalidVideoError(`no moov box (top-level boxes: ${listed}${types.length > 8 ? ', ...' : ''})`);
	}
	return { ...brands, moov, mdatOffset };
}

function readBrands(reader: BoxReader, ftyp: Box): { majorBrand: string; compatibleBrands: string[] } {
	if (ftyp.end - ftyp.payload < 8) {
		throw new InvalidVideoError(`the ftyp box has ${ftyp.end - ftyp.payload} bytes, too few for a brand and a version (8)`);
	}
	const majorBrand = reader.fourcc(ftyp.payload, ftyp);
	const compatibleBrands: string[] = [];
	for (
		let offset = ftyp.payload + 8;
		offset + 4 <= ftyp.end && compatibleBrands.length < MAX_COMPATIBLE_BRANDS;
		offset += 4
	) {
		compatibleBrands.push(reader.fourcc(offset, ftyp));
	}
	return { majorBrand, compatibleBrands };
}

function containerOf(majorBrand: string, compatibleBrands: string[]): 'mp4' | '3gp' {
	// 3GPP2 ('3g2a'...) is a different MIME type that WhatsApp does not list, so only 3GPP counts as 3gp.
	if (/^3g[^2]/.test(majorBrand)) return '3gp';
	if (majorBrand === 'qt  ' && !compatibleBrands.some((brand) => MP4_BRANDS.has(brand))) {
		throw new InvalidVideoError(
			`this is a QuickTime .mov file (brand 'qt  ', compatible brands ${compatibleBrands.map(quoted).join(', ') || 'none'}), not MP4`,
		);
	}
	return 'mp4';
}

function fullBoxVersion(reader: BoxReader, box: Box): number {
	return reader.u8(box.payload, box);
}

/** The movie duration from mvhd, or for a fragmented file with an empty moov, from mvex/mehd. */
function readDuration(reader: BoxReader, moov: Box): number | undefined {
	const mvhd = reader.child(moov, 'mvhd');
	if (!mvhd) return undefined;
	const v1 = fullBoxVersion(reader, mvhd) === 1;
	const timescale = reader.u32(mvhd.payload + (v1 ? 20 : 12), mvhd);
	let duration = v1 ? readDuration64(reader, mvhd, mvhd.payload + 24) : reader.u32(mvhd.payload + 16, mvhd);
	if (duration === 0) {
		const mehd = findPath(reader, moov, ['mvex', 'mehd']);
		if (mehd) {
			duration = fullBoxVersion(reader, mehd) === 1
				? readDuration64(reader, mehd, mehd.payload + 4)
				: reader.u32(mehd.payload + 4, mehd);
		}
	}
	// All ones is the format's "unknown duration".
	if (timescale === 0 || duration === undefined || duration === 0xffffffff) return undefined;
	return duration / timescale;
}

function readDuration64(reader: BoxReader, box: Box, offset: number): number | undefined {
	const high = reader.u32(offset, box);
	const low = reader.u32(offset + 4, box);
	if (high === 0xffffffff && low === 0xffffffff) return undefined;
	return high * 0x1_0000_0000 + low;
}

function findPath(reader: BoxReader, from: Box, path: string[]): Box | undefined {
	let box: Box | undefined = from;
	for (const type of path) {
		if (!box) return undefined;
		box = reader.child(box, type);
	}
	return box;
}

function tracksOf(reader: BoxReader, moov: Box): Box[] {
	return [...reader.children(moov)].filter((box) => box.type === 'trak');
}

function handlerOf(reader: BoxReader, trak: Box): string {
	const mdia = reader.requiredChild(trak, 'mdia');
	const hdlr = reader.requiredChild(mdia, 'hdlr');
	return reader.fourcc(hdlr.payload + 8, hdlr);
}

function sampleTableBox(reader: BoxReader, trak: Box): Box {
	const mdia = reader.requiredChild(trak, 'mdia');
	const minf = reader.requiredChild(mdia, 'minf');
	return reader.requiredChild(minf, 'stbl');
}

/** The first sample entry of stsd; a track that switches codecs midway is described by its first. */
function firstSampleEntry(reader: BoxReader, stbl: Box): { entry: Box; stsdVersion: number } {
	const stsd = reader.requiredChild(stbl, 'stsd');
	const count = reader.u32(stsd.payload + 4, stsd);
	const first = count > 0 ? reader.children(stsd, stsd.payload + 8).next() : undefined;
	if (!first || first.done) throw new InvalidVideoError(`${pathOf(stsd)} has no sample entry`);
	return { entry: first.value, stsdVersion: fullBoxVersion(reader, stsd) };
}

/** Width and height in tkhd are 16.16 fixed point; for video they are the display size. */
function trackHeaderSize(reader: BoxReader, trak: Box): { width: number; height: number } | undefined {
	const tkhd = reader.child(trak, 'tkhd');
	if (!tkhd) return undefined;
	const at = tkhd.payload + (fullBoxVersion(reader, tkhd) === 1 ? 88 : 76);
	return { width: Math.floor(reader.u32(at, tkhd) / 65536), height: Math.floor(reader.u32(at + 4, tkhd) / 65536) };
}

/** VisualSampleEntry: 8 bytes of SampleEntry, then 70 of its own before its child boxes. */
const VISUAL_ENTRY_BYTES = 78;

function readVideoTrack(reader: BoxReader, trak: Box, trackIndex: number): VideoTrackInfo {
	const stbl = sampleTableBox(reader, trak);
	checkSampleTables(reader, stbl);
	const { entry } = firstSampleEntry(reader, stbl);
	const codec = entry.type;
	if (entry.end - entry.payload < VISUAL_ENTRY_BYTES) {
		throw new InvalidVideoError(`${pathOf(entry)}: a video sample entry needs ${VISUAL_ENTRY_BYTES} bytes, this one has ${entry.end - entry.payload}`);
	}
	let codecName = VIDEO_CODEC_NAMES.get(codec) ?? printable(codec);
	const childrenStart = entry.payload + VISUAL_ENTRY_BYTES;
	const avcC = reader.child(entry, 'avcC', childrenStart);
	const hvcC = avcC ? undefined : reader.child(entry, 'hvcC', childrenStart);
	let profile: { profile: string; profileIdc: number; level: number } | undefined;
	if (avcC) {
		const profileIdc = reader.u8(avcC.payload + 1, avcC);
		profile = {
			profile: avcProfileName(profileIdc, reader.u8(avcC.payload + 2, avcC)),
			profileIdc,
			level: reader.u8(avcC.payload + 3, avcC) / 10,
		};
	} else if (hvcC) {
		const profileIdc = reader.u8(hvcC.payload + 1, hvcC) & 0x1f;
		profile = {
			profile: HEVC_PROFILE_NAMES.get(profileIdc) ?? `profile ${profileIdc}`,
			profileIdc,
			level: Math.round(reader.u8(hvcC.payload + 12, hvcC) / 3) / 10,
		};
	} else if (codec === 'mp4v') {
		// mp4v is a wrapper: the esds object type says whether it really is MPEG-4 Visual.
		const esds = reader.child(entry, 'esds', childrenStart);
		const objectType = esds ? readEsds(reader, esds).objectType : undefined;
		codecName = (objectType === undefined ? undefined : OBJECT_TYPE_NAMES.get(objectType)) ?? codecName;
	}

	// The sample entry has the coded size; tkhd (the display size) only when the entry says 0.
	let width = reader.u16(entry.payload + 24, entry);
	let height = reader.u16(entry.payload + 26, entry);
	if (width === 0 || height === 0) ({ width, height } = trackHeaderSize(reader, trak) ?? { width, height });

	const bFramesEvidence: string[] = [];
	const ctts = reader.child(stbl, 'ctts');
	if (ctts && hasNonZeroCompositionOffset(reader, ctts)) {
		bFramesEvidence.push('ctts with non-zero composition offsets');
	}
	if (ctts && avcC && profile && !['Baseline', 'Constrained Baseline'].includes(profile.profile)) {
		bFramesEvidence.push(`ctts present in a ${profile.profile} profile stream (a profile that allows B-frames)`);
	}
	return {
		trackIndex,
		codec: printable(codec),
		codecName,
		...profile,
		width,
		height,
		bFrames: bFramesEvidence.length > 0,
		bFramesEvidence,
	};
}

/** ffprobe's H.264 profile names: constraint_set1 marks Constrained Baseline, constraint_set3 the Intra profiles. */
function avcProfileName(profileIdc: number, constraintFlags: number): string {
	const constraintSet1 = (constraintFlags & 0x40) !== 0;
	const constraintSet3 = (constraintFlags & 0x10) !== 0;
	switch (profileIdc) {
		case 66: return constraintSet1 ? 'Constrained Baseline' : 'Baseline';
		case 77: return 'Main';
		case 88: return 'Extended';
		case 100: return 'High';
		case 110: return constraintSet3 ? 'High 10 Intra' : 'High 10';
		case 122: return constraintSet3 ? 'High 4:2:2 Intra' : 'High 4:2:2';
		case 244: return constraintSet3 ? 'High 4:4:4 Intra' : 'High 4:4:4 Predictive';
		case 44: return 'CAVLC 4:4:4';
		case 118: return 'Multiview High';
		case 128: return 'Stereo High';
		default: return `profile ${profileIdc}`;
	}
}

const HEVC_PROFILE_NAMES = new Map<number, string>([[1, 'Main'], [2, 'Main 10'], [3, 'Main Still Picture'], [4, 'Rext']]);

/** Any entry that applies to at least one sample and shifts it: the frames are not shown in decode order. */
function hasNonZeroCompositionOffset(reader: BoxReader, ctts: Box): boolean {
	const signed = fullBoxVersion(reader, ctts) === 1;
	const count = reader.tableCount(ctts, ctts.payload + 4, 8);
	for (let index = 0, at = ctts.payload + 8; index < count; index++, at += 8) {
		const samples = reader.u32(at, ctts);
		const shift = signed ? reader.i32(at + 4, ctts) : reader.u32(at + 4, ctts);
		if (samples > 0 && shift !== 0) return true;
	}
	return false;
}

/**
 * AudioSampleEntry: 8 bytes of SampleEntry and 20 of its own. QuickTime's sound description versions
 * 1 and 2 add 16 and 36 bytes; ISO's own version 1 adds none but only appears in an stsd of version 1,
 * which is how ffmpeg tells them apart too.
 */
const AUDIO_ENTRY_BYTES = 28;
const QUICKTIME_AUDIO_EXTRA_BYTES = new Map<number, number>([[0, 0], [1, 16], [2, 36]]);

function readAudioTrack(reader: BoxReader, trak: Box, trackIndex: number): AudioTrackInfo {
	const stbl = sampleTableBox(reader, trak);
	checkSampleTables(reader, stbl);
	const { entry, stsdVersion } = firstSampleEntry(reader, stbl);
	const codec = entry.type;
	const track: AudioTrackInfo = { trackIndex, codec: printable(codec), codecName: AUDIO_CODEC_NAMES.get(codec) ?? printable(codec) };
	if (codec !== 'mp4a') return track;

	const version = reader.u16(entry.payload + 8, entry);
	const extra = stsdVersion === 0 ? QUICKTIME_AUDIO_EXTRA_BYTES.get(version) : 0;
	if (extra === undefined) {
		throw new InvalidVideoError(`${pathOf(entry)}: unknown audio sample entry version ${version}`);
	}
	const childrenStart = entry.payload + AUDIO_ENTRY_BYTES + extra;
	if (childrenStart > entry.end) {
		throw new InvalidVideoError(`${pathOf(entry)}: an audio sample entry of version ${version} needs ${AUDIO_ENTRY_BYTES + extra} bytes, this one has ${entry.end - entry.payload}`);
	}
	// QuickTime files put esds inside a 'wave' box; MP4 files put it straight in the entry.
	const wave = reader.child(entry, 'wave', childrenStart);
	const esds = reader.child(entry, 'esds', childrenStart) ?? (wave ? reader.child(wave, 'esds') : undefined);
	if (!esds) return track;
	const config = readEsds(reader, esds);
	track.objectType = config.objectType;
	track.audioObjectType = config.audioObjectType;
	if (config.objectType !== undefined) {
		track.codecName = OBJECT_TYPE_NAMES.get(config.objectType) ?? `MPEG-4 Audio (object type 0x${config.objectType.toString(16)})`;
	}
	return track;
}

interface Descriptor {
	tag: number;
	payload: number;
	end: number;
}

/** ISO 14496-1 descriptors: a tag byte and a length of up to four 7-bit groups. */
function readDescriptor(reader: BoxReader, box: Box, offset: number, limit: number): Descriptor {
	const tag = reader.u8(offset, box);
	let length = 0;
	let at = offset + 1;
	for (let groups = 0; ; groups++) {
		if (groups === 4) throw new InvalidVideoError(`${pathOf(box)}: descriptor length at offset ${offset + 1} runs past four bytes`);
		const byte = reader.u8(at++, box);
		length = length * 128 + (byte & 0x7f);
		if ((byte & 0x80) === 0) break;
	}
	if (at + length > limit) {
		throw new InvalidVideoError(`${pathOf(box)}: descriptor with tag ${tag} at offset ${offset} declares ${length} bytes, past the end of what contains it`);
	}
	return { tag, payload: at, end: at + length };
}

function findDescriptor(reader: BoxReader, box: Box, from: number, limit: number, tag: number): Descriptor | undefined {
	for (let offset = from; offset < limit; ) {
		const descriptor = readDescriptor(reader, box, offset, limit);
		if (descriptor.tag === tag) return descriptor;
		offset = descriptor.end;
	}
	return undefined;
}

const ES_DESCRIPTOR = 0x03;
const DECODER_CONFIG_DESCRIPTOR = 0x04;
const DECODER_SPECIFIC_INFO = 0x05;

/** esds -> ES_Descriptor -> DecoderConfigDescriptor (objectTypeIndication) -> AudioSpecificConfig. */
function readEsds(reader: BoxReader, esds: Box): { objectType?: number; audioObjectType?: number } {
	const es = readDescriptor(reader, esds, esds.payload + 4, esds.end);
	if (es.tag !== ES_DESCRIPTOR) {
		throw new InvalidVideoError(`${pathOf(esds)}: expected an ES_Descriptor (tag 3), found tag ${es.tag}`);
	}
	const flags = reader.u8(es.payload + 2, esds);
	let offset = es.payload + 3;
	if (flags & 0x80) offset += 2; // dependsOn_ES_ID
	if (flags & 0x40) offset += 1 + reader.u8(offset, esds); // URL
	if (flags & 0x20) offset += 2; // OCR_ES_Id
	const config = findDescriptor(reader, esds, offset, es.end, DECODER_CONFIG_DESCRIPTOR);
	if (!config) return {};
	// objectTypeIndication, streamType, bufferSizeDB (3), maxBitrate (4), avgBitrate (4).
	const configBytes = 13;
	if (config.end - config.payload < configBytes) {
		throw new InvalidVideoError(`${pathOf(esds)}: DecoderConfigDescriptor has ${config.end - config.payload} bytes, needs ${configBytes}`);
	}
	const objectType = reader.u8(config.payload, esds);
	const specific = findDescriptor(reader, esds, config.payload + configBytes, config.end, DECODER_SPECIFIC_INFO);
	if (!specific || specific.end === specific.payload) return { objectType };
	const first = reader.u8(specific.payload, esds);
	let audioObjectType = first >> 3;
	// 31 is the escape for object types 32 and up, carried in the next six bits.
	if (audioObjectType === 31) {
		if (specific.end - specific.payload < 2) {
			throw new InvalidVideoError(`${pathOf(esds)}: AudioSpecificConfig ends inside its escaped object type`);
		}
		audioObjectType = 32 + (((first & 0x07) << 3) | (reader.u8(specific.payload + 1, esds) >> 5));
	}
	return { objectType, audioObjectType };
}

/**
 * Inspection never loops over the sample tables, but a table whose count overruns its box means
 * a broken file that players will choke on, so it is caught here at the cost of one read each.
 */
function checkSampleTables(reader: BoxReader, stbl: Box): void {
	for (const box of reader.children(stbl)) {
		if (box.type === 'stsz') readStsz(reader, box);
		else if (box.type === 'stz2') readStz2(reader, box);
		else if (box.type === 'stsc') reader.tableCount(box, box.payload + 4, 12);
		else if (box.type === 'stco') reader.tableCount(box, box.payload + 4, 4);
		else if (box.type === 'co64') reader.tableCount(box, box.payload + 4, 8);
		else if (box.type === 'stts' || box.type === 'ctts') reader.tableCount(box, box.payload + 4, 8);
	}
}

/**
 * Reads the container, brands, duration, tracks and box order of an MP4/3GP file, from `moov` and
 * the top-level box headers only. Throws only `InvalidVideoError`.
 */
export function inspectVideo(bytes: Uint8Array): VideoInspection {
	const reader = new BoxReader(bytes);
	const top = readTopLevel(reader);
	const container = containerOf(top.majorBrand, top.compatibleBrands);
	const durationSeconds = readDuration(reader, top.moov);
	const inspection: VideoInspection = {
		container,
		majorBrand: top.majorBrand,
		compatibleBrands: top.compatibleBrands,
		...(durationSeconds === undefined ? {} : { durationSeconds }),
		faststart: top.mdatOffset === undefined || top.moov.start < top.mdatOffset,
		moovOffset: top.moov.start,
		...(top.mdatOffset === undefined ? {} : { mdatOffset: top.mdatOffset }),
		video: [],
		audio: [],
		otherTracks: [],
	};

	tracksOf(reader, top.moov).forEach((trak, trackIndex) => {
		const handler = handlerOf(reader, trak);
		if (handler === 'vide') inspection.video.push(readVideoTrack(reader, trak, trackIndex));
		else if (handler === 'soun') inspection.audio.push(readAudioTrack(reader, trak, trackIndex));
		else inspection.otherTracks.push(printable(handler));
	});
	return inspection;
}

interface SampleSizes {
	count: number;
	/** Set when stsz gives one size for all samples instead of a table. */
	uniformSize?: number;
	sizeOf: (index: number) => number;
	box: Box;
}

function readStsz(reader: BoxReader, stsz: Box): SampleSizes {
	const uniformSize = reader.u32(stsz.payload + 4, stsz);
	if (uniformSize !== 0) {
		const count = reader.u32(stsz.payload + 8, stsz);
		return { count, uniformSize, sizeOf: () => uniformSize, box: stsz };
	}
	const count = reader.tableCount(stsz, stsz.payload + 8, 4);
	const table = stsz.payload + 12;
	return { count, sizeOf: (index) => reader.u32(table + index * 4, stsz), box: stsz };
}

/** The compact form: 4-, 8- or 16-bit sizes. */
function readStz2(reader: BoxReader, stz2: Box): SampleSizes {
	const fieldBits = reader.u8(stz2.payload + 7, stz2);
	if (fieldBits !== 4 && fieldBits !== 8 && fieldBits !== 16) {
		throw new InvalidVideoError(`${pathOf(stz2)}: field size ${fieldBits} is not 4, 8 or 16`);
	}
	const count = reader.u32(stz2.payload + 8, stz2);
	const table = stz2.payload + 12;
	const needed = Math.ceil((count * fieldBits) / 8);
	if (needed > stz2.end - table) {
		throw new InvalidVideoError(`${pathOf(stz2)}: ${count} sizes of ${fieldBits} bits need ${needed} bytes, the box has ${stz2.end - table}`);
	}
	const sizeOf =
		fieldBits === 16
			? (index: number) => reader.u16(table + index * 2, stz2)
			: fieldBits === 8
				? (index: number) => reader.u8(table + index, stz2)
				: (index: number) => (reader.u8(table + (index >> 1), stz2) >> (index % 2 === 0 ? 4 : 0)) & 0x0f;
	return { count, sizeOf, box: stz2 };
}

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
	const top = readTopLevel(reader);
	containerOf(top.majorBrand, top.compatibleBrands);
	const tracks = tracksOf(reader, top.moov);
	if (!Number.isInteger(trackIndex) || trackIndex < 0 || trackIndex >= tracks.length) {
		throw new InvalidVideoError(`there is no track ${trackIndex} (the file has ${tracks.length} tracks)`);
	}
	const stbl = sampleTableBox(reader, tracks[trackIndex]);
	const sizeBox = reader.child(stbl, 'stsz') ?? reader.child(stbl, 'stz2');
	if (!sizeBox) throw new InvalidVideoError(`${pathOf(stbl)} has neither 'stsz' nor 'stz2'`);
	const sizes = sizeBox.type === 'stsz' ? readStsz(reader, sizeBox) : readStz2(reader, sizeBox);
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
