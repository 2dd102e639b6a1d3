/**
 * Test-side helpers for the emulator tests. Multipart bodies are built with independent encoders
 * (the `form-data` package and undici's FormData) so the emulator's parser is never checked against
 * itself.
 */
import FormData from 'form-data';
import { EMULATOR_DEFAULTS } from './server';

export const D = EMULATOR_DEFAULTS;
export const LP_AUTH: Record<string, string> = { Authorization: `Bearer ${D.lancepilotToken}` };
export const D360_AUTH: Record<string, string> = { 'D360-API-KEY': D.dialog360ApiKey };
export const META_AUTH: Record<string, string> = { Authorization: `Bearer ${D.metaAccessToken}` };
export const JSON_HEADERS: Record<string, string> = { 'Content-Type': 'application/json' };

export interface HttpResult {
	status: number;
	headers: Headers;
	text: string;
	/** Parsed body, or undefined when the body is not JSON. */
	json: unknown;
}

export async function http(url: string, init: RequestInit = {}): Promise<HttpResult> {
	const response = await fetch(url, init);
	const text = await response.text();
	let json: unknown;
	try {
		json = text === '' ? undefined : (JSON.parse(text) as unknown);
	} catch {
		json = undefined;
	}
	return { status: response.status, headers: response.headers, text, json };
}

export function postJson(url: string, body: unknown, headers: Record<string, string>): Promise<HttpResult> {
	return http(url, { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) });
}

/** Bytes that start like an ISO-BMFF file; the rest is deterministic filler. */
export function mp4Bytes(size: number): Buffer {
	const buf = Buffer.alloc(size);
	const head = Buffer.from([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d]);
	head.copy(buf, 0, 0, Math.min(size, head.length));
	for (let i = head.length; i < size; i++) buf[i] = (i * 31 + 7) & 0xff;
	return buf;
}

/** fetch and Blob want an ArrayBuffer-backed view; a Buffer may sit on a shared pool. */
export function toBytes(value: string | Buffer): Uint8Array<ArrayBuffer> {
	return new Uint8Array(typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
}

export interface PartSpec {
	name: string;
	value: string | Buffer;
	filename?: string;
	contentType?: string;
}

/** Encodes with the `form-data` npm package. */
export function formDataBody(parts: PartSpec[]): { body: Buffer; headers: Record<string, string> } {
	const form = new FormData();
	for (const part of parts) {
		if (part.filename === undefined && part.contentType === undefined) form.append(part.name, part.value);
		else form.append(part.name, part.value, { filename: part.filename, contentType: part.contentType });
	}
	return { body: form.getBuffer(), headers: form.getHeaders() as Record<string, string> };
}

/** Encodes with Node's global FormData + Blob, serialised by undici through `new Response()`. */
export async function webFormDataBody(parts: PartSpec[]): Promise<{ body: Buffer; contentType: string }> {
	const form = new globalThis.FormData();
	for (const part of parts) {
		if (part.filename === undefined) {
			form.append(part.name, typeof part.value === 'string' ? part.value : part.value.toString('utf8'));
		} else {
			const blob = new Blob([toBytes(part.value)], part.contentType ? { type: part.contentType } : {});
			form.append(part.name, blob, part.filename);
		}
	}
	const response = new Response(form);
	const body = Buffer.from(await response.arrayBuffer());
	return { body, contentType: response.headers.get('content-type') ?? '' };
}

export function postForm(url: string, parts: PartSpec[], headers: Record<string, string>): Promise<HttpResult> {
	const form = formDataBody(parts);
	return http(url, { method: 'POST', headers: { ...headers, ...form.headers }, body: toBytes(form.body) });
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until the predicate holds; for records that land after the client already saw an error. */
export async function waitFor(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!predicate()) {
		if (Date.now() > deadline) throw new Error('waitFor: condition not met in time');
		await sleep(10);
	}
}

export interface MetaErrorShape {
	error: {
		message: string;
		type: string;
		code: number;
		error_subcode?: number;
		error_data: { messaging_product: string; details: string };
		fbtrace_id: string;
	};
}

/** Asserts Meta's WhatsApp error shape (HTTP 400 unless told) and returns it for further checks. */
export function expectMetaError(
	res: { status: number; json: unknown },
	code: number,
	detailsFragment: string | RegExp,
	status = 400,
): MetaErrorShape {
	expect(res.status).toBe(status);
	const body = res.json as MetaErrorShape;
	expect(body).toEqual({
		error: {
			message: expect.any(String),
			type: expect.any(String),
			code,
			...(body.error?.error_subcode !== undefined ? { error_subcode: expect.any(Number) } : {}),
			error_data: { messaging_product: 'whatsapp', details: expect.any(String) },
			fbtrace_id: expect.stringMatching(/^A[A-Za-z0-9_-]+$/),
		},
	});
	if (typeof detailsFragment === 'string') expect(body.error.error_data.details).toContain(detailsFragment);
	else expect(body.error.error_data.details).toMatch(detailsFragment);
	return body;
}
