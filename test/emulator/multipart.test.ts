import { decodeExtValue, parseHeaderValue } from './header-params';
import { formDataBody, mp4Bytes, webFormDataBody } from './helpers';
import { boundaryOf, parseMultipart, type MultipartResult } from './multipart';

function parseWith(contentType: string, body: Buffer): MultipartResult {
	const boundary = boundaryOf(contentType);
	if (!boundary.ok) throw new Error(boundary.error);
	return parseMultipart(body, boundary.boundary);
}

function expectOk(result: MultipartResult) {
	if (!result.ok) throw new Error(`expected a parse, got: ${result.error}`);
	return result.parts;
}

function expectError(result: MultipartResult, fragment: string): void {
	expect(result.ok).toBe(false);
	if (!result.ok) expect(result.error).toContain(fragment);
}

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');

describe('parseHeaderValue', () => {
	it('lower-cases the value and parameter names and unquotes values', () => {
		expect(parseHeaderValue('Multipart/Form-Data; Boundary="a b;c"; charset=utf-8')).toEqual({
			value: 'multipart/form-data',
			params: { boundary: 'a b;c', charset: 'utf-8' },
		});
	});

	it('handles backslash escapes inside quoted strings and keeps the first duplicate', () => {
		expect(parseHeaderValue('form-data; name="say \\"hi\\""; name="second"').params).toEqual({ name: 'say "hi"' });
	});

	it('decodes RFC 5987 ext-values and rejects malformed ones', () => {
		expect(decodeExtValue("UTF-8''na%C3%AFve%20clip.mp4")).toBe('naïve clip.mp4');
		expect(decodeExtValue("iso-8859-1'en'caf%E9.mp4")).toBe('café.mp4');
		expect(decodeExtValue('no-quotes.mp4')).toBeUndefined();
		expect(decodeExtValue("UTF-8''%E0%A4%A.mp4")).toBeUndefined();
	});
});

describe('boundaryOf', () => {
	it('accepts quoted and unquoted boundaries', () => {
		expect(boundaryOf('multipart/form-data; boundary=abc123')).toEqual({ ok: true, boundary: 'abc123' });
		expect(boundaryOf('multipart/form-data; boundary="with space"')).toEqual({ ok: true, boundary: 'with space' });
	});

	it('rejects a missing, over-long or space-terminated boundary and other media types', () => {
		expect(boundaryOf('multipart/form-data')).toEqual({ ok: false, error: 'the boundary parameter is missing' });
		expect(boundaryOf(`multipart/form-data; boundary=${'x'.repeat(71)}`).ok).toBe(false);
		expect(boundaryOf('multipart/form-data; boundary="ends with space "').ok).toBe(false);
		expect(boundaryOf('multipart/mixed; boundary=abc').ok).toBe(false);
	});
});

describe('parseMultipart with independent encoders', () => {
	const video = mp4Bytes(4096);

	it('parses a body produced by the form-data package (text part, UTF-8 filename with spaces)', () => {
		const { body, headers } = formDataBody([
			{ name: 'messaging_product', value: 'whatsapp' },
			{ name: 'file', value: video, filename: 'Mein Urlaub – día 1 🎬.mp4', contentType: 'video/mp4' },
			{ name: 'caption', value: 'Grüße ✓' },
		]);
		const parts = expectOk(parseWith(headers['content-type'], body));
		expect(parts.map((p) => p.name)).toEqual(['messaging_product', 'file', 'caption']);
		expect(parts[0].filename).toBeUndefined();
		expect(parts[0].data.toString('utf8')).toBe('whatsapp');
		expect(parts[1].filename).toBe('Mein Urlaub – día 1 🎬.mp4');
		expect(parts[1].contentType).toBe('video/mp4');
		expect(parts[1].data.equals(video)).toBe(true);
		expect(parts[2].data.toString('utf8')).toBe('Grüße ✓');
	});

	it('parses a body produced by undici (global FormData + Blob via new Response)', async () => {
		const { body, contentType } = await webFormDataBody([
			{ name: 'messaging_product', value: 'whatsapp' },
			{ name: 'file', value: video, filename: 'clip with spaces ü.3gp', contentType: 'video/3gpp' },
			{ name: 'untyped', value: Buffer.from('raw'), filename: 'raw.bin' },
		]);
		const parts = expectOk(parseWith(contentType, body));
		expect(parts).toHaveLength(3);
		// undici writes text parts without a Content-Type header.
		expect(parts[0].contentType).toBeUndefined();
		expect(parts[0].data.toString('utf8')).toBe('whatsapp');
		expect(parts[1]).toMatchObject({ name: 'file', filename: 'clip with spaces ü.3gp', contentType: 'video/3gpp' });
		expect(parts[1].data.equals(video)).toBe(true);
		// A Blob without a type is sent as application/octet-stream.
		expect(parts[2].contentType).toBe('application/octet-stream');
	});

	it('keeps file bytes that contain CRLF and dashes intact', () => {
		const tricky = Buffer.concat([Buffer.from('\r\n--\r\n--not-the-boundary\r\n\r\n'), mp4Bytes(64), Buffer.from('\r\n')]);
		const { body, headers } = formDataBody([{ name: 'file', value: tricky, filename: 'a.mp4', contentType: 'video/mp4' }]);
		const parts = expectOk(parseWith(headers['content-type'], body));
		expect(parts[0].data.equals(tricky)).toBe(true);
	});

	it('accepts an empty file part and an empty text part', async () => {
		const { body, contentType } = await webFormDataBody([
			{ name: 'caption', value: '' },
			{ name: 'file', value: Buffer.alloc(0), filename: 'empty.mp4', contentType: 'video/mp4' },
		]);
		const parts = expectOk(parseWith(contentType, body));
		expect(parts.map((p) => p.data.length)).toEqual([0, 0]);
	});
});

describe('parseMultipart on hand-written bodies', () => {
	it('handles a quoted boundary with a space, preamble, transport padding, filename* and epilogue', () => {
		const body = crlf([
			'This is a preamble and is ignored.',
			'--my boundary  ',
			"Content-Disposition: form-data; name=\"file\"; filename=\"fallback.mp4\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20clip.mp4",
			'Content-Type: video/mp4',
			'',
			'VIDEO',
			'--my boundary',
			'Content-Disposition: form-data;',
			' name="caption"',
			'',
			'folded header',
			'--my boundary--',
			'epilogue is ignored',
		]);
		const parts = expectOk(parseWith('multipart/form-data; boundary="my boundary"', body));
		expect(parts).toHaveLength(2);
		expect(parts[0]).toMatchObject({ name: 'file', filename: 'résumé clip.mp4', contentType: 'video/mp4' });
		expect(parts[0].data.toString()).toBe('VIDEO');
		expect(parts[1].name).toBe('caption');
		expect(parts[1].data.toString()).toBe('folded header');
	});

	it('parses a form with no parts', () => {
		expect(expectOk(parseMultipart(Buffer.from('--b--\r\n'), 'b'))).toEqual([]);
	});

	it('uses the plain filename when filename* does not decode', () => {
		const body = crlf([
			'--b',
			'Content-Disposition: form-data; name="file"; filename="plain.mp4"; filename*=bogus',
			'',
			'x',
			'--b--',
		]);
		expect(expectOk(parseMultipart(body, 'b'))[0].filename).toBe('plain.mp4');
	});

	it('rejects a body without the opening boundary', () => {
		expectError(parseMultipart(Buffer.from('hello'), 'b'), 'opening boundary');
		expectError(parseMultipart(Buffer.alloc(0), 'b'), 'opening boundary');
	});

	it('rejects a body without the closing boundary', () => {
		const body = crlf(['--b', 'Content-Disposition: form-data; name="a"', '', 'value']);
		expectError(parseMultipart(body, 'b'), 'closing boundary is missing');
	});

	it('rejects LF-only line endings', () => {
		const body = Buffer.from('--b\nContent-Disposition: form-data; name="a"\n\nvalue\n--b--\n');
		expectError(parseMultipart(body, 'b'), 'not followed by CRLF');
	});

	it('rejects parts without Content-Disposition, with another disposition, or without a name', () => {
		expectError(parseMultipart(crlf(['--b', 'Content-Type: text/plain', '', 'v', '--b--']), 'b'), 'Content-Disposition header is missing');
		expectError(parseMultipart(crlf(['--b', '', 'v', '--b--']), 'b'), 'Content-Disposition header is missing');
		expectError(
			parseMultipart(crlf(['--b', 'Content-Disposition: attachment; name="a"', '', 'v', '--b--']), 'b'),
			'not form-data',
		);
		expectError(parseMultipart(crlf(['--b', 'Content-Disposition: form-data', '', 'v', '--b--']), 'b'), 'has no name');
	});

	it('rejects an unterminated or malformed header block', () => {
		expectError(parseMultipart(crlf(['--b', 'Content-Disposition: form-data; name="a"']), 'b'), 'header block');
		expectError(parseMultipart(crlf(['--b', 'no colon here', '', 'v', '--b--']), 'b'), 'malformed header line');
	});

	it('enforces the part limit', () => {
		const lines: string[] = [];
		for (let i = 0; i < 3; i++) lines.push('--b', `Content-Disposition: form-data; name="p${i}"`, '', 'v');
		lines.push('--b--');
		expectError(parseMultipart(crlf(lines), 'b', { maxHeaderBytes: 1024, maxParts: 2 }), 'more than 2 parts');
		expect(expectOk(parseMultipart(crlf(lines), 'b'))).toHaveLength(3);
	});
});
