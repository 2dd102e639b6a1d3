/**
 * Where the movie is in an MP4/3GP file, and the boxes of each track.
 *
 * - The first box must be `ftyp` (no ftyp: rejected, naming PNG/JPEG/HTML/... when recognised).
 *   Its brands decide the container (`containerOfBrands`): 3gp, or else mp4, except QuickTime's
 *   `qt  ` with no MP4 brand among the compatible ones, which is rejected: WhatsApp does not take
 *   .mov. Only the first 64 compatible brands are read.
 * - Exactly one `moov`: none, or a second one, is rejected (players disagree on which one wins, and a
 *   rewrite must not guess).
 * - Only the top-level box headers are read, never an `mdat` payload, so a 16 MB file costs what a
 *   100 KB one with the same `moov` costs.
 * - A top-level box that runs past the end of the file is accepted only after a complete `moov`:
 *   that is a truncated `mdat`, and the inspection only needs `moov`. A few trailing bytes too short
 *   to be a box header are ignored after `moov` for the same reason.
 * - A track is its `trak` box; tracks are numbered in file order.
 */
import type { Box, BoxReader } from './boxes';
import { InvalidVideoError, fourccAt, fullBoxVersion, pathOf, quoted } from './boxes';
import type { VideoContainer } from './container';
import { containerOfBrands, recogniseFile } from './container';

const MAX_COMPATIBLE_BRANDS = 64;

interface TopLevel {
	container: VideoContainer;
	majorBrand: string;
	compatibleBrands: string[];
	moov: Box;
	mdatOffset?: number;
}

function describeUnknownStart(bytes: Uint8Array): string {
	const known = recogniseFile(bytes);
	if (known) return `the file is ${known}, not an MP4/3GP video`;
	return 'the file does not start with an ftyp box';
}

/**
 * The top level: `ftyp` first, exactly one `moov`, and where the first `mdat` is. Only box headers
 * are read, so the size of `mdat` does not matter.
 */
export function readTopLevel(reader: BoxReader): TopLevel {
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
	return { container: containerOf(brands.majorBrand, brands.compatibleBrands), ...brands, moov, mdatOffset };
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

function containerOf(majorBrand: string, compatibleBrands: string[]): VideoContainer {
	const verdict = containerOfBrands(majorBrand, compatibleBrands);
	if (verdict === 'quicktime') {
		throw new InvalidVideoError(
			`this is a QuickTime .mov file (brand 'qt  ', compatible brands ${compatibleBrands.map(quoted).join(', ') || 'none'}), not MP4`,
		);
	}
	// An audio-only or unknown brand is refused before sending (media.ts); what is inside is still worth reporting.
	return verdict === '3gp' ? '3gp' : 'mp4';
}

export function tracksOf(reader: BoxReader, moov: Box): Box[] {
	return [...reader.children(moov)].filter((box) => box.type === 'trak');
}

export function handlerOf(reader: BoxReader, trak: Box): string {
	const mdia = reader.requiredChild(trak, 'mdia');
	const hdlr = reader.requiredChild(mdia, 'hdlr');
	return reader.fourcc(hdlr.payload + 8, hdlr);
}

export function sampleTableBox(reader: BoxReader, trak: Box): Box {
	const mdia = reader.requiredChild(trak, 'mdia');
	const minf = reader.requiredChild(mdia, 'minf');
	return reader.requiredChild(minf, 'stbl');
}

/** The first sample entry of stsd; a track that switches codecs midway is described by its first. */
export function firstSampleEntry(reader: BoxReader, stbl: Box): { entry: Box; stsdVersion: number } {
	const stsd = reader.requiredChild(stbl, 'stsd');
	const count = reader.u32(stsd.payload + 4, stsd);
	const first = count > 0 ? reader.children(stsd, stsd.payload + 8).next() : undefined;
	if (!first || first.done) throw new InvalidVideoError(`${pathOf(stsd)} has no sample entry`);
	return { entry: first.value, stsdVersion: fullBoxVersion(reader, stsd) };
}
