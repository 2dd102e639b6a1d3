/**
 * The one container sniffer: what kind of file the bytes are, from the `ftyp` box at its start
 * (MP4, 3GP, QuickTime .mov, an audio-only MPEG-4 file, something else) and, for a file without
 * `ftyp`, what it is instead, so an error can name it (a PNG, an HTML page...). It decides from the
 * bytes, not the upstream MIME type or file name: upstream nodes often say
 * `application/octet-stream`, and a renamed PNG still says `.mp4`.
 *
 * `sniffContainer` looks at the first box only and is what every file passes before it is sent;
 * the inspection walks the whole top level and classifies the brands it found with
 * `containerOfBrands`, the same rules.
 */
import { fourccAt } from './boxes';

export type VideoContainer = 'mp4' | '3gp';

/** What the brands of an `ftyp` box say the file is. */
type BrandVerdict = VideoContainer | 'quicktime' | 'audio-only' | 'other';

/** Brands that promise an ISO/MP4 file; a `qt  ` file naming one of these is an MP4 that QuickTime also reads. */
const MP4_BRANDS = new Set([
	'isom', 'iso2', 'iso3', 'iso4', 'iso5', 'iso6', 'iso7', 'iso8', 'iso9',
	'mp41', 'mp42', 'mp71', 'avc1', 'M4V ', 'M4VH', 'M4VP', 'dash', 'mmp4', 'msnv', 'ndas', 'XAVC', 'f4v ',
]);
const AUDIO_ONLY_BRANDS = new Set(['M4A ', 'M4B ', 'M4P ', 'F4A ', 'F4B ']);

/**
 * - Major brand `3gp*`, `3gs*`, `3ge*`, `3gg*`... (any `3g` but 3GPP2's `3g2*`, a different MIME
 *   type that WhatsApp does not list): 3gp.
 * - An audio-only major brand (`M4A `...): audio-only, whatever else it claims.
 * - An MP4 brand as the major brand or among the compatible ones: mp4.
 * - `qt  ` with no MP4 brand among the compatible ones: QuickTime, which WhatsApp does not take.
 * - Anything else: other.
 */
export function containerOfBrands(majorBrand: string, compatibleBrands: readonly string[]): BrandVerdict {
	if (/^3g[^2]/.test(majorBrand)) return '3gp';
	if (AUDIO_ONLY_BRANDS.has(majorBrand)) return 'audio-only';
	if (MP4_BRANDS.has(majorBrand) || compatibleBrands.some((brand) => MP4_BRANDS.has(brand))) return 'mp4';
	if (majorBrand === 'qt  ') return 'quicktime';
	return 'other';
}

function startsWith(bytes: Uint8Array, signature: readonly number[], at = 0): boolean {
	return bytes.length >= at + signature.length && signature.every((byte, index) => bytes[at + index] === byte);
}

function latin1(bytes: Uint8Array, from: number, to: number): string {
	return String.fromCharCode(...bytes.subarray(from, to));
}

/** Magic numbers of files people commonly feed into a video node by mistake, first match wins. */
const KNOWN_SIGNATURES: Array<{ name: string; matches: (bytes: Uint8Array) => boolean }> = [
	{ name: 'a PNG image', matches: (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
	{ name: 'a JPEG image', matches: (b) => startsWith(b, [0xff, 0xd8, 0xff]) },
	{ name: 'a GIF image', matches: (b) => latin1(b, 0, 4) === 'GIF8' },
	{ name: 'a WebM/Matroska video', matches: (b) => startsWith(b, [0x1a, 0x45, 0xdf, 0xa3]) },
	{ name: 'an AVI video', matches: (b) => latin1(b, 0, 4) === 'RIFF' && latin1(b, 8, 12) === 'AVI ' },
	{ name: 'a RIFF (WAV/WebP) file', matches: (b) => latin1(b, 0, 4) === 'RIFF' },
	{ name: 'a PDF document', matches: (b) => latin1(b, 0, 5) === '%PDF-' },
	{ name: 'a ZIP archive', matches: (b) => startsWith(b, [0x50, 0x4b, 0x03, 0x04]) },
	{ name: 'an MP3 file with ID3 tags', matches: (b) => latin1(b, 0, 3) === 'ID3' },
	{ name: 'an Ogg file', matches: (b) => latin1(b, 0, 4) === 'OggS' },
	{ name: 'an MPEG transport stream', matches: (b) => b[0] === 0x47 && b.length > 188 && b[188] === 0x47 },
	{
		name: 'an HTML or XML page (often the HTML page of an error or a login, saved instead of the video)',
		matches: (b) => /^\s*</.test(latin1(b, 0, 64)),
	},
];

/** What a file that does not start with `ftyp` is, e.g. 'a PNG image', when its start is one people often mistake for a video. */
export function recogniseFile(bytes: Uint8Array): string | undefined {
	return KNOWN_SIGNATURES.find((signature) => signature.matches(bytes))?.name;
}

type SniffResult =
	| { container: VideoContainer; brand: string }
	| { problem: string };

/**
 * MP4 or 3GP, from the first box alone; otherwise what is wrong, in words for the user. The
 * compatible brands are read as far as the first box and the buffer go.
 */
export function sniffContainer(bytes: Uint8Array): SniffResult {
	if (bytes.length < 12) return { problem: `the file is only ${bytes.length} bytes long` };
	if (fourccAt(bytes, 4) !== 'ftyp') {
		const known = recogniseFile(bytes);
		return {
			problem: known
				? `the file is ${known}, not an MP4 or 3GP video`
				: 'the file does not start with an MP4/3GP "ftyp" header',
		};
	}
	const boxSize = Math.min(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0), bytes.length);
	const major = fourccAt(bytes, 8);
	const compatible: string[] = [];
	for (let offset = 16; offset + 4 <= boxSize; offset += 4) compatible.push(fourccAt(bytes, offset));
	switch (containerOfBrands(major, compatible)) {
		case '3gp':
			return { container: '3gp', brand: major };
		case 'mp4':
			return { container: 'mp4', brand: major };
		case 'audio-only':
			return { problem: `the file is an audio-only MPEG-4 file (brand "${major.trim()}")` };
		case 'quicktime':
			return { problem: 'the file is a QuickTime .mov video, not MP4' };
		case 'other':
			return { problem: `the file's brand "${major}" is neither MP4 nor 3GP` };
	}
}
