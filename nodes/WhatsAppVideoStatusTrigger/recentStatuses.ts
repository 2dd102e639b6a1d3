/**
 * Providers deliver a webhook again when they think it failed, so the same status can arrive twice,
 * often while the first delivery is still being handled. The trigger remembers the (message, status)
 * pairs it has let through in two places:
 *
 * - In this process: the last IN_PROCESS pairs, checked and recorded in one synchronous step, so
 *   deliveries handled at the same moment cannot both pass. This is what catches nearly every repeat.
 * - In the workflow's static data, for a repeat that reaches another n8n process (queue mode's
 *   webhook processors) or comes after a restart: the newest PERSISTED pairs of all processes, oldest
 *   first, as one string of fixed-width digests. n8n loads the static data with the workflow for
 *   every webhook request and saves it whole after the request when a node changed it, so its size is
 *   a cost of every delivery and each change costs a database write. The trigger therefore looks at
 *   most once every SAVE_EVERY_MS per process, and changes it only when pairs of this process are
 *   missing from it: those not written yet, and those of the last KEEP_RECENT_MS that another
 *   process's save has overwritten since (a process saves the copy it loaded when its request began,
 *   so two processes saving around the same time drop each other's newest pairs; each puts its own
 *   back within a second). A fixed size however many statuses were ever seen.
 *
 * Limits, on purpose: a repeat that reaches another process before the first process's next look
 * (about a second), or pairs let through by a process that stops before that look, can start a
 * second execution.
 */
import { createHash } from 'node:crypto';

import type { IDataObject } from 'n8n-workflow';

import type { StatusEvent } from '../SendWhatsAppVideo/providers/types';

/** Pairs remembered in this process per trigger: a few minutes of a campaign at 240 statuses a second. */
export const IN_PROCESS = 50_000;

/** Pairs kept in the workflow's static data: 5,000 × 12 characters, 60 kB read with every request. */
export const PERSISTED = 5_000;

/** Each process looks at the static data (and may change it, so n8n writes it) at most this often. */
export const SAVE_EVERY_MS = 1_000;

/** A process puts back its pairs of this long ago that another process's save dropped. */
const KEEP_RECENT_MS = 10_000;

/** The static data field: PERSISTED digests of DIGEST_LENGTH characters, oldest first. */
export const STORED_FIELD = 'seenStatuses';

/** The field of earlier versions (an array of `messageId|status`), read and then dropped. */
const LEGACY_FIELD = 'recentStatuses';

const DIGEST_LENGTH = 12;

/** 72 bits of SHA-256, base64url: a collision in a window of 5,000 is about one in 10^14. */
function digest(event: StatusEvent): string {
	return createHash('sha256').update(`${event.messageId}|${event.status}`).digest('base64url').slice(0, DIGEST_LENGTH);
}

/** What one process remembers for one trigger (workflow and node). */
class Memory {
	private readonly seen = new Set<string>();

	/** Insertion order of `seen`, from `head` on, and when each was let through. */
	private order: string[] = [];

	private times: number[] = [];

	private head = 0;

	/** Index in `order` of the first pair not yet written to the static data. */
	private firstUnwritten = 0;

	lastLook = -Infinity;

	has(key: string): boolean {
		return this.seen.has(key);
	}

	add(key: string, now: number): void {
		this.seen.add(key);
		this.order.push(key);
		this.times.push(now);
		if (this.order.length - this.head > IN_PROCESS) this.seen.delete(this.order[this.head++]);
		this.firstUnwritten = Math.max(this.firstUnwritten, this.head);
		if (this.head > IN_PROCESS) {
			this.order = this.order.slice(this.head);
			this.times = this.times.slice(this.head);
			this.firstUnwritten -= this.head;
			this.head = 0;
		}
	}

	/** The pairs the stored window must hold for this process: all not written yet, and the recent ones. */
	toKeep(now: number): string[] {
		let recent = this.order.length;
		while (recent > this.head && this.times[recent - 1] >= now - KEEP_RECENT_MS) recent -= 1;
		return this.order.slice(Math.max(this.head, this.order.length - PERSISTED, Math.min(this.firstUnwritten, recent)));
	}

	markWritten(): void {
		this.firstUnwritten = this.order.length;
	}
}

const memories = new Map<string, Memory>();

function storedHas(stored: string, key: string): boolean {
	for (let at = stored.indexOf(key); at !== -1; at = stored.indexOf(key, at + 1)) {
		if (at % DIGEST_LENGTH === 0) return true;
	}
	return false;
}

/** The digests in a stored window. */
function digestsOf(stored: string): Set<string> {
	const digests = new Set<string>();
	for (let at = 0; at + DIGEST_LENGTH <= stored.length; at += DIGEST_LENGTH) digests.add(stored.slice(at, at + DIGEST_LENGTH));
	return digests;
}

/** The stored window with `missing` appended, trimmed to the newest PERSISTED. */
function appended(stored: string, missing: string[]): string {
	const all = stored + missing.join('');
	return all.slice(Math.max(0, all.length - PERSISTED * DIGEST_LENGTH));
}

/**
 * The events not seen before, in order, and remembers them. `trigger` names the workflow and node;
 * `stored` is the node's static data as n8n loaded it for this request. Writes to `stored` only as
 * described above; `now` is for tests.
 */
export function firstSightings(trigger: string, stored: IDataObject, events: StatusEvent[], now = Date.now()): StatusEvent[] {
	let memory = memories.get(trigger);
	if (!memory) {
		memory = new Memory();
		memories.set(trigger, memory);
	}
	const saved = stored[STORED_FIELD];
	// Anything but a string of whole digests (edited by hand, another version's) is started afresh.
	const window = typeof saved === 'string' && saved.length % DIGEST_LENGTH === 0 ? saved : '';
	const legacy = Array.isArray(stored[LEGACY_FIELD]) ? new Set(stored[LEGACY_FIELD] as string[]) : undefined;
	const fresh = events.filter((event) => {
		const key = digest(event);
		if (memory.has(key) || storedHas(window, key) || legacy?.has(`${event.messageId}|${event.status}`)) return false;
		memory.add(key, now);
		return true;
	});
	if (now - memory.lastLook >= SAVE_EVERY_MS) {
		memory.lastLook = now;
		const present = digestsOf(window);
		const missing = memory.toKeep(now).filter((key) => !present.has(key));
		if (missing.length > 0 || legacy) {
			stored[STORED_FIELD] = appended(window, missing);
			if (legacy) delete stored[LEGACY_FIELD];
		}
		memory.markWritten();
	}
	return fresh;
}
