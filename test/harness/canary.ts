import type { RunResult } from './engine';
import { capturedLogs } from './logs';

/** Secrets no output, error or log line may ever contain. */
export const CANARY = {
	apiToken: 'lp_canary_token_7f3a9c1e5b2d',
	apiKey: 'd360_canary_key_2e8d4b6a0c9f',
};

const observed: string[] = [];

/** Serialises errors with every own property (message, description, cause, errorResponse, context…). */
function everything(value: unknown, seen = new WeakSet<object>()): unknown {
	if (value === null || typeof value !== 'object') return value;
	if (seen.has(value)) return '[circular]';
	seen.add(value);
	if (Array.isArray(value)) return value.map((entry) => everything(entry, seen));
	const copy: Record<string, unknown> = {};
	for (const key of Object.getOwnPropertyNames(value)) {
		copy[key] = everything((value as Record<string, unknown>)[key], seen);
	}
	return copy;
}

/** Keeps everything a run produced: output items, the execution record and the error. */
export function observe(result: RunResult): RunResult {
	const text = (value: unknown) => JSON.stringify(everything(value)) ?? '';
	observed.push(text(result.run), text(result.error));
	for (const item of result.items) observed.push(text(item));
	return result;
}

export function canaryHits(): number {
	const haystack = [...observed, ...capturedLogs];
	return Object.values(CANARY).reduce(
		(hits, secret) => hits + haystack.reduce((count, text) => count + text.split(secret).length - 1, 0),
		0,
	);
}

export function observedCount(): { outputs: number; logLines: number } {
	return { outputs: observed.length, logLines: capturedLogs.length };
}
