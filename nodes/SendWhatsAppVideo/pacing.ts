import { sleep } from 'n8n-workflow';

import { AdaptiveRate } from './adaptiveRate';

const WINDOW_MS = 1000;

/**
 * How late after its start a small request (a JSON body) may reach the provider. Starts are spread
 * evenly (below), and requests travel over open keep-alive connections, so a request leaves within
 * a few milliseconds of its start; this covers a busy event loop and network jitter. (Released in
 * bursts of fifty, requests left up to 140 ms late: n8n prepares a burst one request at a time.)
 * A request that takes longer (a new TLS connection) can only make the provider count it later; if
 * that ever packs a second too full, the provider answers "throttled" (429, 130429), which never
 * creates a message and is retried. A request carrying a file has no such bound: its bytes can
 * take any time to go out.
 */
const LATEST_ARRIVAL_MS = 50;

/** Weight of the newest answer time in the running estimate. */
const LATENCY_WEIGHT = 0.2;

/** Marks a paced request as answered (or failed). */
interface PacedRequest {
	done(): void;
	/** The provider refused it as over its throughput (see throughputRefusal.ts): slow down. */
	refused(): void;
}

/**
 * At most `perSecond` requests in any one-second window at the provider, retries included.
 * `perSecond` is the configured rate until the provider refuses a request as over its throughput,
 * then what adaptiveRate.ts learned from it.
 *
 * The provider counts arrivals, which lie between a request's start and its answer (and, for a
 * small request, no later than LATEST_ARRIVAL_MS after its start). So a request counts against the
 * window from its start until one second after the latest moment it can have arrived. A slow
 * answer to a small request therefore does not hold its place for a second after it: at 500 ms
 * per answer the limiter still starts about perSecond / 1.05 messages a second.
 */
class RateLimiter {
	/** When each counted request stops counting; Infinity while it may not have arrived yet. */
	private readonly countedUntil = new Map<object, number>();

	private queue: Promise<void> = Promise.resolve();

	/** The earliest moment the next request may start, so starts are spread evenly. */
	private nextSlotAt = -Infinity;

	/** Running estimate of how long the provider takes to answer, in ms; undefined before any answer. */
	latencyMs: number | undefined;

	readonly rate: AdaptiveRate;

	constructor(configured: number) {
		this.rate = new AdaptiveRate(configured);
	}

	get perSecond(): number {
		return this.rate.current(Date.now());
	}

	/** `small`: the request has no file in its body, so it reaches the provider promptly. */
	async acquire(small: boolean): Promise<PacedRequest> {
		const turn = this.queue.then(async () => await this.waitForRoom());
		this.queue = turn;
		await turn;
		const token = {};
		const startedAt = Date.now();
		// From the planned slot, not from now: a timer that fires late does not slow the pace down.
		this.nextSlotAt = Math.max(this.nextSlotAt, startedAt - this.slotMs()) + this.slotMs();
		this.countedUntil.set(token, small ? startedAt + LATEST_ARRIVAL_MS + WINDOW_MS : Infinity);
		const send = this.rate.started(startedAt);
		return {
			refused: () => this.rate.refused(send, Date.now()),
			done: () => {
				const answeredAt = Date.now();
				const until = this.countedUntil.get(token);
				if (until !== undefined) this.countedUntil.set(token, Math.min(until, answeredAt + WINDOW_MS));
				const took = answeredAt - startedAt;
				this.latencyMs = this.latencyMs === undefined ? took : this.latencyMs + LATENCY_WEIGHT * (took - this.latencyMs);
			},
		};
	}

	/** Time between two starts at the highest sustainable pace. */
	private slotMs(): number {
		return (WINDOW_MS + LATEST_ARRIVAL_MS) / Math.max(1, Math.floor(this.perSecond));
	}

	private async waitForRoom(): Promise<void> {
		for (;;) {
			const now = Date.now();
			let nextFree = Infinity;
			for (const [token, until] of this.countedUntil) {
				if (until <= now) this.countedUntil.delete(token);
				else nextFree = Math.min(nextFree, until);
			}
			const limit = Math.max(1, Math.floor(this.perSecond));
			// Starts are spread evenly rather than released in bursts: n8n prepares the requests of a
			// burst one after another, so the last of fifty would leave well after its start.
			if (now < this.nextSlotAt) {
				await sleep(Math.max(1, this.nextSlotAt - now));
				continue;
			}
			if (this.countedUntil.size < limit) return;
			// An answer can free a place earlier than the earliest known time: look again soon.
			await sleep(Math.max(1, Math.min(nextFree - now, 20)));
		}
	}
}

export interface Pacing {
	messages: RateLimiter;
	uploads: RateLimiter;
}

/**
 * One pair of limiters per credential for the whole n8n process, so two executions (or two nodes)
 * sending with the same WhatsApp number share its limit as the provider does.
 */
const pacingByCredential = new Map<string, Pacing>();

export function pacingFor(credentialKey: string, messagesPerSecond: number, uploadsPerSecond: number): Pacing {
	let pacing = pacingByCredential.get(credentialKey);
	if (!pacing) {
		pacing = { messages: new RateLimiter(messagesPerSecond), uploads: new RateLimiter(uploadsPerSecond) };
		pacingByCredential.set(credentialKey, pacing);
	}
	// The latest node settings win: a user who raises the limit for a paid tier sees it at once,
	// unless the provider has refused sends since, which lowers the pace below it for a while.
	pacing.messages.rate.configured = messagesPerSecond;
	pacing.uploads.rate.configured = uploadsPerSecond;
	return pacing;
}

/** Template lookups from the editor are single reads a person triggers: nothing to pace. */
export function unpaced(): Pacing {
	return { messages: new RateLimiter(Infinity), uploads: new RateLimiter(Infinity) };
}

/** Before the first answer, assume a typical provider round trip. */
const ASSUMED_LATENCY_MS = 250;
/** More sends in flight than the rate needs, so a slower answer does not at once cost throughput. */
const HEADROOM = 1.25;

/**
 * Enough sends in flight to start Messages per Second at the provider's current answer time
 * (Little's law: in flight = rate × time in flight), within `ceiling`.
 */
export function automaticConcurrency(pacing: Pacing, ceiling: number): number {
	const latencySeconds = (pacing.messages.latencyMs ?? ASSUMED_LATENCY_MS) / 1000;
	const wanted = Math.ceil(pacing.messages.perSecond * latencySeconds * HEADROOM) + 1;
	return Math.max(1, Math.min(ceiling, wanted));
}
