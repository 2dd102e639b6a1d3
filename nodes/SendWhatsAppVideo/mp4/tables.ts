/**
 * A track's sample tables (`stbl`): sample sizes (stsz, or the compact stz2) and the entry counts of
 * the others, each checked against its box before anything loops over it: a count of 4 billion in
 * a 20-byte box fails here, not after a long loop.
 */
import type { Box, BoxReader } from './boxes';
import { InvalidVideoError, pathOf } from './boxes';

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

/** The sizes in an `stsz` or `stz2` box. */
export function readSampleSizes(reader: BoxReader, box: Box): SampleSizes {
	return box.type === 'stz2' ? readStz2(reader, box) : readStsz(reader, box);
}

/**
 * Inspection never loops over the sample tables, but a table whose count overruns its box means
 * a broken file that players will choke on, so it is caught here at the cost of one read each.
 */
export function checkSampleTables(reader: BoxReader, stbl: Box): void {
	for (const box of reader.children(stbl)) {
		if (box.type === 'stsz' || box.type === 'stz2') readSampleSizes(reader, box);
		else if (box.type === 'stsc') reader.tableCount(box, box.payload + 4, 12);
		else if (box.type === 'stco') reader.tableCount(box, box.payload + 4, 4);
		else if (box.type === 'co64') reader.tableCount(box, box.payload + 4, 8);
		else if (box.type === 'stts' || box.type === 'ctts') reader.tableCount(box, box.payload + 4, 8);
	}
}
