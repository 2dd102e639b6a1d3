/**
 * What WhatsApp will make of an MP4/3GP video, told from the bytes alone before it is sent:
 * container, codecs, H.264 profile and level, B-frames, size in pixels, audio tracks, and whether
 * `moov` comes before `mdat`.
 *
 * Why it reads so little: preflight runs on every item, on files up to WhatsApp's 16 MB limit. It
 * reads the 8- or 16-byte header of each top-level box and the `moov` subtree, and nothing of any
 * `mdat` payload, so a 16 MB file costs what a 100 KB one with the same `moov` costs. The only loops
 * are over box headers and over tables whose length was first checked against their box.
 *
 * Why it is strict: the bytes come from strangers. Every read goes through `BoxReader` (boxes.ts),
 * so it cannot read past the buffer, and anything that does not add up throws `InvalidVideoError`;
 * nothing else is thrown. It descends only along fixed paths (moov/trak/mdia/minf/stbl/stsd/<entry>/...).
 *
 * What it decides when the format leaves a choice (the file's layout, ftyp and moov: movie.ts):
 * - A track is video or audio by its `hdlr` ('vide', 'soun'), described by its first sample entry.
 *   Sample tables are not walked (only `ctts` is), but a table whose entry count overruns its box is
 *   rejected.
 * - B-frames: `ctts` with any non-zero composition offset (ffmpeg writes `ctts` only for reordered
 *   streams; version-1 offsets are signed), or a `ctts` at all in an H.264 profile that allows
 *   B-frames (Main, High...). A stream whose offsets are all the same non-zero value (a shift, not
 *   a reordering; some muxers write that) is reported as having B-frames too; such files are rare.
 * - Levels are the real level: H.264 `level_idc` / 10 (30 -> 3.0), HEVC `general_level_idc` / 30
 *   (93 -> 3.1). H.264 level 1b is reported as 1.1 (or 0.9), as its level_idc says.
 * - Not seen: B-frames of a fragmented file (its composition offsets are in `trun`, not `moov`).
 */
import type { Box } from './boxes';
import { BoxReader, InvalidVideoError, fullBoxVersion, pathOf, printable } from './boxes';
import { AUDIO_CODEC_NAMES, HEVC_PROFILE_NAMES, OBJECT_TYPE_NAMES, VIDEO_CODEC_NAMES, avcProfileName } from './codecs';
import type { VideoContainer } from './container';
import { readEsds } from './esds';
import { firstSampleEntry, handlerOf, readTopLevel, sampleTableBox, tracksOf } from './movie';
import { checkSampleTables } from './tables';

interface VideoTrackInfo {
	/** Index of this track among all `trak` boxes of `moov`, in file order. */
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

interface AudioTrackInfo {
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
	container: VideoContainer;
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

/**
 * Reads the container, brands, duration, tracks and box order of an MP4/3GP file, from `moov` and
 * the top-level box headers only. Throws only `InvalidVideoError`.
 */
export function inspectVideo(bytes: Uint8Array): VideoInspection {
	const reader = new BoxReader(bytes);
	const top = readTopLevel(reader);
	const durationSeconds = readDuration(reader, top.moov);
	const inspection: VideoInspection = {
		container: top.container,
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
