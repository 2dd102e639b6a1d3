import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';

import type { VideoContainer } from './mp4/container';
import { sniffContainer } from './mp4/container';
import type { FieldContext } from './validation';
import { invalidField, quote } from './validation';

/** WhatsApp's limit for a video message (both providers document 16 MB = 16384 KB). */
export const VIDEO_MAX_BYTES = 16 * 1024 * 1024;

const CONTAINER_MIME_TYPES: Record<VideoContainer, 'video/mp4' | 'video/3gpp'> = {
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

export const BINARY_FIELD = 'Input Binary Field';

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
