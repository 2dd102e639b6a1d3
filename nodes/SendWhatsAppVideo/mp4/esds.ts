/**
 * The `esds` box of MPEG-4 audio and video sample entries: ISO 14496-1 descriptors, read as far as
 * the objectTypeIndication (0x40 is MPEG-4 Audio, i.e. AAC) and the AAC audio object type.
 */
import type { Box, BoxReader } from './boxes';
import { InvalidVideoError, pathOf } from './boxes';

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
export function readEsds(reader: BoxReader, esds: Box): { objectType?: number; audioObjectType?: number } {
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
