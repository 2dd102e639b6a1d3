/**
 * WhatsApp refusals that mean "the message is fine, send it again later": nothing was accepted,
 * and the wait is Meta's to set, not a sign that the provider is failing. Meta's error object
 * (`{"error": {"code": …}}`) carries them through every provider that relays it (360dialog, Meta).
 */

/**
 * `pairRate`: too many messages to this one recipient (131056); other recipients are unaffected.
 * `upgrade`: the business number is being moved to a higher throughput tier (131057), for up to a minute.
 */
export type WaitReason = 'pairRate' | 'upgrade';

const WAIT_CODES: ReadonlyMap<number, WaitReason> = new Map([
	[131056, 'pairRate'],
	[131057, 'upgrade'],
]);

/**
 * An upgrade ends within a minute: waiting longer than this between tries would leave the number
 * idle long after it is back.
 */
const UPGRADE_WAIT_CAP_MS = 16_000;

/** The wait an error answer asks for, if it is one of these refusals. */
export function waitReasonOf(body: unknown): WaitReason | undefined {
	if (!body || typeof body !== 'object') return undefined;
	const error = (body as { error?: unknown }).error;
	if (!error || typeof error !== 'object') return undefined;
	const code = (error as { code?: unknown }).code;
	return typeof code === 'number' ? WAIT_CODES.get(code) : undefined;
}

/** Meta's advice: retry after 4^x seconds, x counting this item's earlier refusals that asked to wait (0 for the first). */
export function adviceMs(reason: WaitReason, earlierWaits: number): number {
	const advised = 4 ** earlierWaits * 1000;
	return reason === 'upgrade' ? Math.min(advised, UPGRADE_WAIT_CAP_MS) : advised;
}
