/**
 * The workflows of the status trigger's end-to-end test in `n8n start`: one trigger workflow per
 * provider, a send workflow that sends the videos whose statuses they report, and the README's
 * example pair (examples/campaign-with-status-*.json) as n8n imports them here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { INode, INodeCredentials } from 'n8n-workflow';

import { ROOT } from './n8n';
import { CREDENTIALS, NODE_TYPE, type Workflow } from './workflows';

export const TRIGGER_TYPE = 'CUSTOM.whatsAppVideoStatusTrigger';

/** n8n's WEBHOOK_URL in these tests: no port, as 360dialog requires (the emulator forwards it to n8n). */
export const PUBLIC_ORIGIN = 'http://n8n.test';

export const STATUS_TRIGGER_NODE = 'WhatsApp Video Status Trigger';
export const RECEIVED_NODE = 'Status Received';

/** The two trigger workflows; `webhookId` makes each production URL `${PUBLIC_ORIGIN}/webhook/<webhookId>/status`. */
export const STATUS_TRIGGERS = {
	dialog360: { id: 'e2eStatusTrig360', name: 'E2E status trigger (360dialog)', webhookId: '7d1a3c52-0b1e-4c55-9d0f-5a0e4f2b9c01' },
	whatsappCloud: {
		id: 'e2eStatusTrigMeta',
		name: 'E2E status trigger (Meta)',
		webhookId: '7d1a3c52-0b1e-4c55-9d0f-5a0e4f2b9c02',
		verifyToken: 'e2e-verify-token-4711',
	},
} as const;

export type StatusProvider = keyof typeof STATUS_TRIGGERS;

export const productionUrl = (webhookId: string, origin = PUBLIC_ORIGIN): string => `${origin}/webhook/${webhookId}/status`;

/** The send workflow's recipients and what WhatsApp does with each message (the emulator's outcome). */
export const STATUS_RECIPIENTS = [
	{ name: 'Ada', phone: '+49 151 23456789', digits: '4915123456789', order: 'order-501', outcome: 'read' as const, statuses: ['sent', 'delivered', 'read'] },
	{ name: 'Grace', phone: '+1 (415) 555-0123', digits: '14155550123', order: 'order-502', outcome: 'delivered' as const, statuses: ['sent', 'delivered'] },
	{ name: 'Linus', phone: '0046 70 123 45 67', digits: '46701234567', order: 'order-503', outcome: { failWith: 131047 }, statuses: ['sent', 'failed'] },
];

export const STATUS_SEND = {
	id: 'e2eStatusSend001',
	nodes: { dialog360: 'Send (360dialog)', whatsappCloud: 'Send (Meta)' } as Record<StatusProvider, string>,
};

export const STATUS_VIDEO_URL = 'https://cdn.example.com/status-e2e.mp4';

let counter = 0;
function nodeId(): string {
	counter += 1;
	return `5e000000-0000-4000-8000-${String(counter).padStart(12, '0')}`;
}

function node(name: string, type: string, typeVersion: number, position: [number, number], parameters: INode['parameters'], extra: Partial<INode> = {}): INode {
	return { id: nodeId(), name, type, typeVersion, position, parameters, ...extra };
}

const link = (to: string) => ({ main: [[{ node: to, type: 'main', index: 0 }]] });

const credentialOf = (provider: StatusProvider): INodeCredentials =>
	provider === 'dialog360'
		? { dialog360Api: { id: CREDENTIALS.dialog360.id, name: CREDENTIALS.dialog360.name } }
		: { whatsAppCloudApi: { id: CREDENTIALS.whatsappCloud.id, name: CREDENTIALS.whatsappCloud.name } };

/** WhatsApp Video Status Trigger (all statuses) -> No Operation: nothing but the executions to read. */
function triggerWorkflow(provider: StatusProvider): Workflow {
	const trigger = STATUS_TRIGGERS[provider];
	const parameters = provider === 'whatsappCloud' ? { provider, verifyToken: STATUS_TRIGGERS.whatsappCloud.verifyToken } : { provider };
	return {
		id: trigger.id,
		name: trigger.name,
		nodes: [
			node(STATUS_TRIGGER_NODE, TRIGGER_TYPE, 1, [0, 0], parameters, { webhookId: trigger.webhookId, credentials: credentialOf(provider) }),
			node(RECEIVED_NODE, 'n8n-nodes-base.noOp', 1, [220, 0], {}),
		],
		connections: { [STATUS_TRIGGER_NODE]: link(RECEIVED_NODE) },
		active: false,
		settings: { executionOrder: 'v1' },
		pinData: {},
	};
}

/** Manual Trigger -> Code (STATUS_RECIPIENTS) -> Send WhatsApp Video by URL via 360dialog and via Meta, side by side. */
function sendWorkflow(): Workflow {
	const items = STATUS_RECIPIENTS.map((r) => `  { json: ${JSON.stringify({ name: r.name, phone: r.phone, order: r.order })} },`);
	const recipients = node('Recipients', 'n8n-nodes-base.code', 2, [220, 0], { jsCode: ['return [', ...items, '];'].join('\n') });
	const sendVia = (provider: StatusProvider, y: number) =>
		node(
			STATUS_SEND.nodes[provider],
			NODE_TYPE,
			1,
			[440, y],
			{
				provider,
				recipient: '={{ $json.phone }}',
				source: 'url',
				videoUrl: STATUS_VIDEO_URL,
				caption: '=For {{ $json.name }}',
				options: { callbackData: '={{ $json.order }}' },
			},
			{ credentials: credentialOf(provider) },
		);
	const trigger = node('When clicking Execute workflow', 'n8n-nodes-base.manualTrigger', 1, [0, 0], {});
	return {
		id: STATUS_SEND.id,
		name: 'E2E send videos whose statuses the triggers report',
		nodes: [trigger, recipients, sendVia('dialog360', -100), sendVia('whatsappCloud', 100)],
		connections: {
			[trigger.name]: link(recipients.name),
			[recipients.name]: {
				main: [
					[
						{ node: STATUS_SEND.nodes.dialog360, type: 'main', index: 0 },
						{ node: STATUS_SEND.nodes.whatsappCloud, type: 'main', index: 0 },
					],
				],
			},
		},
		active: false,
		settings: { executionOrder: 'v1' },
		pinData: {},
	};
}

/** The README's example pair. */
export const EXAMPLE_PAIR = {
	send: { file: 'campaign-with-status-1-send.json', id: 'e2eCampaignSend1' },
	track: { file: 'campaign-with-status-2-track.json', id: 'e2eCampaignTrack' },
} as const;

interface ExampleFile {
	name: string;
	nodes: INode[];
	connections: Workflow['connections'];
}

export function loadExample(file: string): ExampleFile {
	return JSON.parse(readFileSync(join(ROOT, 'examples', file), 'utf8')) as ExampleFile;
}

/**
 * An example as it runs here: the package's nodes under n8n's name for a node loaded from the
 * `custom` folder (`CUSTOM.<name>`), the credential pointed at the imported one by id. Nothing else
 * changes: parameters, expressions, webhookId and connections are the file's.
 */
function exampleWorkflow(file: string, id: string): Workflow {
	const example = loadExample(file);
	const nodes = example.nodes.map((original) => {
		const copy = JSON.parse(JSON.stringify(original)) as INode;
		copy.type = copy.type.replace(/^n8n-nodes-whatsapp-video\./, 'CUSTOM.');
		if (copy.credentials?.whatsAppCloudApi) copy.credentials = credentialOf('whatsappCloud');
		return copy;
	});
	return { id, name: example.name, nodes, connections: example.connections, active: false, settings: { executionOrder: 'v1' }, pinData: {} };
}

export interface StatusWorkflows {
	triggers: Record<StatusProvider, Workflow>;
	send: Workflow;
	exampleSend: Workflow;
	exampleTrack: Workflow;
}

export function buildStatusWorkflows(): StatusWorkflows {
	return {
		triggers: { dialog360: triggerWorkflow('dialog360'), whatsappCloud: triggerWorkflow('whatsappCloud') },
		send: sendWorkflow(),
		exampleSend: exampleWorkflow(EXAMPLE_PAIR.send.file, EXAMPLE_PAIR.send.id),
		exampleTrack: exampleWorkflow(EXAMPLE_PAIR.track.file, EXAMPLE_PAIR.track.id),
	};
}

/** The Data Table the example pair reads and writes, with the columns the README asks for. */
export const CAMPAIGN_TABLE = {
	name: 'whatsapp_video_campaign',
	columns: [
		{ name: 'messageId', type: 'string' },
		{ name: 'name', type: 'string' },
		{ name: 'recipient', type: 'string' },
		{ name: 'status', type: 'string' },
		{ name: 'step', type: 'number' },
		{ name: 'hint', type: 'string' },
	],
};

/** The example campaign's customers (the send example's Code node) and what WhatsApp does with each. */
export const CAMPAIGN_OUTCOMES = [
	{ name: 'Ada', digits: '4915123456789', outcome: 'read' as const, status: 'read', step: 3, statuses: 3 },
	{ name: 'Grace', digits: '14155550123', outcome: 'delivered' as const, status: 'delivered', step: 2, statuses: 2 },
	{ name: 'Linus', digits: '46701234567', outcome: { failWith: 131026 }, status: 'failed', step: 4, statuses: 2 },
];
