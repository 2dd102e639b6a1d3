/**
 * Providers deliver a webhook again when they think it failed, so the same status can arrive twice,
 * often while the first delivery is still being handled. The trigger remembers the (message, status)
 * pairs it has let through in two places:
 *
 * - In this process: the last IN_PROCESS pairs, checked and recorded in one synchronous step, so
 *   deliveries handled at the same moment cannot both pass. This is what catches nearly every repeat.
 * - In the workflow's static data, for a repeat that reaches another n8n process or comes after a
 *   restart: the newest PERSISTED pairs as one string of fixed-width digests. n8n loads the static
 *   data with the workflow for every webhook request and saves it after the request when a node
 *   changed it, so its size is a cost of every delivery and each change costs a database write. The
 *   trigger therefore changes it only when pairs it has not written yet exist and it last wrote more
 *   than SAVE_EVERY_MS ago: at most one write a second per process, however many statuses arrive,
 *   and a fixed size however many were ever seen.
 *
 * Limits, on purpose: pairs let through in the last second before a process stops are written with
 * the next delivery that process handles, or not at all if it stops first; a repeat of one of them
 * after a restart, or one that reaches another process before the write, starts a second execution.
 * Two processes writing at the same moment can each drop the other's newest pairs from the stored
 * window (last write wins); each keeps its own in memory.
 */
import { createHash } from 'node:crypto';

import type { IDataObject } from 'n8n-workflow';

import type { StatusEvent } from '../SendWhatsAppVideo/providers/types';

/** Pairs remembered in this process per trigger: a few minutes of a campaign at 240 statuses a second. */
export const IN_PROCESS = 50_000;

/** Pairs kept in the workflow's static data: 5,000 × 12 characters, 60 kB read with every request. */
export const PERSISTED = 5_000;

/** The static data is changed (so n8n writes it) at most this often per process. */
export const SAVE_EVERY_MS = 1_000;

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

	/** Insertion order of `seen`, from `head` on. */
	private order: string[] = [];

	private head = 0;

	/** Pairs let through since this process last wrote the static data. */
	unwritten = 0;

	lastWrite = 0;

	has(key: string): boolean {
		return this.seen.has(key);
	}

	add(key: string): void {
		this.seen.add(key);
		this.order.push(key);
		this.unwritten += 1;
		if (this.order.length - this.head > IN_PROCESS) this.seen.delete(this.order[this.head++]);
		if (this.head > IN_PROCESS) {
			this.order = this.order.slice(this.head);
			this.head = 0;
		}
	}

	/** The newest `count` pairs, oldest first. */
	newest(count: number): string[] {
		return this.order.slice(Math.max(this.head, this.order.length - count));
	}
}

const memories = new Map<string, Memory>();

function storedHas(stored: string, key: string): boolean {
	for (let at = stored.indexOf(key); at !== -1; at = stored.indexOf(key, at + 1)) {
		if (at % DIGEST_LENGTH === 0) return true;
	}
	return false;
}

/**
 * The stored window after a write: this process's newest pairs, topped up with the newest of what
 * was stored (which may hold another process's), PERSISTED at most.
 */
function merged(stored: string, memory: Memory): string {
	const ours = memory.newest(PERSISTED);
	const mine = new Set(ours);
	const theirs: string[] = [];
	for (let at = stored.length - DIGEST_LENGTH; at >= 0 && theirs.length + ours.length < PERSISTED; at -= DIGEST_LENGTH) {
		const key = stored.slice(at, at + DIGEST_LENGTH);
		if (!mine.has(key)) theirs.push(key);
	}
	return theirs.reverse().join('') + ours.join('');
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
	const window = typeof stored[STORED_FIELD] === 'string' ? (stored[STORED_FIELD] as string) : '';
	const legacy = Array.isArray(stored[LEGACY_FIELD]) ? new Set(stored[LEGACY_FIELD] as string[]) : undefined;
	const fresh = events.filter((event) => {
		const key = digest(event);
		if (memory.has(key) || storedHas(window, key) || legacy?.has(`${event.messageId}|${event.status}`)) return false;
		memory.add(key);
		return true;
	});
	if (memory.unwritten > 0 && now - memory.lastWrite >= SAVE_EVERY_MS) {
		stored[STORED_FIELD] = merged(window, memory);
		if (legacy) delete stored[LEGACY_FIELD];
		memory.unwritten = 0;
		memory.lastWrite = now;
	}
	return fresh;
}
