/**
 * The Send Once part's workflows (e2e/sendOnce.ts): a summer campaign that sends one video link to
 * ten customers through 360dialog with Options → Send Once on. n8n keeps Send Once's keys per
 * workflow id and node id, so every variant of a workflow here is the same workflow (same ids) as
 * the user would have it after editing and saving it: only the parameters they changed differ.
 */
import type { INode } from 'n8n-workflow';

import { dialog360, send, TRIGGER, type Workflow } from './workflows';

export const CUSTOMERS_NODE = 'Customers';
export const WEBHOOK_NODE = 'Campaign Webhook';

export const CAMPAIGN_VIDEO_URL = 'https://cdn.example.com/summer-2026.mp4';

export interface Customer {
	name: string;
	phone: string;
	digits: string;
}

/** Ten customers; the fifth (Alan, index 4) is the one the provider refuses. */
export const CUSTOMERS: Customer[] = ['Ada', 'Grace', 'Linus', 'Margaret', 'Alan', 'Barbara', 'Edsger', 'Frances', 'Ken', 'Dennis'].map((name, index) => {
	const n = String(index + 1).padStart(2, '0');
	return { name, phone: `+49 151 2000 00${n}`, digits: `49151200000${n}` };
});

export const REFUSED = 4;

/** Alan's number as first typed, two digits swapped: a number outside the account's allowed list. */
export const TYPO = { phone: '+49 151 2000 0050', digits: '4915120000050' };

/** The Send Once Key of the keyed variant, and what it evaluates to for a customer. */
export const CAMPAIGN_KEY = '={{ $json.phone }}-summer-2026';
export const campaignKeyOf = (customer: Customer): string => `${customer.phone}-summer-2026`;

/** The two workflows: one run with `n8n execute`, one started by its webhook in `n8n start`. */
export const SEND_ONCE_WORKFLOWS = {
	cli: { id: 'e2eSendOnceCli01', name: 'E2E Send Once: summer campaign, run again after a refusal' },
	webhook: { id: 'e2eSendOnceHook1', name: 'E2E Send Once: summer campaign started by a webhook, retried', path: 'e2e-send-once-summer' },
} as const;

/** Fixed node ids: a re-import must keep them, or Send Once would see a new node with no keys. */
const NODE_IDS = {
	cli: { trigger: '50ce0000-0000-4000-8000-000000000001', customers: '50ce0000-0000-4000-8000-000000000002', send: '50ce0000-0000-4000-8000-000000000003' },
	webhook: { trigger: '50ce0000-0000-4000-8000-000000000011', customers: '50ce0000-0000-4000-8000-000000000012', send: '50ce0000-0000-4000-8000-000000000013' },
} as const;

export interface CampaignVariant {
	/** Alan's number as first typed (refused), or corrected. */
	typo: boolean;
	sendOnce: boolean;
	/** The Send Once Key option; absent: the automatic key. */
	sendOnceKey?: string;
}

function customersNode(id: string, typo: boolean): INode {
	const list = CUSTOMERS.map((c, index) => ({ name: c.name, phone: typo && index === REFUSED ? TYPO.phone : c.phone }));
	const jsCode = ["// This summer's customers: one item each.", 'return [', ...list.map((json) => `  { json: ${JSON.stringify(json)} },`), '];'].join('\n');
	return { id, name: CUSTOMERS_NODE, type: 'n8n-nodes-base.code', typeVersion: 2, position: [220, 0], parameters: { jsCode } };
}

function campaignSend(id: string, variant: CampaignVariant): INode {
	const options = { sendOnce: variant.sendOnce, ...(variant.sendOnceKey === undefined ? {} : { sendOnceKey: variant.sendOnceKey }) };
	return send(
		{ provider: 'dialog360', recipient: '={{ $json.phone }}', source: 'url', videoUrl: CAMPAIGN_VIDEO_URL, caption: '=Hi {{ $json.name }}, summer is here!', options },
		dialog360,
		{ id, position: [440, 0] },
	);
}

const link = (to: string) => ({ main: [[{ node: to, type: 'main', index: 0 }]] });

function campaign(id: string, name: string, trigger: INode, customers: INode, sendNode: INode): Workflow {
	return {
		id,
		name,
		nodes: [trigger, customers, sendNode],
		connections: { [trigger.name]: link(customers.name), [customers.name]: link(sendNode.name) },
		active: false,
		settings: { executionOrder: 'v1' },
		pinData: {},
	};
}

/** Manual Trigger → Customers (Code) → Send WhatsApp Video (360dialog, link, caption), as the variant has it. */
export function cliCampaign(variant: CampaignVariant): Workflow {
	const ids = NODE_IDS.cli;
	const trigger: INode = { id: ids.trigger, name: TRIGGER, type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };
	return campaign(SEND_ONCE_WORKFLOWS.cli.id, SEND_ONCE_WORKFLOWS.cli.name, trigger, customersNode(ids.customers, variant.typo), campaignSend(ids.send, variant));
}

/**
 * Webhook (POST, answers when the run is over) → Customers → Send WhatsApp Video with Send Once:
 * a production execution n8n saves, which the executions list can retry.
 */
export function webhookCampaign(): Workflow {
	const ids = NODE_IDS.webhook;
	const trigger: INode = {
		id: ids.trigger,
		name: WEBHOOK_NODE,
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		position: [0, 0],
		webhookId: ids.trigger,
		parameters: { httpMethod: 'POST', path: SEND_ONCE_WORKFLOWS.webhook.path, responseMode: 'lastNode', options: {} },
	};
	return campaign(
		SEND_ONCE_WORKFLOWS.webhook.id,
		SEND_ONCE_WORKFLOWS.webhook.name,
		trigger,
		customersNode(ids.customers, false),
		campaignSend(ids.send, { typo: false, sendOnce: true }),
	);
}
