/**
 * Reading a request body with a hard cap, and decoding it once (JSON / multipart) so that the
 * recording and the provider modules see exactly the same interpretation of the bytes.
 */
import type { IncomingMessage } from 'node:http';
import { mediaTypeOf } from './header-params';
import { boundaryOf, parseMultipart } from './multipart';
import type { DecodedBody, RecordedPart } from './types';
import { sha256Hex } from './values';

export type BodyReadResult =
	| { ok: true; body: Buffer }
	| { ok: false; reason: 'too-large' | 'aborted'; received: number };

/**
 * Buffers the body up to maxBytes. Past the cap it stops buffering and keeps draining the socket
 * without storing anything, so the caller can still deliver a 413 to a client that is mid-upload
 * instead of resetting the connection under it.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyReadResult> {
	return new Promise((resolve) => {
		const declared = Number(req.headers['content-length']);
		if (Number.isFinite(declared) && declared > maxBytes) {
			req.resume();
			resolve({ ok: false, reason: 'too-large', received: 0 });
			return;
		}
		const chunks: Buffer[] = [];
		let received = 0;
		let settled = false;
		const settle = (result: BodyReadResult): void => {
			if (settled) return;
			settled = true;
			resolve(result);
		};
		const onData = (chunk: Buffer): void => {
			received += chunk.length;
			if (received > maxBytes) {
				req.removeListener('data', onData);
				chunks.length = 0;
				req.resume();
				settle({ ok: false, reason: 'too-large', received });
				return;
			}
			chunks.push(chunk);
		};
		req.on('data', onData);
		req.on('end', () => settle({ ok: true, body: Buffer.concat(chunks, received) }));
		// 'close' also fires after a normal 'end'; settle() ignores it then.
		req.on('close', () => settle({ ok: false, reason: 'aborted', received }));
		req.on('error', () => settle({ ok: false, reason: 'aborted', received }));
	});
}

export function isJsonMediaType(mediaType: string | undefined): boolean {
	return mediaType === 'application/json' || (mediaType !== undefined && /^application\/[a-z0-9.+-]+\+json$/.test(mediaType));
}

export function decodeBody(body: Buffer, contentType: string | undefined): DecodedBody {
	const mediaType = mediaTypeOf(contentType);
	if (mediaType === 'multipart/form-data' && contentType !== undefined) {
		const boundary = boundaryOf(contentType);
		if (!boundary.ok) return { kind: 'multipart-malformed', error: boundary.error };
		const parsed = parseMultipart(body, boundary.boundary);
		return parsed.ok ? { kind: 'multipart', parts: parsed.parts } : { kind: 'multipart-malformed', error: parsed.error };
	}
	if (body.length === 0) return { kind: 'empty' };
	if (isJsonMediaType(mediaType)) {
		try {
			return { kind: 'json', value: JSON.parse(body.toString('utf8')) as unknown };
		} catch (error) {
			return { kind: 'json-malformed', error: error instanceof Error ? error.message : String(error) };
		}
	}
	return { kind: 'other' };
}

/** The recorded view of a decoded body: hashes and sizes instead of bytes, text parts verbatim. */
export function summariseBody(decoded: DecodedBody): { json?: unknown; multipart?: RecordedPart[] } {
	if (decoded.kind === 'json') return { json: decoded.value };
	if (decoded.kind !== 'multipart') return {};
	return {
		multipart: decoded.parts.map((part) => {
			const recorded: RecordedPart = { name: part.name, size: part.data.length, sha256: sha256Hex(part.data) };
			if (part.filename !== undefined) recorded.filename = part.filename;
			if (part.contentType !== undefined) recorded.contentType = part.contentType;
			if (part.filename === undefined) recorded.value = part.data.toString('utf8');
			return recorded;
		}),
	};
}
