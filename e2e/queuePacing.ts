/**
 * The pacing part of `npm run test:queue`: Messages per Second counts per n8n process. More calls
 * at once than one worker takes (its --concurrency + 1), so every worker runs some; each node is set
 * to the provider's limit ÷ the number of workers (the README's advice). The provider then sees more
 * than one process's setting in a second, so the workers do not share a limit, while executions in
 * one process do; what it refuses in a crowded second is retried.
 */
import type { Emulator, RecordedRequest } from '../test/emulator/server';
import type { Checks } from './lib/checks';
import { executionsRunBy, postRecipients, webhookRegistered, type QueueMain, type QueueProcess } from './lib/queueCluster';
import { PACING_VIDEO_URL, PACING_WEBHOOK_PATH, PACING_WORKFLOW_ID, type PacingRecipient } from './lib/queueWorkflow';
import { log } from './lib/n8n';
import type { N8nRest } from './lib/rest';

/** The messages a second the emulator lets Meta accept during this part. */
const PACING_PROVIDER_LIMIT = 10;
/** Recipients in each of the calls. */
export const PACING_RECIPIENTS = 8;

/** Messages per Second for each worker's node: the provider's limit ÷ the number of workers. */
export function pacingPerWorker(workers: number): number {
	return Math.floor(PACING_PROVIDER_LIMIT / workers);
}

/** Runs `work`, recording how long it took under `label`. */
export type Timed = <T>(label: string, work: () => Promise<T> | T) => Promise<T>;

export interface PacingContext {
	emulator: Emulator;
	rest: N8nRest;
	main: QueueMain;
	workers: QueueProcess[];
	/** How many executions one worker runs at once: one call more makes every worker take part. */
	workerConcurrency: number;
	time: Timed;
}

const sorted = <T>(list: T[]): T[] => [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
const digits = (phone: string): string => phone.replace(/\D/g, '');

/** The most of `times` (ms, in any order) that fall within any one second. */
function peakPerSecond(times: number[]): number {
	const ordered = [...times].sort((a, b) => a - b);
	let peak = 0;
	let first = 0;
	for (let last = 0; last < ordered.length; last++) {
		while (ordered[last] - ordered[first] >= 1000) first += 1;
		peak = Math.max(peak, last - first + 1);
	}
	return peak;
}

export async function checkPacing(checks: Checks, ctx: PacingContext): Promise<void> {
	const { emulator, rest, main, workers, time } = ctx;
	const workerCount = workers.length;
	const perWorker = pacingPerWorker(workerCount);
	const callCount = ctx.workerConcurrency + 1;
	checks.section(`Messages per Second counts per process: ${workerCount} workers at ${perWorker}/s each, Meta allowing ${PACING_PROVIDER_LIMIT}/s`);
	const on = await rest.activate(PACING_WORKFLOW_ID);
	checks.equal('the pacing workflow is published through the REST API (POST /rest/workflows/:id/activate)', [on.status, on.active], [200, true]);
	if (!(await webhookRegistered(main, PACING_WEBHOOK_PATH, 30_000))) {
		checks.ok('its production webhook is registered', false);
		return;
	}
	emulator.setRateLimit('whatsappCloud', PACING_PROVIDER_LIMIT);
	const seen = emulator.requests.length;
	const before = new Set(workers.flatMap((w) => executionsRunBy(w)));
	const batches: PacingRecipient[][] = Array.from({ length: callCount }, (_, call) =>
		Array.from({ length: PACING_RECIPIENTS }, (_, r) => ({ phone: `+49 152 9${String(call).padStart(2, '0')}${String(r).padStart(4, '0')}`, caption: `pacing ${call} recipient ${r}` })),
	);
	const answers = await time(`${callCount} pacing calls of ${PACING_RECIPIENTS} messages on ${workerCount} workers at ${perWorker}/s each`, () =>
		Promise.all(
			batches.map(async (recipients) => await postRecipients(main, PACING_WEBHOOK_PATH, recipients)),
		),
	);
	emulator.setRateLimit('whatsappCloud', undefined);
	checks.ok(
		`every call is answered 200 with ${PACING_RECIPIENTS} accepted items`,
		answers.every((a) => a.status === 200 && a.items.length === PACING_RECIPIENTS && a.items.every((item) => item.status === 'accepted')),
		answers.map((a) => ({ status: a.status, items: a.items.length, text: a.status === 200 ? undefined : a.text })),
	);
	const ranBy = workers.map((w) => ({ label: w.label, ids: executionsRunBy(w).filter((id) => !before.has(id)) }));
	checks.ok(
		`every worker ran some of the ${callCount} executions (${ranBy.map((w) => `${w.label}: ${w.ids.join(',') || '-'}`).join('; ')})`,
		ranBy.every((w) => w.ids.length > 0) && ranBy.reduce((sum, w) => sum + w.ids.length, 0) === callCount,
		ranBy,
	);

	const sends = emulator.requests.slice(seen).filter((r) => r.provider === 'whatsappCloud' && r.path.endsWith('/messages'));
	const created = sends.filter((r) => r.created?.kind === 'message');
	checks.equal(
		`Meta created one video-link message per recipient: ${workerCount * PACING_RECIPIENTS}`,
		sorted(created.map((r) => [r.created?.kind === 'message' ? r.created.recipient : '', ((r.json ?? {}) as { video?: { link?: string } }).video?.link])),
		sorted(batches.flat().map((r) => [digits(r.phone), PACING_VIDEO_URL])),
	);
	const together = peakPerSecond(created.map((r) => r.startedAt));
	const refused = sends.filter((r) => r.throttled);
	log(`pacing: most messages Meta accepted in one second: ${together}; refused for throughput: ${refused.length}`);
	checks.ok(
		`together the workers sent more than one node's ${perWorker} per second (most in one second: ${together}): each process keeps its own count`,
		together > perWorker,
		{ together },
	);
	// Each process paces by its own clock; the provider counts arrivals. When both are at their
	// share, a send that reaches the provider late can land in a full second and be refused: the
	// node retries it, so it still goes out once.
	const to = (r: RecordedRequest): string => ((r.json ?? {}) as { to?: string }).to ?? '';
	const retried = refused.filter((r) => created.some((c) => to(c) === to(r) && c.startedAt > r.startedAt));
	checks.equal(`every send Meta refused for throughput (${refused.length}) was retried and then accepted`, retried.length, refused.length);
}

