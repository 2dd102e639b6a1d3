import { sleep } from 'n8n-workflow';

/**
 * A little over a second: requests sent exactly one second apart can arrive closer together, and
 * the provider counts arrivals. The margin keeps every one-second window at the provider within
 * the limit, at the cost of a few percent of throughput.
 */
const WINDOW_MS = 1050;

/**
 * At most `perSecond` request starts in any window of WINDOW_MS, in the order callers asked.
 * Every attempt (first tries and retries alike) takes a slot, so retries cannot burst the limit.
 */
export class RateLimiter {
	private readonly starts: number[] = [];

	private queue: Promise<void> = Promise.resolve();

	constructor(public perSecond: number) {}

	async acquire(): Promise<void> {
		const turn = this.queue.then(async () => await this.waitForSlot());
		this.queue = turn;
		return await turn;
	}

	private async waitForSlot(): Promise<void> {
		for (;;) {
			const now = Date.now();
			while (this.starts.length > 0 && now - this.starts[0] >= WINDOW_MS) this.starts.shift();
			if (this.starts.length < Math.max(1, Math.floor(this.perSecond))) {
				this.starts.push(now);
				return;
			}
			await sleep(this.starts[0] + WINDOW_MS - now);
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
