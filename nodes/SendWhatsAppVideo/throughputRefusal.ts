/**
 * Which refusals say "this number (or token) is over its messages per second": the only answers
 * the pacing learns from. Such a refusal never creates a message, so the send is retried.
 */
import { waitReasonOf } from './waitAdvice';

/** Meta's "Cloud API message throughput has been reached", passed through by 360dialog. */
const THROUGHPUT_CODE = 130429;

/**
 * 360dialog's own refusal of some endpoints (HTTP 400). Its documented text is all that is known
 * of it, not the body's shape, so it is looked for anywhere in the answer.
 */
const DIALOG360_RATE_LIMIT = /exceeded the endpoint rate limit/i;

export function isThroughputRefusal(statusCode: number, body: unknown): boolean {
	// 131056 (one recipient's pair rate) and 131057 (the number being upgraded) also ask to wait,
	// but say nothing about the number's pace: slowing every send down for them would cost throughput
	// and gain nothing. waitAdvice.ts handles them, whatever the HTTP status.
	if (waitReasonOf(body) !== undefined) return false;
	if (statusCode === 429) return true;
	if (body && typeof body === 'object') {
		const error = (body as { error?: unknown }).error;
		if (error && typeof error === 'object' && (error as { code?: unknown }).code === THROUGHPUT_CODE) return true;
	}
	if (statusCode !== 400) return false;
	const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
	return DIALOG360_RATE_LIMIT.test(text);
}
