// Property-based fuzzing of the MP4/3GP inspector: whatever the bytes, inspectVideo and sampleTable
// return or throw InvalidVideoError, quickly, and what they return is sane. Fixed seed, so a run is
// reproducible; for a longer hunt: FUZZ_SEED=<n> FUZZ_SCALE=<factor> npx jest inspect.fuzz
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { gunzipSync } from 'zlib';

import fc from 'fast-check';

import { InvalidVideoError } from '../../../../nodes/SendWhatsAppVideo/mp4/boxes';
import { inspectVideo, type VideoInspection } from '../../../../nodes/SendWhatsAppVideo/mp4/inspect';
import { CORPUS_DIR, ascii, box, concat, fixture, fullBox, listBoxes, readU32, u16, u32, writeU32 } from './helpers';
import { sampleTable } from './sample-tables';

const SEED = Number(process.env.FUZZ_SEED ?? 20240101);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
/** A call takes milliseconds (the 16 MB corpus input about 60): this only has to tell a hang, on a busy CI machine too. */
const MAX_MILLISECONDS_PER_CALL = 3000;
/** Each property takes 1-4 s alone; room for a loaded machine and for FUZZ_SCALE. */
const FUZZ_TIMEOUT = 120_000 * SCALE;

const FIXTURES = [
	'baseline-aac-faststart.mp4', 'main-no-bframes.mp4', 'high-bframes.mp4', 'moov-at-end.mp4', 'hevc.mp4',
	'no-audio.mp4', 'two-audio.mp4', 'h264.3gp', 'h263.3gp', 'co64.mp4', 'quicktime.mov',
];
const originals = new Map(FIXTURES.map((name) => [name, fixture(name)]));

type Outcome = { ok: true; value: unknown } | { ok: false };

/** Runs `call`, lets only InvalidVideoError through as a failure, and rethrows anything else. */
function outcomeOf(call: () => unknown): Outcome {
	const started = performance.now();
	let outcome: Outcome;
	try {
		outcome = { ok: true, value: call() };
	} catch (error) {
		if (!(error instanceof InvalidVideoError)) throw error;
		if (!error.message.startsWith('not a valid MP4/3GP: ')) throw new Error(`badly worded: ${error.message}`);
		outcome = { ok: false };
	}
	const elapsed = performance.now() - started;
	if (elapsed > MAX_MILLISECONDS_PER_CALL) throw new Error(`took ${elapsed.toFixed(0)} ms`);
	return outcome;
}

function isCount(value: unknown): boolean {
	return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function checkInspection(bytes: Uint8Array, inspection: VideoInspection): void {
	expect(['mp4', '3gp']).toContain(inspection.container);
	expect(inspection.moovOffset + 8).toBeLessThanOrEqual(bytes.length);
	if (inspection.durationSeconds !== undefined) {
		expect(Number.isFinite(inspection.durationSeconds) && inspection.durationSeconds >= 0).toBe(true);
	}
	for (const track of inspection.video) {
		expect(isCount(track.width) && isCount(track.height)).toBe(true);
		expect(track.bFrames).toBe(track.bFramesEvidence.length > 0);
		if (track.level !== undefined) expect(Number.isFinite(track.level)).toBe(true);
	}
	expect(inspection.compatibleBrands.length).toBeLessThanOrEqual(64);
}

/** How often the inputs got past the parsers' checks, so a property cannot pass by rejecting everything. */
interface Tally {
	runs: number;
	inspected: number;
	listed: number;
}

const newTally = (): Tally => ({ runs: 0, inspected: 0, listed: 0 });

/** Inspects, then lists the samples of a few tracks (including one past the end), all within the rules. */
function exercise(bytes: Uint8Array, tally: Tally = newTally()): void {
	tally.runs++;
	const inspected = outcomeOf(() => inspectVideo(bytes));
	if (inspected.ok) {
		tally.inspected++;
		checkInspection(bytes, inspected.value as VideoInspection);
	}
	for (const trackIndex of [0, 1, 2, 3]) {
		const listed = outcomeOf(() => sampleTable(bytes, trackIndex));
		if (!listed.ok) continue;
		tally.listed++;
		for (const sample of listed.value as Array<{ offset: number; size: number }>) {
			if (!(isCount(sample.offset) && isCount(sample.size) && sample.offset + sample.size <= bytes.length)) {
				throw new Error(`sample outside the file: ${JSON.stringify(sample)}`);
			}
		}
	}
}

const specialU32 = fc.oneof(
	fc.constantFrom(0, 1, 2, 7, 8, 9, 12, 15, 16, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff),
	fc.integer({ min: 0, max: 0xffffffff }),
	fc.integer({ min: 0, max: 64 }),
);

type Mutation =
	| { kind: 'flip'; at: number; value: number; inMoov: boolean }
	| { kind: 'truncate'; at: number }
	| { kind: 'size'; box: number; value: number }
	| { kind: 'field'; box: number; at: number; value: number }
	| { kind: 'duplicate'; box: number; fixParents: boolean }
	| { kind: 'remove'; box: number; fixParents: boolean };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
	fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), inMoov: fc.boolean() }),
	fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
	fc.record({ kind: fc.constant('size' as const), box: fc.nat(), value: specialU32 }),
	fc.record({ kind: fc.constant('field' as const), box: fc.nat(), at: fc.integer({ min: 8, max: 40 }), value: specialU32 }),
	fc.record({ kind: fc.constant('duplicate' as const), box: fc.nat(), fixParents: fc.boolean() }),
	fc.record({ kind: fc.constant('remove' as const), box: fc.nat(), fixParents: fc.boolean() }),
);

/** Adds `delta` to the 32-bit size of every enclosing box, so an insertion or removal stays well-formed. */
function resizeAncestors(bytes: Uint8Array, ancestors: number[], delta: number): void {
	for (const offset of ancestors) writeU32(bytes, offset, (readU32(bytes, offset) + delta) >>> 0);
}

/** Applies one mutation; box indices pick among the boxes the file has at that moment. */
function mutate(input: Uint8Array, change: Mutation): Uint8Array {
	const boxes = listBoxes(input);
	const target = boxes.length > 0 && 'box' in change ? boxes[change.box % boxes.length] : undefined;
	switch (change.kind) {
		case 'flip': {
			const bytes = input.slice();
			if (bytes.length === 0) return bytes;
			const moov = boxes.find((listed) => listed.type === 'moov' && listed.ancestors.length === 0);
			const at = change.inMoov && moov ? moov.offset + (change.at % moov.size) : change.at % bytes.length;
			bytes[at] ^= change.value || 1;
			return bytes;
		}
		case 'truncate':
			return input.slice(0, change.at % (input.length + 1));
		case 'size':
		case 'field': {
			const bytes = input.slice();
			if (!target) return bytes;
			const at = target.offset + (change.kind === 'size' ? 0 : change.at);
			if (at + 4 <= bytes.length) writeU32(bytes, at, change.value);
			return bytes;
		}
		case 'duplicate': {
			if (!target) return input.slice();
			const end = target.offset + target.size;
			const bytes = concat(input.subarray(0, end), input.subarray(target.offset, end), input.subarray(end));
			if (change.fixParents) resizeAncestors(bytes, target.ancestors, target.size);
			return bytes;
		}
		case 'remove': {
			if (!target) return input.slice();
			const bytes = concat(input.subarray(0, target.offset), input.subarray(target.offset + target.size));
			if (change.fixParents) resizeAncestors(bytes, target.ancestors, -target.size);
			return bytes;
		}
	}
}

const mutatedFixture = fc
	.tuple(fc.constantFrom(...FIXTURES), fc.array(mutation, { minLength: 1, maxLength: 4 }))
	.map(([name, changes]) => changes.reduce(mutate, originals.get(name) as Uint8Array));

// A grammar of plausible movies: the right box names in roughly the right places, with random
// versions, counts, entries and payloads, so the random input reaches the deep parts of the parser.
const bytesUpTo = (maxLength: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength });
const fourcc = fc.oneof(fc.constantFrom('avc1', 'hvc1', 'mp4a', 's263', 'mp4v', 'samr', 'encv'), fc.string({ minLength: 4, maxLength: 4 }));

const tableBox = fc
	.tuple(
		fc.constantFrom('stsz', 'stz2', 'stsc', 'stco', 'co64', 'ctts', 'stts'),
		fc.constantFrom(0, 1, 2),
		fc.array(specialU32, { maxLength: 10 }),
	)
	.map(([type, version, words]) => fullBox(type, version, ...words.map(u32)));

/** Tables that agree with each other (samples split over chunks near the start of the file), so sampleTable gets past its checks. */
const agreeingTables = fc
	.record({
		sizes: fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 12 }),
		perChunk: fc.integer({ min: 1, max: 4 }),
		chunkOffset: fc.integer({ min: 0, max: 64 }),
		wideOffsets: fc.boolean(),
	})
	.map(({ sizes, perChunk, chunkOffset, wideOffsets }) => {
		const chunks = Math.ceil(sizes.length / perChunk);
		const lastChunk = sizes.length - (chunks - 1) * perChunk;
		const runs = chunks === 0 ? [] : lastChunk === perChunk || chunks === 1 ? [[1, chunks === 1 ? lastChunk : perChunk]] : [[1, perChunk], [chunks, lastChunk]];
		const offsets = Array.from({ length: chunks }, (_, index) => chunkOffset + index * 48);
		return [
			fullBox('stsz', 0, u32(0), u32(sizes.length), ...sizes.map(u32)),
			fullBox('stsc', 0, u32(runs.length), ...runs.map(([first, count]) => [...u32(first), ...u32(count), ...u32(1)])),
			wideOffsets
				? fullBox('co64', 0, u32(offsets.length), ...offsets.map((offset) => [...u32(0), ...u32(offset)]))
				: fullBox('stco', 0, u32(offsets.length), ...offsets.map(u32)),
		];
	});

const descriptor = (tag: number, body: fc.Arbitrary<number[]>): fc.Arbitrary<number[]> =>
	fc.tuple(body, fc.integer({ min: -2, max: 2 })).map(([content, skew]) => [tag, Math.max(0, content.length + skew) & 0x7f, ...content]);
const esds = descriptor(5, fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 4 }))
	.chain((specific) => descriptor(4, fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 13, maxLength: 13 }).map((head) => [...head, ...specific])))
	.chain((config) => descriptor(3, fc.tuple(fc.integer({ min: 0, max: 255 }), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 4 })).map(([flags, extra]) => [0, 1, flags, ...extra, ...config])))
	.map((es) => fullBox('esds', 0, es));

const codecConfig = fc.oneof(
	fc.tuple(fc.constantFrom('avcC', 'hvcC', 'd263', 'btrt', 'pasp'), bytesUpTo(16)).map(([type, payload]) => box(type, payload)),
	esds,
	esds.map((inner) => box('wave', inner)),
);

const sampleEntry = fc
	.tuple(fourcc, fc.constantFrom(28, 44, 64, 78, 10), fc.constantFrom(0, 1, 2, 3), fc.array(codecConfig, { maxLength: 3 }))
	.map(([type, fixedBytes, version, children]) => {
		const fixed = new Uint8Array(fixedBytes);
		if (fixedBytes > 10) fixed.set(u16(version), 8);
		if (fixedBytes >= 78) fixed.set([...u16(160), ...u16(120)], 24);
		return box(type, fixed, ...children);
	});

const track = fc
	.record({
		handler: fc.oneof(fc.constantFrom('vide', 'soun', 'hint', 'text'), fc.string({ minLength: 4, maxLength: 4 })),
		tkhdVersion: fc.constantFrom(0, 1),
		entries: fc.array(sampleEntry, { maxLength: 2 }),
		entryCount: fc.oneof(fc.constant(-1), specialU32),
		tables: fc.oneof(fc.array(tableBox, { maxLength: 6 }), agreeingTables),
		dropHdlr: fc.boolean(),
	})
	.map(({ handler, tkhdVersion, entries, entryCount, tables, dropHdlr }) => {
		const tkhd = fullBox('tkhd', tkhdVersion, new Uint8Array(tkhdVersion === 1 ? 84 : 72), u32(320 << 16), u32(240 << 16));
		const hdlr = dropHdlr ? new Uint8Array(0) : fullBox('hdlr', 0, u32(0), ascii(handler), new Uint8Array(13));
		const stsd = fullBox('stsd', 0, u32(entryCount === -1 ? entries.length : entryCount), ...entries);
		return box('trak', tkhd, box('mdia', hdlr, box('minf', box('stbl', stsd, ...tables))));
	});

const structuredMovie = fc
	.record({
		brand: fc.constantFrom('isom', '3gp4', 'qt  ', 'mp42', '3g2a'),
		compatible: fc.array(fc.constantFrom('isom', 'qt  ', 'avc1', '3gp6'), { maxLength: 3 }),
		mvhdVersion: fc.constantFrom(0, 1),
		mvhdWords: fc.array(specialU32, { minLength: 6, maxLength: 6 }),
		tracks: fc.array(track, { maxLength: 3 }),
		mehd: fc.option(fc.record({ version: fc.constantFrom(0, 1), words: fc.array(specialU32, { maxLength: 2 }) }), { nil: undefined }),
		mdatFirst: fc.boolean(),
		mdat: bytesUpTo(64),
		trailer: bytesUpTo(12),
	})
	.map(({ brand, compatible, mvhdVersion, mvhdWords, tracks, mehd, mdatFirst, mdat, trailer }) => {
		const ftyp = box('ftyp', ascii(brand), u32(0), ...compatible.map(ascii));
		const mvex = mehd === undefined ? [] : [box('mvex', fullBox('mehd', mehd.version, ...mehd.words.map(u32)))];
		const moov = box('moov', fullBox('mvhd', mvhdVersion, ...mvhdWords.map(u32), new Uint8Array(80)), ...tracks, ...mvex);
		const media = box('mdat', mdat);
		return concat(ftyp, ...(mdatFirst ? [media, moov] : [moov, media]), trailer);
	});

const runs = (base: number): number => Math.max(1, Math.round(base * SCALE));
const parameters = (numRuns: number): fc.Parameters<[Uint8Array]> => ({ seed: SEED, numRuns: runs(numRuns), endOnFailure: true });

describe('fuzz: inspectVideo and sampleTable return or throw InvalidVideoError, within bounds', () => {
	it('arbitrary bytes, bare or behind a plausible ftyp/moov header', () => {
		const header = concat(box('ftyp', ascii('isom'), u32(0), ascii('isom')));
		const arbitraryBytes = fc.oneof(
			fc.uint8Array({ maxLength: 512 }),
			fc.uint8Array({ maxLength: 512 }).map((tail) => concat(header, tail)),
			fc.uint8Array({ maxLength: 512 }).map((tail) => concat(header, u32(tail.length + 8), ascii('moov'), tail)),
		);
		const tally = newTally();
		fc.assert(fc.property(arbitraryBytes, (bytes) => exercise(bytes, tally)), parameters(4000));
		// Random bytes are nearly always refused; an empty moov behind a good ftyp is not.
		expect(tally.inspected).toBeGreaterThan(0);
	}, FUZZ_TIMEOUT);

	it('random movies from a box grammar', () => {
		const tally = newTally();
		fc.assert(fc.property(structuredMovie, (bytes) => exercise(bytes, tally)), parameters(4000));
		expect(tally.inspected / tally.runs).toBeGreaterThan(0.1);
		expect(tally.listed / tally.runs).toBeGreaterThan(0.05);
	}, FUZZ_TIMEOUT);

	it('mutated fixtures: byte flips, truncation, sizes 0/1/7/huge, rewritten counts, duplicated and removed boxes', () => {
		const tally = newTally();
		fc.assert(fc.property(mutatedFixture, (bytes) => exercise(bytes, tally)), parameters(3000));
		expect(tally.inspected / tally.runs).toBeGreaterThan(0.15);
		expect(tally.listed / tally.runs).toBeGreaterThan(0.2);
	}, FUZZ_TIMEOUT);
});

/** Garbage in the first mdat's payload, as far as the file has it: what inspection must never look at. */
function withGarbageMdat(bytes: Uint8Array, inspection: VideoInspection, seed: number): Uint8Array | undefined {
	if (inspection.mdatOffset === undefined) return undefined;
	const at = inspection.mdatOffset;
	const size32 = readU32(bytes, at);
	const header = size32 === 1 ? 16 : 8;
	const end = size32 === 0 || size32 === 1 ? bytes.length : Math.min(at + size32, bytes.length);
	const copy = bytes.slice();
	let state = seed | 1;
	for (let offset = at + header; offset < end; offset++) {
		state = (state * 1103515245 + 12345) >>> 0;
		copy[offset] = state >>> 24;
	}
	return copy;
}

describe('fuzz: inspection never depends on the media data', () => {
	it('mutated fixtures that inspect, inspect the same with garbage in the mdat payload', () => {
		let compared = 0;
		fc.assert(
			fc.property(mutatedFixture, fc.integer(), (bytes, seed) => {
				const inspected = outcomeOf(() => inspectVideo(bytes));
				if (!inspected.ok) return;
				const garbled = withGarbageMdat(bytes, inspected.value as VideoInspection, seed);
				if (!garbled) return;
				compared++;
				expect(inspectVideo(garbled)).toEqual(inspected.value);
			}),
			{ seed: SEED, numRuns: runs(1200), endOnFailure: true },
		);
		// Most mutations leave a file that still inspects; make sure the property was not vacuous.
		expect(compared).toBeGreaterThan(runs(1200) / 5);
	}, FUZZ_TIMEOUT);
});

describe('fuzz corpus: inputs that once broke the inspector', () => {
	const files = readdirSync(CORPUS_DIR).filter((name) => name !== 'README.md');
	const readme = readFileSync(join(CORPUS_DIR, 'README.md'), 'utf8');

	it('every input is described in the README', () => {
		for (const name of files) expect(readme).toContain(`\`${name}\``);
	});

	it('every input is handled', () => {
		for (const name of files) {
			const stored = readFileSync(join(CORPUS_DIR, name));
			exercise(new Uint8Array(name.endsWith('.gz') ? gunzipSync(stored) : stored));
		}
	});
});
