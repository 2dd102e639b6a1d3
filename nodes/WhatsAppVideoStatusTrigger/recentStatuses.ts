/**
 * Providers deliver a webhook again when they think it failed, so the same status can arrive twice.
 * The trigger remembers the most recent (message, status) pairs in the workflow's static data, which
 * n8n keeps with the workflow (in its database), so a repeat is dropped by whichever process gets it.
 */
import type { IDataObject } from 'n8n-workflow';

import type { StatusEvent } from '../SendWhatsAppVideo/providers/types';

/** Enough for the statuses of a few thousand messages, small enough for the workflow's record. */
const REMEMBERED = 2000;

/** The events not seen before, in order; remembers them. */
export function firstSightings(memory: IDataObject, events: StatusEvent[]): StatusEvent[] {
	const remembered = Array.isArray(memory.recentStatuses) ? (memory.recentStatuses as string[]) : [];
	const known = new Set(remembered);
	const fresh = events.filter((event) => {
		const key = `${event.messageId}|${event.status}`;
		if (known.has(key)) return false;
		known.add(key);
		remembered.push(key);
		return true;
	});
	memory.recentStatuses = remembered.slice(-REMEMBERED);
	return fresh;
}
