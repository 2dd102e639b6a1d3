/**
 * The WhatsApp Cloud API's webhook body, as 360dialog forwards it and Meta sends it: the statuses
 * of messages sent from the number, read in the order they arrive. Inbound customer messages and
 * every other webhook field are left out.
 */
import type { IDataObject } from 'n8n-workflow';

import type { StatusEvent } from './types';

interface CloudApiStatusError {
	code?: number;
	title?: string;
	message?: string;
	error_data?: { details?: string };
}

interface CloudApiStatus {
	id?: string;
	status?: string;
	timestamp?: string | number;
	/** A phone number's digits; for a username's BSUID, `recipient_user_id` instead or as well. */
	recipient_id?: string;
	recipient_user_id?: string;
	biz_opaque_callback_data?: string;
	conversation?: IDataObject;
	pricing?: IDataObject;
	errors?: CloudApiStatusError[];
}

/** `POST` body of a Cloud API webhook. */
interface CloudApiWebhookBody {
	object?: string;
	entry?: Array<{ id?: string; changes?: Array<{ field?: string; value?: { statuses?: CloudApiStatus[] } }> }>;
}

function isoTime(timestamp: string | number | undefined): string {
	const seconds = Number(timestamp);
	return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000).toISOString() : new Date().toISOString();
}

export function cloudApiStatusEvents(
	body: unknown,
	provider: string,
	hintFor: (code: number) => string | undefined,
): StatusEvent[] {
	const webhook = (body ?? {}) as CloudApiWebhookBody;
	if (webhook.object !== 'whatsapp_business_account' || !Array.isArray(webhook.entry)) return [];
	const events: StatusEvent[] = [];
	for (const entry of webhook.entry) {
		for (const change of Array.isArray(entry?.changes) ? entry.changes : []) {
			if (change?.field !== 'messages' || !Array.isArray(change.value?.statuses)) continue;
			for (const status of change.value.statuses) {
				if (typeof status?.id !== 'string' || typeof status.status !== 'string') continue;
				events.push({
					provider,
					messageId: status.id,
					recipient: status.recipient_id ?? status.recipient_user_id ?? '',
					status: status.status,
					timestamp: isoTime(status.timestamp),
					callbackData: status.biz_opaque_callback_data ?? null,
					errors: (Array.isArray(status.errors) ? status.errors : []).map((error) => {
						const code = typeof error.code === 'number' ? error.code : null;
						return {
							code,
							title: error.title ?? error.message ?? '',
							details: error.error_data?.details ?? error.message ?? '',
							hint: code === null ? null : (hintFor(code) ?? null),
						};
					}),
					pricing: status.pricing ?? null,
					conversation: status.conversation ?? null,
				});
			}
		}
	}
	return events;
}
