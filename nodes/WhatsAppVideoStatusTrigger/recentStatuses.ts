/**
 * Providers deliver a webhook again when they think it failed, so the same status can arrive twice,
 * often while the first delivery is still being handled. The trigger remembers the most recent
 * (message, status) pairs twice over: in this process, checked and updated in one synchronous step
 * so concurrent deliveries cannot both pass; and in the workflow's static data, which n8n stores
 * with the workflow, for a repeat that reaches another process or comes after a restart.
 */
import type { IDataObject } from 'n8n-workflow';

import type { StatusEvent } from '../SendWhatsAppVideo/providers/types';

/** Enough for the statuses of a few thousand messages, small enough for the workflow's record. */
const REMEMBERED = 2000;

/** Per workflow and trigger node, in this process. */
const seenInProcess = new Map<string, string[]>();

function remember(list: string[], key: string): void {
	list.push(key);
	if (list.length > REMEMBERED) list.splice(0, list.length - REMEMBERED);
}

/** The events not seen before, in order; remembers them. `trigger` names the workflow and node. */
export function firstSightings(trigger: string, stored: IDataObject, events: StatusEvent[]): StatusEvent[] {
	const inProcess = seenInProcess.get(trigger) ?? [];
	seenInProcess.set(trigger, inProcess);
	const persisted = Array.isArray(stored.recentStatuses) ? (stored.recentStatuses as string[]) : [];
	const known = new Set([...persisted, ...inProcess]);
	const fresh = events.filter((event) => {
		const key = `${event.messageId}|${event.status}`;
		if (known.has(key)) return false;
		known.add(key);
		remember(inProcess, key);
		remember(persisted, key);
		return true;
	});
	stored.recentStatuses = persisted;
	return fresh;
}
