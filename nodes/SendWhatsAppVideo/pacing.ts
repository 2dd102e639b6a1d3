import { sleep } from 'n8n-workflow';

const WINDOW_MS = 1000;

/** Marks a paced request as answered (or failed), which starts the end of its turn in the window. */
interface PacedRequest {
	done(): void;
}

/**
 * At most `perSecond` requests in any one-second window at the provider, retries included.
 *
 * The provider counts arrivals, which the client cannot see: a request can arrive any time between
 * its start and its answer (the first one waits for its connection, a burst shares the link). So a
 * request counts against the window from its start until one second after its answer; a request
 * still in flight always counts. That bound holds whatever the network does, at the cost of
 * treating each request as arriving as late as it possibly could.
 */
class RateLimiter {
	private readonly inFlight = new Set<object>();

	private readonly answeredAt: number[] = [];

	private queue: Promise<void> = Promise.resolve();

	constructor(public perSecond: number) {}

	async acquire(): Promise<PacedRequest> {
		const turn = this.queue.then(async () => await this.waitForRoom());
		this.queue = turn;
		await turn;
		const token = {};
		this.inFlight.add(token);
		return {
			done: () => {
				if (this.inFlight.delete(token)) this.answeredAt.push(Date.now());
			},
		};
	}

	private async waitForRoom(): Promise<void> {
		for (;;) {
			const now = Date.now();
			while (this.answeredAt.length > 0 && now - this.answeredAt[0] >= WINDOW_MS) this.answeredAt.shift();
			const limit = Math.max(1, Math.floor(this.perSecond));
			if (this.inFlight.size + this.answeredAt.length < limit) return;
			// Room opens when the oldest answer leaves the window, or sooner when a request in flight
			// is answered; poll briefly in the second case, as its answer time is not known yet.
			const untilOldestLeaves = this.answeredAt.length > 0 ? this.answeredAt[0] + WINDOW_MS - now : WINDOW_MS;
			await sleep(Math.max(1, Math.min(untilOldestLeaves, 20)));
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
	// The latest node settings win: a user who raises the limit for a paid tier sees it at once.
	pacing.messages.perSecond = messagesPerSecond;
	pacing.uploads.perSecond = uploadsPerSecond;
	return pacing;
}

/** Template lookups from the editor are single reads a person triggers: nothing to pace. */
export function unpaced(): Pacing {
	return { messages: new RateLimiter(Infinity), uploads: new RateLimiter(Infinity) };
}
