/**
 * Small value checks and generators used by both provider modules, kept together so both apply the
 * same definition of "URL", "character" and "id".
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Both providers count characters, not UTF-16 units, so an emoji counts once. */
export function codePointLength(text: string): number {
	let count = 0;
	for (const _ of text) count++;
	return count;
}

export function isHttpUrl(value: string): boolean {
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		return false;
	}
	return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
	return UUID_RE.test(value);
}

export function sha256Hex(data: Buffer): string {
	return createHash('sha256').update(data).digest('hex');
}

/** Meta media ids are opaque numeric strings of about 15–16 digits. */
export function numericId(digits = 15): string {
	let id = String(randomInt(1, 10));
	while (id.length < digits) id += String(randomInt(0, 10));
	return id;
}

/** Looks like Meta's `wamid.HBgL...` ids: a prefix and standard base64. */
export function wamid(): string {
	return `wamid.${randomBytes(36).toString('base64')}`;
}

/** Meta's fbtrace_id: `A` followed by url-safe base64-ish characters. */
export function fbtraceId(): string {
	return `A${randomBytes(16).toString('base64url').slice(0, 22)}`;
}
