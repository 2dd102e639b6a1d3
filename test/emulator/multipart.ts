/**
 * A strict multipart/form-data parser (RFC 7578 on top of RFC 2046) over a fully buffered body.
 * The emulator exists to catch malformed requests, so anything a real server might silently guess at
 * (missing CRLF after a boundary, missing closing delimiter, parts without a name) is an error here.
 */
import { decodeExtValue, parseHeaderValue } from './header-params';
import type { ParsedPart } from './types';

export type { ParsedPart } from './types';

export type MultipartResult = { ok: true; parts: ParsedPart[] } | { ok: false; error: string };

export interface MultipartLimits {
	/** Per part header block; keeps a garbage body from being scanned as one huge header. */
	maxHeaderBytes: number;
	maxParts: number;
}

const DEFAULT_LIMITS: MultipartLimits = { maxHeaderBytes: 16 * 1024, maxParts: 100 };

const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');
const DASH = 0x2d;
const SP = 0x20;
const HTAB = 0x09;

/** RFC 2046 bchars: the boundary is 1–70 of these and must not end in a space. */
const BOUNDARY_RE = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/**
 * Extracts the boundary of a `multipart/form-data` Content-Type. Returns an error message instead of
 * throwing so the caller can turn it into the provider's validation answer.
 */
export function boundaryOf(contentType: string): { ok: true; boundary: string } | { ok: false; error: string } {
	const { value, params } = parseHeaderValue(contentType);
	if (value !== 'multipart/form-data') return { ok: false, error: `not multipart/form-data but ${value || 'empty'}` };
	const boundary = params.boundary;
	if (boundary === undefined) return { ok: false, error: 'the boundary parameter is missing' };
	if (!BOUNDARY_RE.test(boundary)) return { ok: false, error: 'the boundary parameter is not a valid RFC 2046 boundary' };
	return { ok: true, boundary };
}

export function parseMultipart(
	body: Buffer,
	boundary: string,
	limits: MultipartLimits = DEFAULT_LIMITS,
): MultipartResult {
	const delimiter = Buffer.from(`--${boundary}`, 'latin1');
	const crlfDelimiter = Buffer.concat([CRLF, delimiter]);

	// A preamble before the first delimiter is legal (RFC 2046 §5.1.1) and ignored.
	let pos: number;
	if (body.subarray(0, delimiter.length).equals(delimiter)) {
		pos = 0;
	} else {
		const found = body.indexOf(crlfDelimiter);
		if (found === -1) return { ok: false, error: 'the opening boundary was not found' };
		pos = found + CRLF.length;
	}

	const parts: ParsedPart[] = [];
	for (;;) {
		pos += delimiter.length;
		if (body[pos] === DASH && body[pos + 1] === DASH) {
			// Close delimiter; whatever follows is epilogue and ignored.
			return { ok: true, parts };
		}
		// Transport padding (linear whitespace) may follow a delimiter before its CRLF.
		while (body[pos] === SP || body[pos] === HTAB) pos++;
		if (!body.subarray(pos, pos + 2).equals(CRLF)) {
			return { ok: false, error: `part ${parts.length + 1}: the boundary line is not followed by CRLF` };
		}
		pos += 2;
		if (parts.length >= limits.maxParts) return { ok: false, error: `more than ${limits.maxParts} parts` };

		let headerBlock: string;
		let contentStart: number;
		if (body.subarray(pos, pos + 2).equals(CRLF)) {
			headerBlock = '';
			contentStart = pos + 2;
		} else {
			const headerEnd = body.indexOf(CRLFCRLF, pos);
			if (headerEnd === -1 || headerEnd - pos > limits.maxHeaderBytes) {
				return { ok: false, error: `part ${parts.length + 1}: the header block is not terminated by an empty line` };
			}
			// UTF-8 because browsers, undici and form-data all write non-ASCII filenames as raw UTF-8.
			headerBlock = body.subarray(pos, headerEnd).toString('utf8');
			contentStart = headerEnd + CRLFCRLF.length;
		}

		const next = body.indexOf(crlfDelimiter, contentStart);
		if (next === -1) return { ok: false, error: `part ${parts.length + 1}: the closing boundary is missing` };

		const part = buildPart(headerBlock, body.subarray(contentStart, next), parts.length + 1);
		if (typeof part === 'string') return { ok: false, error: part };
		parts.push(part);
		pos = next + CRLF.length;
	}
}

function parseHeaderLines(block: string): Record<string, string> | string {
	const headers: Record<string, string> = {};
	let lastName: string | undefined;
	for (const line of block === '' ? [] : block.split('\r\n')) {
		if ((line.startsWith(' ') || line.startsWith('\t')) && lastName !== undefined) {
			// Obsolete line folding: a continuation of the previous header.
			headers[lastName] += ` ${line.trim()}`;
			continue;
		}
		const colon = line.indexOf(':');
		if (colon <= 0) return `malformed header line "${line.slice(0, 80)}"`;
		lastName = line.slice(0, colon).trim().toLowerCase();
		headers[lastName] = line.slice(colon + 1).trim();
	}
	return headers;
}

function buildPart(headerBlock: string, data: Buffer, index: number): ParsedPart | string {
	const headers = parseHeaderLines(headerBlock);
	if (typeof headers === 'string') return `part ${index}: ${headers}`;
	const disposition = headers['content-disposition'];
	if (disposition === undefined) return `part ${index}: the Content-Disposition header is missing`;
	const parsed = parseHeaderValue(disposition);
	if (parsed.value !== 'form-data') return `part ${index}: Content-Disposition is "${parsed.value}", not form-data`;
	const name = parsed.params.name;
	if (name === undefined || name === '') return `part ${index}: the Content-Disposition has no name`;

	const part: ParsedPart = { name, headers, data };
	const extFilename = parsed.params['filename*'] !== undefined ? decodeExtValue(parsed.params['filename*']) : undefined;
	// RFC 6266: filename* wins over filename when both are present and it decodes.
	const filename = extFilename ?? parsed.params.filename;
	if (filename !== undefined) part.filename = filename;
	if (headers['content-type'] !== undefined) part.contentType = headers['content-type'];
	return part;
}
