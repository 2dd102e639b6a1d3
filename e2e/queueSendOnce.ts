/**
 * The Send Once part of `npm run test:queue`: in each round, two calls of one workflow at the same
 * moment with overlapping recipient lists, so two executions claim their keys at once in n8n's
 * deduplication store, which is one row of PostgreSQL's processed_data rewritten whole by every
 * call, with no lock. Every recipient must get exactly one message (no duplicates), and a check run
 * with all the round's recipients afterwards must send nothing: whatever it sends is a key the
 * store lost. Several rounds, each with fresh numbers, give a race a real chance to show; so does
 * a store filled as one in use for a while would be (STORE_FILLER). The node's answer to a lost
 * claim, claiming again, shows as a claim that took over a second.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import type { Emulator, RecordedRequest } from '../test/emulator/server';
import type { Checks } from './lib/checks';
import { log } from './lib/n8n';
import type { Postgres } from './lib/postgres';
import { executionsRunBy, postRecipients, webhookRegistered, type QueueMain, type QueueProcess, type WebhookAnswer } from './lib/queueCluster';
import { QUEUE_NODES, SEND_ONCE_VIDEO_URL, SEND_ONCE_WEBHOOK_PATH, SEND_ONCE_WORKFLOW_ID, type PacingRecipient } from './lib/queueWorkflow';
import { unflatten, type N8nRest, type StoredItem } from './lib/rest';
import type { Timed } from './queuePacing';

export const SEND_ONCE_ROUNDS = 5;
/** Recipients in each of a round's two calls; both the same size, so their claims take as long. */
export const SEND_ONCE_LIST = 30;
/** The second call starts this far into the first one's list. */
const SECOND_LIST_FROM = 15;
const UNION = SECOND_LIST_FROM + SEND_ONCE_LIST;
/**
 * Entries put into the store after the first round, as a store in use for a while holds: every
 * call then reads and writes a larger row, which widens the window in which two calls that
 * overlap lose each other's entries. Round 1 runs on an empty store, where the first claim creates
 * the row.
 */
const STORE_FILLER = 60_000;
/** A claim that took longer than this was overwritten and made again (it waits 500 ms per try). */
const RECLAIM_MS = 1_000;

export interface SendOnceContext {
	emulator: Emulator;
	rest: N8nRest;
	main: QueueMain;
	workers: QueueProcess[];
	postgres: Postgres;
	time: Timed;
}

/** One of a round's two executions, as n8n stored it. */
interface SendRun {
	id: string;
	status: string;
	call: 'A' | 'B' | '?';
	worker: string;
	/** When the send node started (epoch ms) and how long it ran, from the run data. */
	nodeStart: number;
	nodeMs: number;
	items: StoredItem[];
	/** ms from the send node's start to its first message at the emulator: the claim's length. */
	claimMs: number | undefined;
}

interface Round {
	round: number;
	answers: WebhookAnswer[];
	runs: SendRun[];
	/** The video links of the round's messages. */
	links: string[];
	/** Recipients that got more than one message from the round's two executions. */
	duplicates: string[];
	/** Recipients that got none. */
	missed: string[];
	/** Recipients the check run sent to: keys the store no longer held. */
	lost: string[];
	skipped: Record<string, number>;
	accepted: number;
	checkAnswer: WebhookAnswer;
	/** The store's row after the check run: entries that are sent keys, the filler, anything else. */
	store: StoreCensus;
}

const digits = (phone: string): string => phone.replace(/\D/g, '');
const to = (r: RecordedRequest): string => digits(((r.json ?? {}) as { to?: string }).to ?? '');
const messageIdOf = (r: RecordedRequest): string | undefined => (r.responseBody as { messages?: Array<{ id: string }> } | undefined)?.messages?.[0]?.id;
/** n8n's deduplication store keeps each value as its MD5, base64 (DeduplicationHelper.createValueHash). */
const storeHash = (value: string): string => createHash('md5').update(value).digest('base64');

function countBy(values: string[]): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const value of [...values].sort()) counts[value] = (counts[value] ?? 0) + 1;
	return counts;
}

const post = async (main: QueueMain, recipients: PacingRecipient[]): Promise<WebhookAnswer> => await postRecipients(main, SEND_ONCE_WEBHOOK_PATH, recipients);

type RunData = Record<string, Array<{ startTime?: number; executionTime?: number; data?: { main?: StoredItem[][] } }>>;

/** The execution's send node run, with the timings ExecutionDetail leaves out. */
async function sendRun(ctx: SendOnceContext, id: string, everyone: PacingRecipient[]): Promise<Omit<SendRun, 'claimMs'>> {
	const { status, data, text } = await ctx.rest.call<{ status: string; data?: string }>('GET', `/executions/${id}`);
	if (status !== 200) throw new Error(`GET /rest/executions/${id} answered ${status}: ${text.slice(0, 300)}`);
	const runData = ((data.data ? unflatten(data.data) : {}) as { resultData?: { runData?: RunData } }).resultData?.runData ?? {};
	const send = runData[QUEUE_NODES.dialog360]?.[0];
	// The Code node's first item says which call this was, even when the send node failed.
	const firstPhone = runData[QUEUE_NODES.recipients]?.[0]?.data?.main?.[0]?.[0]?.json.phone;
	return {
		id,
		status: data.status,
		call: firstPhone === everyone[0].phone ? 'A' : firstPhone === everyone[SECOND_LIST_FROM].phone ? 'B' : '?',
		worker: ctx.workers.find((w) => executionsRunBy(w).includes(id))?.label ?? 'none',
		nodeStart: send?.startTime ?? Number.NaN,
		nodeMs: send?.executionTime ?? Number.NaN,
		items: send?.data?.main?.[0] ?? [],
	};
}

interface StoreCensus {
	keys: number;
	filler: number;
	/** Neither: claim tokens or pending marks left behind. */
	other: number;
}

const FILLER_PREFIX = 'e2e-filler-';

/** Adds STORE_FILLER entries to the workflow's Send Once row, in one statement. */
function fillStore(postgres: Postgres): void {
	postgres.query(
		`update processed_data set value = jsonb_set(value::jsonb, '{data}', (value::jsonb -> 'data') || ` +
			`(select jsonb_agg('${FILLER_PREFIX}' || i) from generate_series(1, ${STORE_FILLER}) i))::text where "workflowId" = '${SEND_ONCE_WORKFLOW_ID}'`,
	);
}

/** Counted in PostgreSQL: the filled row is more than psql's output buffer takes. */
function storeCensus(postgres: Postgres, keys: ReadonlySet<string>): StoreCensus {
	// Base64 MD5s hold no quote, so they go into the statement as they are.
	const hashes = [...keys].map((key) => `'${storeHash(key)}'`).join(',') || 'null';
	const [[sent, filler, all]] = postgres.query(
		`select count(*) filter (where e in (${hashes})), count(*) filter (where e like '${FILLER_PREFIX}%'), count(*) ` +
			`from processed_data, jsonb_array_elements_text(value::jsonb -> 'data') e where "workflowId" = '${SEND_ONCE_WORKFLOW_ID}'`,
	);
	return { keys: Number(sent), filler: Number(filler), other: Number(all) - Number(sent) - Number(filler) };
}

async function playRound(ctx: SendOnceContext, round: number, keys: Set<string>): Promise<Round> {
	const { emulator, rest, main } = ctx;
	const everyone: PacingRecipient[] = Array.from({ length: UNION }, (_, r) => ({
		phone: `+49 153 9${String(round).padStart(2, '0')}${String(r).padStart(4, '0')}`,
		// The same caption for a recipient in both calls: the automatic key is recipient plus content.
		caption: `send once round ${round}`,
	}));
	const lists = [everyone.slice(0, SEND_ONCE_LIST), everyone.slice(SECOND_LIST_FROM)];
	const known = new Set((await rest.executions(SEND_ONCE_WORKFLOW_ID)).map((e) => e.id));
	const seen = emulator.messagesCreated('dialog360').length;

	const answers = await Promise.all(lists.map((list) => post(main, list)));
	const sent = emulator.messagesCreated('dialog360').slice(seen);
	const listed = await rest.settledExecutions(SEND_ONCE_WORKFLOW_ID, known.size + lists.length, 60_000, 0);
	const stored = await Promise.all(listed.filter((e) => !known.has(e.id)).map((e) => sendRun(ctx, e.id, everyone)));
	const runs = stored
		.map((run) => {
			const ids = new Set(run.items.map((item) => item.json.messageId));
			const firstSend = Math.min(...sent.filter((r) => ids.has(messageIdOf(r))).map((r) => performance.timeOrigin + r.startedAt));
			return { ...run, claimMs: Number.isFinite(firstSend) ? Math.round(firstSend - run.nodeStart) : undefined };
		})
		.sort((a, b) => a.call.localeCompare(b.call));

	const perRecipient = countBy(sent.map(to));
	const items = runs.flatMap((run) => run.items.map((item) => item.json));
	for (const item of items) if (typeof item.sendOnceKey === 'string') keys.add(item.sendOnceKey);

	const checkSeen = emulator.messagesCreated('dialog360').length;
	const checkAnswer = await post(main, everyone);
	const lost = emulator.messagesCreated('dialog360').slice(checkSeen).map(to);
	for (const item of checkAnswer.items) if (typeof item.sendOnceKey === 'string') keys.add(item.sendOnceKey);

	return {
		round,
		answers,
		runs,
		links: [...new Set(sent.map((r) => String(((r.json ?? {}) as { video?: { link?: string } }).video?.link)))],
		duplicates: Object.keys(perRecipient).filter((recipient) => perRecipient[recipient] > 1),
		missed: everyone.map((r) => digits(r.phone)).filter((recipient) => !perRecipient[recipient]),
		lost,
		skipped: countBy(items.filter((item) => item.status === 'skipped').map((item) => String(item.reason))),
		accepted: items.filter((item) => item.status === 'accepted').length,
		checkAnswer,
		store: storeCensus(ctx.postgres, keys),
	};
}

const describeRuns = (round: Round): string => {
	const [a, b] = round.runs;
	const apart = a && b ? `${Math.abs(a.nodeStart - b.nodeStart)} ms apart` : 'not both';
	const runs = round.runs.map((r) => `${r.call} #${r.id} ${r.worker} ${r.status} claim ${r.claimMs ?? '-'} ms node ${r.nodeMs} ms`).join(', ');
	return `${runs}; send nodes started ${apart}`;
};

export async function checkSendOnce(checks: Checks, ctx: SendOnceContext): Promise<void> {
	const { rest, main, workers, time } = ctx;
	checks.section(`Send Once across workers: ${SEND_ONCE_ROUNDS} rounds of two calls at once, ${SEND_ONCE_LIST} recipients each, ${SEND_ONCE_LIST - SECOND_LIST_FROM} in both`);
	const on = await rest.activate(SEND_ONCE_WORKFLOW_ID);
	checks.equal('the Send Once workflow is published through the REST API', [on.status, on.active], [200, true]);
	if (!(await webhookRegistered(main, SEND_ONCE_WEBHOOK_PATH, 30_000))) {
		checks.ok('its production webhook is registered', false);
		return;
	}
	const keys = new Set<string>();
	const rounds: Round[] = [];
	await time(`Send Once: ${SEND_ONCE_ROUNDS} rounds of 2 × ${SEND_ONCE_LIST} recipients and a check run`, async () => {
		for (let round = 1; round <= SEND_ONCE_ROUNDS; round++) {
			const played = await playRound(ctx, round, keys);
			rounds.push(played);
			if (round === 1) fillStore(ctx.postgres);
			log(
				`send once round ${round}: ${describeRuns(played)}; sent ${played.accepted}, skipped ${JSON.stringify(played.skipped)}, ` +
					`duplicates ${played.duplicates.length}, missed ${played.missed.length}, lost ${played.lost.length}, ` +
					`check run skipped ${JSON.stringify(countBy(played.checkAnswer.items.map((item) => String(item.reason))))}; ` +
					`store ${played.store.keys} keys + ${played.store.filler} filler + ${played.store.other} other`,
			);
		}
	});

	const byRound = <T>(pick: (round: Round) => T[]): Array<{ round: number; recipients: T[] }> =>
		rounds.map((round) => ({ round: round.round, recipients: pick(round) })).filter((entry) => entry.recipients.length > 0);
	checks.equal(
		`each round's two executions (A, B) succeeded, their ${2 * SEND_ONCE_LIST} items ${UNION} accepted and ${2 * SEND_ONCE_LIST - UNION} skipped`,
		rounds.map((r) => ({
			round: r.round,
			answers: r.answers.map((a) => (a.status === 200 ? 200 : `${a.status} ${a.text}`)),
			runs: r.runs.map((run) => `${run.call} ${run.status}`),
			accepted: r.accepted,
			skipped: Object.values(r.skipped).reduce((sum, n) => sum + n, 0),
		})),
		rounds.map((r) => ({ round: r.round, answers: [200, 200], runs: ['A success', 'B success'], accepted: UNION, skipped: 2 * SEND_ONCE_LIST - UNION })),
	);
	checks.equal('duplicates: no recipient got two messages in any round', byRound((r) => r.duplicates), []);
	checks.equal(`every round reached each of its ${UNION} recipients`, byRound((r) => r.missed), []);
	checks.equal('lost records: each round\'s check run with all its recipients sent nothing', byRound((r) => r.lost), []);
	checks.ok(
		`each check run was answered with ${UNION} skipped items`,
		rounds.every((r) => r.checkAnswer.status === 200 && r.checkAnswer.items.length === UNION && r.checkAnswer.items.every((item) => item.status === 'skipped')),
		rounds.map((r) => ({ round: r.round, status: r.checkAnswer.status, items: countBy(r.checkAnswer.items.map((item) => `${item.status} ${item.reason ?? ''}`)), text: r.checkAnswer.status === 200 ? undefined : r.checkAnswer.text })),
	);
	checks.equal('every message of the rounds was the video link', [...new Set(rounds.flatMap((r) => r.links))], [SEND_ONCE_VIDEO_URL]);
	const ranBy = workers.map((w) => ({ label: w.label, rounds: rounds.filter((r) => r.runs.some((run) => run.worker === w.label)).map((r) => r.round) }));
	checks.ok(`both workers ran executions of the workflow (${ranBy.map((w) => `${w.label}: rounds ${w.rounds.join(',') || '-'}`).join('; ')})`, ranBy.every((w) => w.rounds.length > 0), ranBy);

	const total = (pick: (round: Round) => number): number => rounds.reduce((sum, round) => sum + pick(round), 0);
	const reasons = countBy(rounds.flatMap((r) => Object.entries(r.skipped).flatMap(([reason, n]) => Array<string>(n).fill(reason))));
	const split = rounds.filter((r) => new Set(r.runs.map((run) => run.worker)).size === 2).length;
	const reclaimed = rounds.flatMap((r) => r.runs.filter((run) => (run.claimMs ?? 0) > RECLAIM_MS).map((run) => `${r.round}${run.call}`));
	log(
		`Send Once: ${rounds.length} rounds, ${split} with A and B on different workers, claims made again (over ${RECLAIM_MS} ms): ${reclaimed.join(', ') || 'none'}; duplicates ${total((r) => r.duplicates.length)}, ` +
			`lost records ${total((r) => r.lost.length)}, missed ${total((r) => r.missed.length)}; sent ${total((r) => r.accepted)}, skipped ${JSON.stringify(reasons)}; ` +
			// Not a check: a concurrent claim's write can put back marks a settled run removed (README, Send Once).
			`pending marks and claim tokens left in the row after the last round: ${rounds.at(-1)?.store.other ?? 0}`,
	);
}
