/**
 * Sending one planned item: reads and checks its video when its turn comes (once per run for a
 * binary many items share), then hands it to the provider.
 */
import { createHash } from 'node:crypto';

import type { IExecuteFunctions } from 'n8n-workflow';

import { checkVideoLink, downloadVideo } from './download';
import type { DryRunOutcome } from './dryRun';
import type { VideoFile } from './media';
import { BINARY_FIELD, loadBinaryVideo, videoFromBytes } from './media';
import type { PlannedItem, PreparedVideo, RunSettings } from './plan';
import type { VideoFindings } from './preflight';
import { preflightVideo } from './preflight';
import type { SendOutcome } from './providers/types';
import type { RequestContext } from './transport';

const VIDEO_URL_FIELD = 'Video URL';

type BinaryPlan = PlannedItem & { source: Extract<PlannedItem['source'], { kind: 'binary' }> };

type FileSource = Exclude<PlannedItem['source'], { kind: 'mediaId' }>;

/** Reads (a binary) or downloads (a URL) the video and checks it. */
async function checkedFile(ctx: IExecuteFunctions, context: RequestContext, source: FileSource): Promise<{ file: VideoFile; findings?: VideoFindings }> {
	const field = source.kind === 'url' ? VIDEO_URL_FIELD : BINARY_FIELD;
	const file =
		source.kind === 'url'
			? videoFromBytes(context, field, await downloadVideo(ctx, context, source.url, context.retry.timeoutMs), fileNameFromUrl(source.url))
			: await loadBinaryVideo(ctx, context, source.ref, source.fileName);
	return preflightVideo(context, field, file, source.check.mode, source.check.fixFaststart);
}

/**
 * Items often carry the very same binary (one promo to a list): read, check and hash it once per
 * run, by n8n's binary id (or the in-memory data itself), and keep only the key and findings.
 * `onFile` gets the file when this call is the one that read it, so its sender need not read again.
 */
async function preparedBinary(
	ctx: IExecuteFunctions,
	settings: RunSettings,
	planned: BinaryPlan,
	onFile: (file: VideoFile) => void = () => {},
): Promise<PreparedVideo> {
	const identity = planned.source.ref.binary.id ?? planned.source.ref.binary.data;
	let prepared = settings.preparedVideos.get(identity);
	if (!prepared) {
		prepared = checkedFile(ctx, planned.context, planned.source).then((checked) => {
			onFile(checked.file);
			return { contentKey: contentKeyOf(checked.file), findings: checked.findings };
		});
		settings.preparedVideos.set(identity, prepared);
		prepared.catch(() => settings.preparedVideos.delete(identity));
	}
	try {
		return await prepared;
	} catch {
		// Another item's check failed; check this one itself, so the error names this item.
		const checked = await checkedFile(ctx, planned.context, planned.source);
		onFile(checked.file);
		return { contentKey: contentKeyOf(checked.file), findings: checked.findings };
	}
}

/** The identity of an item's binary video: its content type and SHA-256, the same in every execution. */
export async function binaryContentKey(ctx: IExecuteFunctions, settings: RunSettings, planned: PlannedItem): Promise<string | undefined> {
	if (planned.source.kind !== 'binary') return undefined;
	return (await preparedBinary(ctx, settings, planned as BinaryPlan)).contentKey;
}

/** Sends one item, or in a dry run says what it would send. */
export async function sendPlanned(ctx: IExecuteFunctions, settings: RunSettings, planned: PlannedItem): Promise<SendOutcome | DryRunOutcome> {
	const { context } = planned;
	// The time budget counts from when the item's turn comes, not from when the batch was checked.
	context.retry.deadline = Date.now() + context.retry.budgetMs;
	const outcome = await sendSource(ctx, settings, planned);
	return context.dryRun ? context.dryRun.outcome(outcome) : outcome;
}

async function sendSource(ctx: IExecuteFunctions, settings: RunSettings, planned: PlannedItem): Promise<SendOutcome> {
	const { source, context } = planned;
	if (source.kind === 'mediaId') return await planned.target.send(source, planned.message);
	if (source.kind === 'url' && source.delivery === 'link') {
		if (source.checkLink) await checkVideoLink(ctx, context, source.url, context.retry.timeoutMs);
		return await planned.target.send({ kind: 'url', url: source.url }, planned.message);
	}
	if (source.kind === 'url') {
		const checked = await checkedFile(ctx, context, source);
		const outcome = await planned.target.send({ kind: 'binary', contentKey: contentKeyOf(checked.file), load: async () => checked.file }, planned.message);
		return checked.findings ? { ...outcome, video: checked.findings } : outcome;
	}

	let preparedHere: VideoFile | undefined;
	const video = await preparedBinary(ctx, settings, planned as BinaryPlan, (file) => (preparedHere = file));
	const ready = preparedHere;
	const load = ready ? async () => ready : async () => (await checkedFile(ctx, context, source)).file;
	const outcome = await planned.target.send({ kind: 'binary', contentKey: video.contentKey, load }, planned.message);
	return video.findings ? { ...outcome, video: video.findings } : outcome;
}

/** What one item's send is: the same on every try of a run, different for a different item. */
export function fingerprintOf(settings: RunSettings, plan: PlannedItem): string {
	const { source } = plan;
	const video =
		source.kind === 'binary'
			? [source.ref.binary.id ?? '', source.ref.binary.fileSize ?? '', source.ref.binary.mimeType, source.fileName]
			: source.kind === 'url'
				? [source.url, source.delivery]
				: [source.mediaId];
	return JSON.stringify([settings.provider.name, plan.target.recipient, source.kind, ...video, plan.message]);
}

function contentKeyOf(file: VideoFile): string {
	return `${file.mimeType}:${createHash('sha256').update(file.bytes).digest('hex')}`;
}

function fileNameFromUrl(url: string): string {
	const last = new URL(url).pathname.split('/').pop() ?? '';
	try {
		return decodeURIComponent(last);
	} catch {
		return last;
	}
}
