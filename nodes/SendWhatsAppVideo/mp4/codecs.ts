/**
 * Names for what a sample entry or descriptor holds: codecs by fourcc or objectTypeIndication, and
 * H.264/HEVC profiles as ffprobe names them.
 */

// Maps, not object literals: a fourcc from a hostile file must not find anything on Object.prototype.
export const VIDEO_CODEC_NAMES: ReadonlyMap<string, string> = new Map<string, string>([
	['avc1', 'H.264'], ['avc2', 'H.264'], ['avc3', 'H.264'], ['avc4', 'H.264'],
	['hvc1', 'HEVC'], ['hev1', 'HEVC'], ['dvh1', 'HEVC (Dolby Vision)'], ['dvhe', 'HEVC (Dolby Vision)'],
	['s263', 'H.263'], ['h263', 'H.263'], ['mp4v', 'MPEG-4 Visual'],
	['vp08', 'VP8'], ['vp09', 'VP9'], ['av01', 'AV1'], ['jpeg', 'Motion JPEG'], ['mjpa', 'Motion JPEG'],
	['apch', 'ProRes'], ['apcn', 'ProRes'], ['apcs', 'ProRes'], ['apco', 'ProRes'], ['ap4h', 'ProRes'],
	['encv', 'encrypted video'],
]);

export const AUDIO_CODEC_NAMES: ReadonlyMap<string, string> = new Map<string, string>([
	['mp4a', 'MPEG-4 Audio'], ['samr', 'AMR-NB'], ['sawb', 'AMR-WB'], ['ac-3', 'AC-3'], ['ec-3', 'E-AC-3'],
	['Opus', 'Opus'], ['fLaC', 'FLAC'], ['alac', 'ALAC'], ['.mp3', 'MP3'], ['sowt', 'PCM'], ['twos', 'PCM'],
	['lpcm', 'PCM'], ['ipcm', 'PCM'], ['raw ', 'PCM'], ['ulaw', 'G.711 mu-law'], ['alaw', 'G.711 A-law'],
	['enca', 'encrypted audio'],
]);

/** What an esds objectTypeIndication means (ISO 14496-1 table 5, the values that occur in practice). */
export const OBJECT_TYPE_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
	[0x20, 'MPEG-4 Visual'], [0x21, 'H.264'], [0x23, 'HEVC'],
	[0x40, 'AAC'], [0x66, 'AAC'], [0x67, 'AAC'], [0x68, 'AAC'], [0x69, 'MP3'], [0x6b, 'MP3'],
	[0x60, 'MPEG-2 Video'], [0x61, 'MPEG-2 Video'], [0x62, 'MPEG-2 Video'], [0x63, 'MPEG-2 Video'],
	[0x64, 'MPEG-2 Video'], [0x65, 'MPEG-2 Video'], [0x6a, 'MPEG-1 Video'], [0x6c, 'JPEG'],
	[0xa5, 'AC-3'], [0xa6, 'E-AC-3'], [0xad, 'Opus'],
]);

/** ffprobe's H.264 profile names: constraint_set1 marks Constrained Baseline, constraint_set3 the Intra profiles. */
export function avcProfileName(profileIdc: number, constraintFlags: number): string {
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

export const HEVC_PROFILE_NAMES: ReadonlyMap<number, string> = new Map<number, string>([[1, 'Main'], [2, 'Main 10'], [3, 'Main Still Picture'], [4, 'Rext']]);
