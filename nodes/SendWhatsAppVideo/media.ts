import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';

import type { FieldContext } from './validation';
import { invalidField, quote } from './validation';

/** WhatsApp's limit for a video message (both providers document 16 MB = 16384 KB). */
export const VIDEO_MAX_BYTES = 16 * 1024 * 1024;

export type VideoContainer = 'mp4' | '3gp';

export const CONTAINER_MIME_TYPES: Record<VideoContainer, 'video/mp4' | 'video/3gpp'> = {
	mp4: 'video/mp4',
	'3gp': 'video/3gpp',
};

/** A video read from an item's binary data, checked and ready to upload. */
export interface VideoFile {
	bytes: Buffer;
	fileName: string;
	mimeType: 'video/mp4' | 'video/3gpp';
	container: VideoContainer;
}

const MP4_BRANDS = new Set([
	'isom', 'iso2', 'iso3', 'iso4', 'iso5', 'iso6', 'iso7', 'iso8', 'iso9',
	'mp41', 'mp42', 'mp71', 'avc1', 'M4V ', 'M4VH', 'M4VP', 'dash', 'mmp4', 'msnv', 'ndas', 'XAVC', 'f4v ',
]);
const AUDIO_ONLY_BRANDS = new Set(['M4A ', 'M4B ', 'M4P ', 'F4A ', 'F4B ']);

/** Magic numbers of files people commonly feed into a video node by mistake. */
const KNOWN_SIGNATURES: Array<{ name: string; matches: (bytes: Buffer) => boolean }> = [
	{ name: 'a PNG image', matches: (b) => b.subarray(0, 8).equals(Buffer.from('89504e470d0a1a0a', 'hex')) },
	{ name: 'a JPEG image', matches: (b) => b.subarray(0, 3).equals(Buffer.from('ffd8ff', 'hex')) },
	{ name: 'a GIF image', matches: (b) => b.subarray(0, 4).toString('latin1') === 'GIF8' },
	{ name: 'a WebM/Matroska video', matches: (b) => b.subarray(0, 4).equals(Buffer.from('1a45dfa3', 'hex')) },
	{ name: 'an AVI video', matches: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'AVI ' },
	{ name: 'a PDF document', matches: (b) => b.subarray(0, 5).toString('latin1') === '%PDF-' },
	{ name: 'a ZIP archive', matches: (b) => b.subarray(0, 4).equals(Buffer.from('504b0304', 'hex')) },
	{ name: 'an MPEG transport stream', matches: (b) => b[0] === 0x47 && b.length > 188 && b[188] === 0x47 },
	{ name: 'an HTML page (often an error or login page saved instead of the video)', matches: (b) => /^\s*</.test(b.subarray(0, 64).toString('latin1')) },
];

export type SniffResult =
	| { container: VideoContainer; brand: string }
	| { problem: string };

/**
 * Decides from the bytes, not the upstream MIME type or file name, whether this is an MP4 or 3GP:
 * upstream nodes often say `application/octet-stream`, and a renamed PNG still says `.mp4`.
 */
export function sniffContainer(bytes: Buffer): SniffResult {
	if (bytes.length < 12) return { problem: `the file is only ${bytes.length} bytes long` };
	if (bytes.subarray(4, 8).toString('latin1') !== 'ftyp') {
		const known = KNOWN_SIGNATURES.find((signature) => signature.matches(bytes));
		return {
			problem: known
				? `the file is ${known.name}, not an MP4 or 3GP video`
				: 'the file does not start with an MP4/3GP "ftyp" header',
		};
	}
	const boxSize = Math.min(bytes.readUInt32BE(0), bytes.length);
	const major = bytes.subarray(8, 12).toString('latin1');
	const compatible: string[] = [];
	for (let offset = 16; offset + 4 <= boxSize; offset += 4) {
		compatible.push(bytes.subarray(offset, offset + 4).toString('latin1'));
	}
	if (/^3g[^2]/.test(major)) return { container: '3gp', brand: major };
	if (AUDIO_ONLY_BRANDS.has(major)) {
		return { problem: `the file is an audio-only MPEG-4 file (brand "${major.trim()}")` };
	}
	if (MP4_BRANDS.has(major) || compatible.some((brand) => MP4_BRANDS.has(brand))) {
		return { container: 'mp4', brand: major };
	}
	if (major === 'qt  ') {
		return { problem: 'the file is a QuickTime .mov video, not MP4' };
	}
	return { problem: `the file's brand "${major}" is neither MP4 nor 3GP` };
}

const CONVERT_HINT =
	'WhatsApp accepts MP4 (H.264 video, AAC audio) and 3GP only. Convert it first, e.g. `ffmpeg -i input -c:v libx264 -profile:v main -bf 0 -c:a aac -movflags +faststart output.mp4`, or use a node that produces MP4.';

/**
 * The exact size, from metadata where n8n has it (`bytes` since n8n 1.x/2.x, the binary data
 * service for id-backed modes) so an oversized file is rejected without being read into memory.
 */
async function binarySize(ctx: IExecuteFunctions, binary: IBinaryData): Promise<number | undefined> {
	if (typeof binary.bytes === 'number') return binary.bytes;
	if (binary.id) return (await ctx.helpers.getBinaryMetadata(binary.id)).fileSize;
	if (binary.data) {
		const padding = binary.data.endsWith('==') ? 2 : binary.data.endsWith('=') ? 1 : 0;
		return Math.floor((binary.data.length * 3) / 4) - padding;
	}
	return undefined;
}

function checkSize(context: FieldContext, field: string, size: number): void {
	if (size === 0) {
		throw invalidField(context, field, 'the file is empty (0 bytes)', 'Check the node that produced the file; it wrote no data.');
	}
	if (size > VIDEO_MAX_BYTES) {
		const megabytes = (size / 1024 / 1024).toFixed(1);
		throw invalidField(
			context,
			field,
			`the video is ${megabytes} MB (${size} bytes); WhatsApp accepts at most 16 MB (${VIDEO_MAX_BYTES} bytes)`,
			'Shorten or compress it, e.g. `ffmpeg -i input.mp4 -c:v libx264 -crf 28 -preset slow -c:a aac -b:a 96k -movflags +faststart output.mp4`.',
		);
	}
}

function fileNameFor(requested: string, container: VideoContainer): string {
	const extension = container === 'mp4' ? '.mp4' : '.3gp';
	const name = requested.trim() || `video${extension}`;
	const match = /\.([A-Za-z0-9]{1,5})$/.exec(name);
	if (!match) return `${name}${extension}`;
	const current = match[1].toLowerCase();
	const fits = container === 'mp4' ? current === 'mp4' || current === 'm4v' : current === '3gp' || current === '3gpp';
	// Lancepilot validates by extension ("mp4, 3gp"), so the name must agree with the bytes.
	return fits ? name : `${name.slice(0, -match[0].length)}${extension}`;
}

/** A binary property found on an item and checked from its metadata; its bytes are not read yet. */
export interface BinaryVideoRef {
	propertyName: string;
	binary: IBinaryData;
}

const BINARY_FIELD = 'Input Binary Field';

/**
 * Finds the video's binary property and checks its size from n8n's metadata, without reading the
 * bytes, so a whole batch can be checked before anything is sent or loaded into memory.
 */
export async function locateBinaryVideo(
	ctx: IExecuteFunctions,
	context: FieldContext,
	propertyName: string,
): Promise<BinaryVideoRef> {
	const available = Object.keys(ctx.getInputData()[context.itemIndex]?.binary ?? {});
	if (!available.includes(propertyName)) {
		throw invalidField(
			context,
			BINARY_FIELD,
			`the item has no binary property ${quote(propertyName)}`,
			available.length
				? `This item's binary properties are: ${available.join(', ')}. Set "${BINARY_FIELD}" to the one holding the video.`
				: 'This item carries no binary data. Connect a node that outputs the file (e.g. Read/Write Files, HTTP Request with "File" response, Form Trigger), or choose "URL" as the source.',
		);
	}
	const binary = ctx.helpers.assertBinaryData(context.itemIndex, propertyName);
	const declaredSize = await binarySize(ctx, binary);
	if (declaredSize !== undefined) checkSize(context, BINARY_FIELD, declaredSize);
	return { propertyName, binary };
}

/**
 * Reads the video through n8n's helpers (so it works in every binary data mode) when its item's
 * turn comes, and decides from the bytes what it is.
 */
export async function loadBinaryVideo(
	ctx: IExecuteFunctions,
	context: FieldContext,
	ref: BinaryVideoRef,
	fileNameOverride: string,
): Promise<VideoFile> {
	const bytes = await ctx.helpers.getBinaryDataBuffer(context.itemIndex, ref.propertyName);
	const { mimeType, fileName } = ref.binary;
	const declared = mimeType ? `upstream called it ${mimeType}${fileName ? `, "${fileName}"` : ''}` : undefined;
	return videoFromBytes(context, BINARY_FIELD, bytes, fileNameOverride || fileName || '', declared);
}

/** Checks bytes from any source (a binary, a download) and names them after their real container. */
export function videoFromBytes(
	context: FieldContext,
	field: string,
	bytes: Buffer,
	fileName: string,
	declared?: string,
): VideoFile {
	checkSize(context, field, bytes.length);
	const sniffed = sniffContainer(bytes);
	if ('problem' in sniffed) {
		throw invalidField(context, field, `${sniffed.problem}${declared ? ` (${declared})` : ''}`, CONVERT_HINT);
	}
	return {
		bytes,
		container: sniffed.container,
		mimeType: CONTAINER_MIME_TYPES[sniffed.container],
		fileName: fileNameFor(fileName, sniffed.container),
	};
}

/** Adds the video as a multipart file part with its file name and content type. */
export function appendVideoPart(form: FormData, fieldName: string, file: VideoFile): void {
	// Buffers from n8n are never backed by a SharedArrayBuffer; the cast only narrows the DOM type.
	const bytes = file.bytes as Uint8Array<ArrayBuffer>;
	form.append(fieldName, new Blob([bytes], { type: file.mimeType }), file.fileName);
}
