import type { IDataObject } from 'n8n-workflow';

import type { VideoFile } from './media';
import { InvalidVideoError } from './mp4/boxes';
import { moveMoovToFront } from './mp4/faststart';
import type { VideoInspection } from './mp4/inspect';
import { inspectVideo } from './mp4/inspect';
import type { FieldContext } from './validation';
import { invalidField } from './validation';

/**
 * - `standard`: refuse what the provider refuses or WhatsApp cannot play; warn about what plays
 *   badly (B-frames, which Android phones stumble on);
 * - `strict`: refuse that too;
 * - `off`: send as is, without looking.
 */
export type VideoCheckMode = 'standard' | 'strict' | 'off';

/** What the node found in a video, shown on the output item as `json.video`. */
export interface VideoFindings extends IDataObject {
	container: 'mp4' | '3gp';
	codec: string;
	profile: string | null;
	level: number | null;
	bFrames: boolean;
	faststart: boolean;
	width: number | null;
	height: number | null;
	duration: number | null;
	audio: string | null;
	audioTracks: number;
	size: number;
	/** True when the node moved `moov` in front of the media data before sending. */
	faststartFixed: boolean;
	warnings: string[];
}


const REENCODE_FOR_WHATSAPP =
	'ffmpeg -i input.mp4 -c:v libx264 -profile:v main -bf 0 -pix_fmt yuv420p -c:a aac -movflags +faststart output.mp4';

/** One problem with the command that fixes it; refusals and warnings share the wording. */
interface Finding {
	problem: string;
	fix: string;
}

function refusals(inspection: VideoInspection): Finding[] {
	const found: Finding[] = [];
	const [video] = inspection.video;
	if (!video) {
		found.push({ problem: 'the file has no video track', fix: 'Send a file that contains video; for sound alone use an audio message.' });
	} else if (video.codecName !== 'H.264') {
		found.push({
			problem: `the video is ${video.codecName === video.codec ? `"${video.codec}"` : video.codecName}${video.codecName === 'HEVC' ? ' (H.265, as iPhones record)' : ''}; WhatsApp plays only H.264`,
			fix: `Re-encode it to H.264: \`${REENCODE_FOR_WHATSAPP}\`.`,
		});
	}
	if (inspection.audio.length > 1) {
		found.push({
			problem: `the file has ${inspection.audio.length} audio tracks; WhatsApp accepts at most one`,
			fix: 'Keep only the first audio track: `ffmpeg -i input.mp4 -map 0:v:0 -map 0:a:0 -c copy -movflags +faststart output.mp4`.',
		});
	}
	const foreignAudio = inspection.audio.find((track) => track.codecName !== 'AAC');
	if (foreignAudio) {
		found.push({
			problem: `the audio is ${foreignAudio.codecName}; WhatsApp needs AAC`,
			fix: 'Re-encode the sound to AAC: `ffmpeg -i input.mp4 -c:v copy -c:a aac -movflags +faststart output.mp4`.',
		});
	}
	return found;
}

function playsBadly(inspection: VideoInspection): Finding[] {
	const [video] = inspection.video;
	if (!video?.bFrames || video.codecName !== 'H.264') return [];
	return [
		{
			problem: `the video is H.264 ${video.profile ?? ''} profile with B-frames, which many Android phones do not play`.replace('  ', ' '),
			fix: `Re-encode it as Main profile without B-frames: \`${REENCODE_FOR_WHATSAPP}\`.`,
		},
	];
}

function findingsOf(inspection: VideoInspection, size: number, warnings: string[]): VideoFindings {
	const [video] = inspection.video;
	const [audio] = inspection.audio;
	return {
		container: inspection.container,
		codec: video?.codecName ?? 'none',
		profile: video?.profile ?? null,
		level: video?.level ?? null,
		bFrames: video?.bFrames ?? false,
		faststart: inspection.faststart,
		width: video?.width ?? null,
		height: video?.height ?? null,
		duration: inspection.durationSeconds === undefined ? null : Math.round(inspection.durationSeconds * 1000) / 1000,
		audio: audio?.codecName ?? null,
		audioTracks: inspection.audio.length,
		size,
		faststartFixed: false,
		warnings,
	};
}

/**
 * Looks inside the video and applies the chosen policy: throws a field error naming the problem
 * and its fix for what must not be sent, moves `moov` to the front when asked, and returns the
 * file to send with the findings (and warnings).
 */
export function preflightVideo(
	context: FieldContext,
	/** The field the video came from, named in every refusal. */
	field: string,
	file: VideoFile,
	mode: VideoCheckMode,
	fixFaststart: boolean,
): { file: VideoFile; findings?: VideoFindings } {
	if (mode === 'off') return { file };
	let inspection: VideoInspection;
	try {
		inspection = inspectVideo(file.bytes);
	} catch (error) {
		// The inspector throws only InvalidVideoError; anything else would be its bug, reported alike.
		const reason = error instanceof InvalidVideoError ? error.message : `not readable (${String(error)})`;
		throw invalidField(context, field, `the file is ${reason}`, `It is damaged or not a real MP4/3GP; re-encode it: \`${REENCODE_FOR_WHATSAPP}\`.`);
	}
	const refused = mode === 'strict' ? [...refusals(inspection), ...playsBadly(inspection)] : refusals(inspection);
	if (refused.length > 0) {
		throw invalidField(
			context,
			field,
			refused.map((finding) => finding.problem).join('; '),
			refused.map((finding) => finding.fix).join(' '),
		);
	}
	const warnings = mode === 'strict' ? [] : playsBadly(inspection).map((finding) => `${capitalise(finding.problem)}. ${finding.fix}`);
	if (!inspection.faststart && fixFaststart) {
		const bytes = moveMoovToFront(file.bytes);
		return {
			file: { ...file, bytes },
			findings: { ...findingsOf(inspection, bytes.length, warnings), faststart: true, faststartFixed: true },
		};
	}
	if (!inspection.faststart) {
		warnings.push(
			'The moov box comes after the media data, so the video starts only once fully downloaded. Turn on "Fix Faststart", or run `ffmpeg -i input.mp4 -c copy -movflags +faststart output.mp4`.',
		);
	}
	return { file, findings: findingsOf(inspection, file.bytes.length, warnings) };
}

function capitalise(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}
