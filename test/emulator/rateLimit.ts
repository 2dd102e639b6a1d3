/**
 * The providers' throughput limit: at most `perSecond` message sends arriving in any one second.
 * This module only counts; which requests are message sends, what they count against (the provider,
 * or for Meta each business phone number) and how a refusal looks are the provider modules' business
 * (`ProviderHandler.rateLimitKey` and `rateLimited`), the server asks on arrival.
 *
 * Only the sends a limit lets through count, as with a provider's limiter: a refused send is answered
 * and forgotten, so a client that keeps retrying does not lock itself out. A send the provider never
 * processed (the client gave up, or an injected fault answered in its place) gives its place back.
 */
import type { ProviderName } from './types';

/** The sliding window: two arrivals less than this far apart are in the same second. */
export const RATE_LIMIT_WINDOW_MS = 1000;

const PROVIDERS: ReadonlySet<ProviderName> = new Set(['lancepilot', 'dialog360', 'whatsappCloud']);

export type RateLimits = Partial<Record<ProviderName, number>>;

/** A send the limit let through; withdraw() gives its place in the window back. */
export interface Admission {
	withdraw(): void;
}

export function validateRateLimit(provider: string, perSecond: number | undefined): void {
	if (!PROVIDERS.has(provider as ProviderName)) throw new TypeError(`Unknown rate limit provider: ${provider}`);
	if (perSecond !== undefined && !(Number.isInteger(perSecond) && perSecond >= 1)) {
		throw new RangeError(`A rate limit must be a positive whole number of messages per second, got ${perSecond}`);
	}
}

export function validateRateLimits(limits: RateLimits | undefined): void {
	if (limits === undefined) return;
	if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
		throw new TypeError('rateLimits must be an object of messages per second by provider, e.g. { dialog360: 80 }');
	}
	for (const [provider, perSecond] of Object.entries(limits)) validateRateLimit(provider, perSecond);
}

export class RateLimitBook {
	private limits = new Map<ProviderName, number>();
	/** Accepted arrivals (performance.now() ms) by counter key, oldest first. */
	private readonly arrivals = new Map<string, number[]>();

	private readonly initial: RateLimits;

	constructor(initial: RateLimits = {}) {
		validateRateLimits(initial);
		this.initial = { ...initial };
		this.reset();
	}

	/** `undefined` lifts the provider's limit. Sends already counted stay counted. */
	set(provider: ProviderName, perSecond: number | undefined): void {
		validateRateLimit(provider, perSecond);
		if (perSecond === undefined) this.limits.delete(provider);
		else this.limits.set(provider, perSecond);
	}

	limitOf(provider: ProviderName): number | undefined {
		return this.limits.get(provider);
	}

	/**
	 * Decides a send arriving `at` (ms, performance.now()), counted against `key`: an Admission when
	 * fewer than the limit's sends arrived in the second before it (or there is no limit), undefined
	 * when it must be refused. Must be called in order of arrival.
	 */
	admit(provider: ProviderName, key: string, at: number): Admission | undefined {
		const limit = this.limits.get(provider);
		const times = this.arrivals.get(key) ?? [];
		let stale = 0;
		while (stale < times.length && at - times[stale] >= RATE_LIMIT_WINDOW_MS) stale++;
		if (stale > 0) times.splice(0, stale);
		if (limit !== undefined && times.length >= limit) return undefined;
		times.push(at);
		this.arrivals.set(key, times);
		let withdrawn = false;
		return {
			withdraw: () => {
				if (withdrawn) return;
				withdrawn = true;
				const index = times.indexOf(at);
				if (index !== -1) times.splice(index, 1);
			},
		};
	}

	/** Back to the limits of the options; forgets every counted send. */
	reset(): void {
		this.limits = new Map(Object.entries(this.initial).filter(([, perSecond]) => perSecond !== undefined) as Array<[ProviderName, number]>);
		this.arrivals.clear();
	}
}
