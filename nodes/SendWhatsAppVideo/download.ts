import type { IExecuteFunctions, IHttpRequestMethods, NodeOperationError } from 'n8n-workflow';

import { VIDEO_MAX_BYTES } from './media';
import { ssrfAllowHint, ssrfReason, ssrfRefusal } from './ssrf';
import type { FieldContext } from './validation';
import { invalidField, requireVideoUrl } from './validation';

/** WhatsApp's own fetcher gives up on long redirect chains; so do we, a little later. */
const MAX_REDIRECTS = 5;

const FIELD = 'Video URL';

/** The response body as n8n hands it over with `encoding: 'stream'` (a Node.js Readable). */
interface BodyStream extends AsyncIterable<Buffer> {
	destroy(): void;
	on(event: 'error', listener: () => void): unknown;
}

interface StreamResponse {
	statusCode: number;
	headers: Record<string, string | string[] | undefined>;
	body: BodyStream;
}

function header(response: StreamResponse, name: string): string | undefined {
	const value = response.headers[name];
	return Array.isArray(value) ? value[0] : value;
}

function discard(body: BodyStream): void {
	body.on('error', () => undefined);
	body.destroy();
}

/**
 * Requests the URL, following at most MAX_REDIRECTS redirects itself so every hop is checked
 * (http(s) only, no credentials in the URL) and counted. Returns the final answer, body unread.
 */
async function follow(
	ctx: IExecuteFunctions,
	context: FieldContext,
	url: string,
	method: IHttpRequestMethods,
	timeoutMs: number,
	extraHeaders: Record<string, string> = {},
): Promise<{ response: StreamResponse; url: string }> {
	let current = url;
	for (let hop = 0; ; hop++) {
		let response: StreamResponse;
		try {
			response = (await ctx.helpers.httpRequest({
				method,
				url: current,
				headers: extraHeaders,
				encoding: 'stream',
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				disableFollowRedirect: true,
				timeout: timeoutMs,
			})) as StreamResponse;
		} catch (error) {
			const target = new URL(current);
			// Checked on every hop: a host n8n allows may redirect to one it does not.
			const refusal = ssrfRefusal(error);
			if (refusal) {
				throw invalidField(
					context,
					FIELD,
					`n8n refused to fetch the video from ${target.host}: ${ssrfReason(refusal)}`,
					`Nothing was requested from that host and nothing was sent. ${ssrfAllowHint(refusal, target.hostname)}`,
				);
			}
			throw invalidField(
				context,
				FIELD,
				`the video could not be fetched from ${target.host} (${(error as Error).message})`,
				'Check that the URL is reachable from this n8n instance.',
			);
		}
		const location = header(response, 'location');
		if (response.statusCode < 300 || response.statusCode >= 400 || !location) return { response, url: current };
		discard(response.body);
		if (hop >= MAX_REDIRECTS) {
			throw invalidField(
				context,
				FIELD,
				`the URL redirects more than ${MAX_REDIRECTS} times`,
				'Use the final address of the video (open the URL in a browser and copy where it ends up).',
			);
		}
		current = requireVideoUrl(context, FIELD, new URL(location, current).toString());
	}
}

/** Why this answer cannot be the video, or undefined when it can. */
function answerProblem(context: FieldContext, response: StreamResponse, url: string): NodeOperationError | undefined {
	const host = new URL(url).host;
	if (response.statusCode < 200 || response.statusCode >= 300) {
		return invalidField(
			context,
			FIELD,
			`${host} answered HTTP ${response.statusCode} instead of the video`,
			'Check that the URL is public and still valid (signed links expire).',
		);
	}
	const type = (header(response, 'content-type') ?? '').toLowerCase();
	if (type.startsWith('text/html')) {
		return invalidField(
			context,
			FIELD,
			`${host} answered with a web page (text/html), not a video`,
			'The link leads to a page (a login, a preview or a download page), not to the file. Use the direct link to the .mp4 file.',
		);
	}
	const length = Number(header(response, 'content-length'));
	if (Number.isFinite(length) && length > VIDEO_MAX_BYTES) {
		return invalidField(
			context,
			FIELD,
			`the video at ${host} is ${(length / 1024 / 1024).toFixed(1)} MB; WhatsApp accepts at most 16 MB`,
			'Compress or shorten the video, e.g. `ffmpeg -i input.mp4 -c:v libx264 -crf 28 -preset slow -c:a aac -b:a 96k -movflags +faststart output.mp4`.',
		);
	}
	return undefined;
}

/** Reads at most 16 MB of the body, giving up at the deadline even if the sender stalls. */
async function readCapped(context: FieldContext, body: BodyStream, host: string, timeoutMs: number): Promise<Buffer> {
	const chunks: Buffer[] = [];
	let total = 0;
	const reading = (async () => {
		for await (const chunk of body) {
			total += chunk.length;
			if (total > VIDEO_MAX_BYTES) {
				throw invalidField(
					context,
					FIELD,
					`the video at ${host} is larger than 16 MB (download stopped at ${total} bytes)`,
					'Compress or shorten the video to at most 16 MB.',
				);
			}
			chunks.push(chunk);
		}
		return Buffer.concat(chunks);
	})();
	// A platform timer rather than an n8n-workflow helper: the helpers for cancellable waits differ
	// between n8n versions, and this node runs inside whichever n8n the user has. The signal's timer
	// does not keep the process alive, so nothing needs to cancel it when the download ends first.
	const deadline = AbortSignal.timeout(timeoutMs);
	let stopWaiting = (): void => undefined;
	const timedOut = new Promise<never>((_, reject) => {
		const onTimeout = () =>
			reject(invalidField(context, FIELD, `downloading the video from ${host} took longer than ${timeoutMs / 1000} s`, 'Check the host, or raise Request Timeout.'));
		deadline.addEventListener('abort', onTimeout, { once: true });
		stopWaiting = () => deadline.removeEventListener('abort', onTimeout);
	});
	try {
		return await Promise.race([reading, timedOut]);
	} finally {
		stopWaiting();
		discard(body);
		reading.catch(() => undefined);
	}
}

/**
 * Downloads a video so it can be checked and uploaded like a binary: for 360dialog this avoids
 * WhatsApp's own link fetcher, which users report failing on redirects, HTML answers and rate limits.
 */
export async function downloadVideo(ctx: IExecuteFunctions, context: FieldContext, url: string, timeoutMs: number): Promise<Buffer> {
	const { response, url: finalUrl } = await follow(ctx, context, url, 'GET', timeoutMs);
	const problem = answerProblem(context, response, finalUrl);
	if (problem) {
		discard(response.body);
		throw problem;
	}
	return await readCapped(context, response.body, new URL(finalUrl).host, timeoutMs);
}

/**
 * Checks a link before handing it to the provider: a HEAD request (or, where HEAD is not allowed,
 * a GET of the first byte) must answer 200 with something that can be a video of at most 16 MB.
 */
export async function checkVideoLink(ctx: IExecuteFunctions, context: FieldContext, url: string, timeoutMs: number): Promise<void> {
	let { response, url: finalUrl } = await follow(ctx, context, url, 'HEAD', timeoutMs);
	discard(response.body);
	if (response.statusCode === 405 || response.statusCode === 501) {
		({ response, url: finalUrl } = await follow(ctx, context, url, 'GET', timeoutMs, { Range: 'bytes=0-0' }));
		discard(response.body);
		const total = /\/(\d+)\s*$/.exec(header(response, 'content-range') ?? '')?.[1];
		if (response.statusCode === 206 && total) {
			response = { ...response, statusCode: 200, headers: { ...response.headers, 'content-length': total } };
		}
	}
	const problem = answerProblem(context, response, finalUrl);
	if (problem) throw problem;
	const type = (header(response, 'content-type') ?? '').toLowerCase().split(';')[0].trim();
	if (type && !type.startsWith('video/') && type !== 'application/octet-stream' && type !== 'binary/octet-stream') {
		throw invalidField(
			context,
			FIELD,
			`${new URL(finalUrl).host} says the file is "${type}", not a video`,
			'WhatsApp rejects links whose content type is not a video. Fix the server\'s Content-Type (video/mp4), or send the file as binary data.',
		);
	}
}
