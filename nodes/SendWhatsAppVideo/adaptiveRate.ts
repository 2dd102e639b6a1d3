/**
 * The pace one n8n process keeps for one credential, learned from the provider's throughput
 * refusals: several workers sending with one number (or a number limited below the configured
 * Messages per Second, such as a coexistence number's 20/s) then share its limit without anyone
 * dividing it by hand.
 *
 * Decrease: a refusal lowers the rate to CUT times what the provider accepted from this process in
 * the second before the refused send (its share of the limit, measured), or times the current rate
 * if that is lower; but at most by half in one refusal, and never below FLOOR. Increase: after QUIET_MS without a refusal, the rate grows
 * back by a fortieth of the configured rate per second, never above it.
 */

/** The provider's window: it counts sends arriving within one second. */
const WINDOW_MS = 1000;

/** Lowest learned rate: a process never stops sending altogether. */
const FLOOR_PER_SECOND = 1;

/**
 * Just under the measured share, so that the sends of the next second fit the window that refused
 * one, with room for another worker's slight increase.
 */
const CUT = 0.9;

/**
 * The deepest one refusal cuts: a process that had barely sent in the second before (its first
 * send, or another worker holding the whole limit) measures a share near zero.
 */
const DEEPEST_CUT = 0.5;

/**
 * Time at the lowered rate before probing above it again. Every probe past the limit costs a
 * refused send (and a retry), so probing rarely keeps refusals to a small fraction of the sends.
 */
const QUIET_MS = 10_000;

/** Recovery takes about this many seconds from the floor to the configured rate (after QUIET_MS). */
const RECOVERY_SECONDS = 40;

/** A send this process started, for measuring what the provider accepted from it. */
interface RecentSend {
	at: number;
	refused: boolean;
}

export class AdaptiveRate {
	/** The rate after the latest cut; undefined until the provider first refuses. */
	private cutTo: number | undefined;

	private cutAt = -Infinity;

	/** Sends of the last two windows, oldest first: enough to look one window back from any refusal. */
	private readonly recent: RecentSend[] = [];

	/** `configured`: Messages (or Uploads) per Second from the node, the most ever allowed. */
	constructor(public configured: number) {}

	/** The rate to pace at now. */
	current(now: number): number {
		if (this.cutTo === undefined) return this.configured;
		const probingMs = Math.max(0, now - this.cutAt - QUIET_MS);
		const step = Math.max(1, this.configured / RECOVERY_SECONDS);
		return Math.min(this.configured, this.cutTo + (step * probingMs) / 1000);
	}

	/** Notes a send leaving at `at`; the returned handle marks it refused. */
	started(at: number): RecentSend {
		while (this.recent.length > 0 && this.recent[0].at < at - 2 * WINDOW_MS) this.recent.shift();
		const send = { at, refused: false };
		this.recent.push(send);
		return send;
	}

	/** The provider refused `send` as over its throughput; `now` is when the refusal arrived. */
	refused(send: RecentSend, now: number): void {
		send.refused = true;
		// Unpaced (the editor's lookups): nothing to lower.
		if (!Number.isFinite(this.configured)) return;
		// Sent at the pace before the latest cut: that cut already answered it.
		if (send.at < this.cutAt) return;
		let accepted = 0;
		for (const other of this.recent) {
			if (other.at >= send.at - WINDOW_MS && other.at < send.at && !other.refused) accepted++;
		}
		const rate = this.current(now);
		this.cutTo = Math.min(this.configured, Math.max(FLOOR_PER_SECOND, rate * DEEPEST_CUT, Math.min(rate, accepted) * CUT));
		this.cutAt = now;
	}
}
