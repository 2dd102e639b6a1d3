/**
 * Which items go to the same person, so they leave one at a time in input order: a course or a
 * series sent as several items must arrive part 1 first. WhatsApp promises no order between
 * messages in flight together, and a retried part 1 would otherwise follow part 2; sending the next
 * only once the previous was answered is the most a sender can do.
 */
import type { PlannedItem, RunSettings } from './plan';

/** One recipient of one provider account: the same number reached through another account is another chat. */
export function recipientLane(settings: RunSettings, plan: PlannedItem): string {
	return JSON.stringify([settings.provider.name, settings.credentialId, plan.target.account, plan.target.recipient]);
}
