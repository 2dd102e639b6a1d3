// Shared by inspect.test.ts and inspect.fuzz.test.ts: reading fixtures, building boxes, listing a
// file's boxes (independently of the inspector, so mutations can aim at real box headers), and
// running the independent parser mp4box.
import { readFileSync } from 'fs';
import { join } from 'path';

import type * as MP4BoxModule from 'mp4box/dist/mp4box.all.cjs';

// mp4box 2.4.1 ships only "exports" types, which this repo's `moduleResolution: node` cannot see;
// the type-only import above is erased and jest resolves the runtime through "exports".
// eslint-disable-next-line @typescript-eslint/no-require-imports
const MP4Box = require('mp4box') as typeof MP4BoxModule;

export const VIDEOS_DIR = join(__dirname, '../../../fixtures/videos');
export const CORPUS_DIR = join(__dirname, '../../../fixtures/fuzz-corpus');

export function fixture(name: string): Uint8Array {
	return new Uint8Array(readFileSync(join(VIDEOS_DIR, name)));
}

export function ascii(text: string): number[] {
	return [...text].map((char) => char.charCodeAt(0));
}

export function u16(value: number): number[] {
	return [(value >>> 8) & 0xff, value & 0xff];
}

export function u32(value: number): number[] {
	return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

export function u64(value: number): number[] {
	return [...u32(Math.floor(value / 0x1_0000_0000)), ...u32(value >>> 0)];
}

export type Part = Uint8Array | number[];

export function concat(...parts: Part[]): Uint8Array {
	const total = parts.reduce((sum, part) => sum + part.length, 0);
	const out = new Uint8Array(total);
	let offset = 0;
	for (const part of parts) {
		out.set(part, offset);
		offset += part.length;
	}
	return out;
}

/** A box with a correct 32-bit size around its parts. */
export function box(type: string, ...parts: Part[]): Uint8Array {
	const payload = concat(...parts);
	return concat(u32(payload.length + 8), ascii(type), payload);
}

/** A full box: version and flags before the parts. */
export function fullBox(type: string, version: number, ...parts: Part[]): Uint8Array {
	return box(type, [version, 0, 0, 0], ...parts);
}

export function writeU32(bytes: Uint8Array, offset: number, value: number): void {
	bytes.set(u32(value), offset);
}

export function readU32(bytes: Uint8Array, offset: number): number {
	return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset);
}

export function typeAt(bytes: Uint8Array, offset: number): string {
	return String.fromCharCode(...bytes.subarray(offset, offset + 4));
}

export interface ListedBox {
	type: string;
	offset: number;
	size: number;
	/** Offsets of the enclosing boxes, outermost first, so a test can fix their sizes. */
	ancestors: number[];
}

/** Where child boxes start inside the boxes that have some. */
function childrenStart(bytes: Uint8Array, type: string, offset: number): number | undefined {
	switch (type) {
		case 'moov': case 'trak': case 'mdia': case 'minf': case 'stbl': case 'edts': case 'dinf':
		case 'udta': case 'mvex': case 'wave':
			return offset + 8;
		case 'stsd':
			return offset + 16;
		case 'avc1': case 'avc3': case 'hvc1': case 'hev1': case 's263': case 'mp4v':
			return offset + 8 + 78;
		case 'mp4a': {
			const version = (bytes[offset + 16] << 8) | bytes[offset + 17];
			return offset + 8 + 28 + (version === 1 ? 16 : version === 2 ? 36 : 0);
		}
		default:
			return undefined;
	}
}

/** Every box of a well-formed file, depth first; stops quietly at anything malformed. */
export function listBoxes(bytes: Uint8Array): ListedBox[] {
	const out: ListedBox[] = [];
	const walk = (from: number, end: number, ancestors: number[]): void => {
		let offset = from;
		while (end - offset >= 8) {
			const size = readU32(bytes, offset);
			const type = typeAt(bytes, offset + 4);
			if (size < 8 || offset + size > end) return;
			out.push({ type, offset, size, ancestors });
			const inner = childrenStart(bytes, type, offset);
			if (inner !== undefined) walk(inner, offset + size, [...ancestors, offset]);
			offset += size;
		}
	};
	walk(0, bytes.length, []);
	return out;
}

export interface Mp4BoxTrack {
	id: number;
	codec: string;
	/** mp4box's kind, from the class of the sample entry, not from hdlr. */
	type?: string;
	handler: string;
	width: number;
	height: number;
	/** Total bytes of the track's samples, from stsz. */
	size: number;
	samples: Array<{ offset: number; size: number }>;
}

export interface Mp4BoxView {
	brands: string[];
	durationSeconds: number;
	isProgressive: boolean;
	tracks: Mp4BoxTrack[];
}

/** What mp4box (GPAC's parser, in JS) makes of the file, or undefined when it finds no movie. */
export function parseWithMp4Box(bytes: Uint8Array): Mp4BoxView | undefined {
	const file = MP4Box.createFile();
	let movie: MP4BoxModule.Movie | undefined;
	file.onReady = (info) => {
		movie = info;
	};
	file.onError = () => undefined;
	const copy = bytes.slice().buffer;
	file.appendBuffer(MP4Box.MP4BoxBuffer.fromArrayBuffer(copy, 0));
	file.flush();
	if (!movie) return undefined;
	return {
		brands: movie.brands,
		durationSeconds: movie.duration / movie.timescale,
		isProgressive: movie.isProgressive,
		tracks: movie.tracks.map((track) => ({
			id: track.id,
			codec: track.codec,
			type: track.type,
			handler: file.getTrackById(track.id).mdia.hdlr.handler,
			width: track.video?.width ?? track.track_width,
			height: track.video?.height ?? track.track_height,
			size: track.size,
			samples: (file.getTrackSamplesInfo(track.id) ?? []).map((sample) => ({ offset: sample.offset, size: sample.size })),
		})),
	};
}
