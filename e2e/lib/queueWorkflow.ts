/**
 * The queue-mode test's workflow: a Webhook takes two videos as a multipart upload plus a JSON list
 * of recipients, each naming the video it gets; a Code node makes one item per recipient; each item
 * goes to two Send WhatsApp Video nodes, 360dialog and Meta, which upload each video once and send
 * it by media ID. The node type is the one the README's
 * install gives (`~/.n8n/nodes/node_modules/n8n-nodes-whatsapp-video`), not `CUSTOM.…`.
 */
import type { INode } from 'n8n-workflow';

import { CREDENTIALS, type Workflow } from './workflows';

export const PACKAGE_NODE_TYPE = 'n8n-nodes-whatsapp-video.sendWhatsAppVideo';

export const QUEUE_WORKFLOW_ID = 'e2eQueueVideos01';
export const QUEUE_WEBHOOK_PATH = 'queue-videos';

export const QUEUE_NODES = {
	webhook: 'Videos Uploaded',
	recipients: 'One Item per Recipient',
	dialog360: 'Send (360dialog)',
	whatsappCloud: 'Send (Meta)',
} as const;

/** The multipart fields that carry the two videos (the Webhook names each binary after its field). */
export const VIDEO_FIELDS = ['first', 'second'] as const;

/** One entry of the webhook's `recipients` field (JSON): who gets which of the two videos. */
export interface QueueRecipient {
	phone: string;
	caption: string;
	video: (typeof VIDEO_FIELDS)[number];
}

const RECIPIENTS_CODE = [
	'// One item per recipient, carrying the uploaded video that recipient gets.',
	'const upload = $input.first();',
	'return JSON.parse(upload.json.body.recipients).map((recipient) => ({',
	'  json: { phone: recipient.phone, caption: recipient.caption },',
	'  binary: { video: upload.binary[recipient.video] },',
	'}));',
].join('\n');

function sendNode(name: string, provider: 'dialog360' | 'whatsappCloud', position: [number, number]): INode {
	const credential = provider === 'dialog360' ? { key: 'dialog360Api', ...CREDENTIALS.dialog360 } : { key: 'whatsAppCloudApi', ...CREDENTIALS.whatsappCloud };
	return {
		id: provider === 'dialog360' ? 'e2e00000-0000-4000-8000-000000000360' : 'e2e00000-0000-4000-8000-00000000e7a0',
		name,
		type: PACKAGE_NODE_TYPE,
		typeVersion: 1,
		position,
		parameters: {
			provider,
			recipient: '={{ $json.phone }}',
			source: 'binary',
			binaryPropertyName: 'video',
			caption: '={{ $json.caption }}',
			options: {},
		},
		credentials: { [credential.key]: { id: credential.id, name: credential.name } },
	};
}

export function buildQueueWorkflow(): Workflow {
	const nodes: INode[] = [
		{
			id: 'e2e00000-0000-4000-8000-00000000b00c',
			name: QUEUE_NODES.webhook,
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId: 'e2e0e2e0-0000-4000-8000-00000000f00d',
			// Answers with the last node's items once the worker has finished: the caller learns the
			// outcome, and the test knows when each run is over.
			parameters: { httpMethod: 'POST', path: QUEUE_WEBHOOK_PATH, responseMode: 'lastNode', responseData: 'allEntries', options: {} },
		},
		{
			id: 'e2e00000-0000-4000-8000-00000000c0de',
			name: QUEUE_NODES.recipients,
			type: 'n8n-nodes-base.code',
			typeVersion: 2,
			position: [220, 0],
			parameters: { jsCode: RECIPIENTS_CODE },
		},
		sendNode(QUEUE_NODES.dialog360, 'dialog360', [440, -100]),
		sendNode(QUEUE_NODES.whatsappCloud, 'whatsappCloud', [440, 100]),
	];
	return {
		id: QUEUE_WORKFLOW_ID,
		name: 'E2E queue mode: uploaded videos to many recipients',
		nodes,
		connections: {
			[QUEUE_NODES.webhook]: { main: [[{ node: QUEUE_NODES.recipients, type: 'main', index: 0 }]] },
			[QUEUE_NODES.recipients]: {
				main: [
					[
						{ node: QUEUE_NODES.dialog360, type: 'main', index: 0 },
						{ node: QUEUE_NODES.whatsappCloud, type: 'main', index: 0 },
					],
				],
			},
		},
		active: false,
		settings: { executionOrder: 'v1' },
		pinData: {},
	};
}
