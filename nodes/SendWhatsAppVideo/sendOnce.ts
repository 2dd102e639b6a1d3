/**
 * Send Once: a message goes to a recipient once from this node, across executions, Retry, re-runs
 * and workers. Keys live in n8n's own deduplication store (the one behind the Remove Duplicates
 * node's "processed in previous executions"), in n8n's database, scoped to this node.
 *
 * That store keeps one row per workflow and node and rewrites it whole on every call, with no lock,
 * so two writers that overlap can lose each other's entries. Hence: one store call claims all of a
 * run's keys at once; calls from this process for the same node never overlap; and each claim
 * records a token of its own and checks it is still there once other writers have had time to
 * finish (a claim overwritten by another process is claimed again, and what that process claimed
 * in the meantime is its to send).
 */
import { createHash, randomUUID } from 'node:crypto';

import type { DeduplicationItemTypes, ICheckProcessedOptions, IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import type { PlannedItem, RunSettings } from './plan';
import { binaryContentKey } from './send';

/** Why an item was not sent: its key was used before, or is being used by another execution now. */
type SkipReason = 'alreadySent' | 'mayHaveBeenSent' | 'duplicateInRun';

/** How many entries n8n keeps for this node; the oldest are forgotten first. */
const SEND_ONCE_MAX_ENTRIES = 100_000;
/** A run claims a key and its pending mark per item, plus its token, within the entries kept. */
const SEND_ONCE_MAX_ITEMS = Math.floor((SEND_ONCE_MAX_ENTRIES - 1) / 2);
/**
 * How long a claim waits before checking it was not overwritten: longer than any other writer
 * takes from reading the row to writing it back (a few milliseconds on a healthy database).
 */
const SETTLE_MS = 500;
const MAX_CLAIM_ROUNDS = 4;
const STORE_ATTEMPTS = 3;
const STORE_OPTIONS: ICheckProcessedOptions = { mode: 'entries', maxEntries: SEND_ONCE_MAX_ENTRIES };

const pendingMark = (key: string) => `pending\u0000${key}`;

/** What one item counts as "the same message" by: the Send Once Key, or recipient and content. */
export async function sendOnceKeyOf(ctx: IExecuteFunctions, settings: RunSettings, plan: PlannedItem): Promise<string> {
	if (plan.sendOnce?.customKey) return plan.sendOnce.customKey;
	const { source, target, message } = plan;
	const video =
		source.kind === 'binary' ? (await binaryContentKey(ctx, settings, plan)) : source.kind === 'url' ? source.url : source.mediaId;
	const identity = JSON.stringify([
		settings.provider.name,
		settings.credentialId,
		target.account,
		target.recipient,
		source.kind,
		video,
		message.caption,
		message.template ? [message.template.name, message.template.language, message.template.bodyParameters, message.template.buttonParameter ?? ''] : null,
		// Only when present, so the keys of video and template messages recorded before stay the same.
		...(message.interactive ? [message.interactive] : []),
	]);
	return `auto:${createHash('sha256').update(identity).digest('hex').slice(0, 32)}`;
}

/** Store calls for this node, one at a time within this process. */
const storeQueues = new Map<string, Promise<unknown>>();

async function oneAtATime<T>(scope: string, work: () => Promise<T>): Promise<T> {
	const before = storeQueues.get(scope) ?? Promise.resolve();
	const mine = before.then(work, work);
	const settled = mine.then(
		() => undefined,
		() => undefined,
	);
	storeQueues.set(scope, settled);
	try {
		return await mine;
	} finally {
		if (storeQueues.get(scope) === settled) storeQueues.delete(scope);
	}
}

function storeError(ctx: IExecuteFunctions, caught: unknown): NodeOperationError {
	const reason = caught instanceof Error ? caught.message : String(caught);
	return new NodeOperationError(ctx.getNode(), `Send Once could not use n8n's deduplication store: ${reason}`, {
		description:
			'Nothing was sent. Send Once records its keys in n8n\'s database; check that n8n can write to it and run again, or turn Send Once off.',
	});
}

/** A store call, tried again when it fails (two first claims at once: one insert of the row loses). */
async function withRetries<T>(ctx: IExecuteFunctions, call: () => Promise<T>): Promise<T> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await call();
		} catch (caught) {
			if (attempt >= STORE_ATTEMPTS) throw storeError(ctx, caught);
			await sleep(50 + Math.random() * 150);
		}
	}
}

interface SendOnceEntry {
	itemIndex: number;
	key: string;
}

/** The keys one run holds, and what became of the others. */
export class SendOnceClaim {
	/** Items not to send, with why. */
	readonly skipped = new Map<number, SkipReason>();

	private readonly claimed = new Map<number, string>();
	/** Entries this run wrote that must go whatever happens: tokens, pending marks of others' keys. */
	private readonly leftovers: string[] = [];

	private constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly scope: string,
	) {}

	static async take(ctx: IExecuteFunctions, entries: SendOnceEntry[]): Promise<SendOnceClaim> {
		checkStoreAvailable(ctx, entries.length);
		const claim = new SendOnceClaim(ctx, `${ctx.getWorkflow().id}:${ctx.getNode().id}`);
		const firstByKey = new Map<string, number>();
		for (const { itemIndex, key } of entries) {
			if (firstByKey.has(key)) claim.skipped.set(itemIndex, 'duplicateInRun');
			else firstByKey.set(key, itemIndex);
		}
		await oneAtATime(claim.scope, async () => await claim.claimAll(firstByKey));
		return claim;
	}

	private async record(values: string[]): Promise<Set<DeduplicationItemTypes>> {
		const { processed } = await withRetries(this.ctx, async () => await this.ctx.helpers.checkProcessedAndRecord(values, 'node', STORE_OPTIONS));
		return new Set(processed);
	}

	private async claimAll(itemByKey: Map<string, number>): Promise<void> {
		let open = [...itemByKey.keys()];
		for (let round = 1; open.length > 0; round++) {
			if (round > MAX_CLAIM_ROUNDS) {
				throw new NodeOperationError(this.ctx.getNode(), 'Send Once could not record its keys: other executions kept overwriting them', {
					description: `Nothing was sent. Other executions of this workflow wrote to the same Send Once store ${MAX_CLAIM_ROUNDS} times while this one claimed its keys; run again.`,
				});
			}
			const token = `claim\u0000${randomUUID()}`;
			this.leftovers.push(token);
			const processed = await this.record([...open, ...open.map(pendingMark), token]);
			const fresh: string[] = [];
			for (const key of open) {
				if (!processed.has(key)) {
					fresh.push(key);
					continue;
				}
				const itemIndex = itemByKey.get(key) as number;
				this.skipped.set(itemIndex, processed.has(pendingMark(key)) ? 'mayHaveBeenSent' : 'alreadySent');
				// This claim just added a pending mark to a key that was settled: take it away again.
				if (!processed.has(pendingMark(key))) this.leftovers.push(pendingMark(key));
			}
			if (fresh.length === 0) return;
			await sleep(SETTLE_MS);
			if ((await this.record([token])).has(token)) {
				for (const key of fresh) this.claimed.set(itemByKey.get(key) as number, key);
				return;
			}
			// Another process rewrote the row from a read taken before this claim was written:
			// what it holds now is its own, what is missing is claimed again.
			open = fresh;
		}
	}

	/**
	 * Keeps the keys of sent items (and of sends whose outcome is unknown, marked as such) and
	 * gives back the rest, so the next run sends them.
	 */
	async settle(outcome: { accepted: ReadonlySet<number>; uncertain: ReadonlySet<number> }): Promise<void> {
		const remove = [...this.leftovers];
		for (const [itemIndex, key] of this.claimed) {
			if (outcome.uncertain.has(itemIndex)) continue;
			remove.push(pendingMark(key));
			if (!outcome.accepted.has(itemIndex)) remove.push(key);
		}
		if (remove.length === 0) return;
		const removeAll = async () =>
			await oneAtATime(this.scope, async () => {
				await withRetries(this.ctx, async () => await this.ctx.helpers.removeProcessed(remove, 'node', STORE_OPTIONS));
			});
		try {
			await removeAll();
			// Another process's call that read the row before this removal writes the removed entries
			// back (seen in queue mode: a claim's check overlapping this). Once such a call is over,
			// removing again takes them out for good.
			await sleep(SETTLE_MS);
			await removeAll();
		} catch (caught) {
			// The sends happened; their outputs matter more. The keys stay claimed, so the next run
			// reports those items as skipped ("mayHaveBeenSent") rather than sending them twice.
			this.ctx.logger.warn(`Send Once could not settle its keys: ${(caught as Error).message}`);
		}
	}
}

function checkStoreAvailable(ctx: IExecuteFunctions, items: number): void {
	if (typeof ctx.helpers.checkProcessedAndRecord !== 'function' || typeof ctx.helpers.removeProcessed !== 'function') {
		throw new NodeOperationError(ctx.getNode(), "Send Once needs n8n's deduplication helpers, which this n8n does not have", {
			description: 'Nothing was sent. Update n8n (2.8.4 and later have them), or turn Options → Send Once off.',
		});
	}
	if (!ctx.getWorkflow().id) {
		throw new NodeOperationError(ctx.getNode(), 'Send Once needs a saved workflow', {
			description: 'Nothing was sent. n8n keeps Send Once keys per saved workflow: save the workflow and run it again.',
		});
	}
	if (items > SEND_ONCE_MAX_ITEMS) {
		throw new NodeOperationError(ctx.getNode(), `Send Once takes at most ${SEND_ONCE_MAX_ITEMS} items in one run, not ${items}`, {
			description: 'Nothing was sent. Split the list (e.g. with Loop Over Items) so each run of this node gets fewer items.',
		});
	}
}

/** The output item of an item Send Once did not send. */
export function skippedJson(plan: PlannedItem, settings: RunSettings, key: string, reason: SkipReason): IDataObject {
	return { provider: settings.provider.name, recipient: plan.target.recipient, status: 'skipped', reason, sendOnceKey: key };
}
