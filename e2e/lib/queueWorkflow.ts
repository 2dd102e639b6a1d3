/**
 * The queue-mode test's workflows, both started by a Webhook that answers once the worker has
 * finished (the caller learns the outcome, and the test knows when each run is over). The node type
 * is the one the README's install gives (`~/.n8n/nodes/node_modules/n8n-nodes-whatsapp-video`), not
 * `CUSTOM.…`.
 *
 * - Videos: two videos as a multipart upload plus a JSON list of recipients, each naming the video
 *   it gets; a Code node makes one item per recipient; each item goes to two Send WhatsApp Video
 *   nodes, 360dialog and Meta, which upload each video once and send it by media ID.
 * - Pacing: a JSON list of recipients; one item each; Meta sends a video link to each with a low
 *   Messages per Second, so the provider's view of several workers sending at once can be measured.
 * - Send Once: a JSON list of recipients; one item each; 360dialog sends a video link to each with
 *   Send Once on (its automatic key), so executions on different workers claim keys in one store.
 */
import type { INode } from 'n8n-workflow';

import { CREDENTIALS, VIDEO_URL, type Workflow } from './workflows';

export const PACKAGE_NODE_TYPE = 'n8n-nodes-whatsapp-video.sendWhatsAppVideo';

export const QUEUE_WORKFLOW_ID = 'e2eQueueVideos01';
export const QUEUE_WEBHOOK_PATH = 'queue-videos';
export const PACING_WORKFLOW_ID = 'e2eQueuePacing01';
export const PACING_WEBHOOK_PATH = 'queue-pacing';
export const SEND_ONCE_WORKFLOW_ID = 'e2eQueueSendOnce';
export const SEND_ONCE_WEBHOOK_PATH = 'queue-send-once';
export { VIDEO_URL as PACING_VIDEO_URL, VIDEO_URL as SEND_ONCE_VIDEO_URL };

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

/** One entry of the JSON body `recipients` of the pacing and Send Once webhooks. */
export interface PacingRecipient {
	phone: string;
	caption: string;
}

const VIDEO_RECIPIENTS_CODE = [
	'// One item per recipient, carrying the uploaded video that recipient gets.',
	'const upload = $input.first();',
	'return JSON.parse(upload.json.body.recipients).map((recipient) => ({',
	'  json: { phone: recipient.phone, caption: recipient.caption },',
	'  binary: { video: upload.binary[recipient.video] },',
	'}));',
].join('\n');

const JSON_RECIPIENTS_CODE = [
	'// One item per recipient.',
	'return $input.first().json.body.recipients.map((recipient) => ({ json: recipient }));',
].join('\n');

let idCounter = 0;
function nodeId(): string {
	idCounter += 1;
	return `e2e0e2e0-0000-4000-8000-${String(idCounter).padStart(12, '0')}`;
}

function webhookNode(path: string, position: [number, number]): INode {
	return {
		id: nodeId(),
		name: QUEUE_NODES.webhook,
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		position,
		webhookId: nodeId(),
		parameters: { httpMethod: 'POST', path, responseMode: 'lastNode', responseData: 'allEntries', options: {} },
	};
}

function codeNode(jsCode: string, position: [number, number]): INode {
	return { id: nodeId(), name: QUEUE_NODES.recipients, type: 'n8n-nodes-base.code', typeVersion: 2, position, parameters: { jsCode } };
}

function sendNode(name: string, provider: 'dialog360' | 'whatsappCloud', position: [number, number], parameters: Record<string, unknown>): INode {
	const credential = provider === 'dialog360' ? { key: 'dialog360Api', ...CREDENTIALS.dialog360 } : { key: 'whatsAppCloudApi', ...CREDENTIALS.whatsappCloud };
	return {
		id: nodeId(),
		name,
		type: PACKAGE_NODE_TYPE,
		typeVersion: 1,
		position,
		parameters: { provider, recipient: '={{ $json.phone }}', caption: '={{ $json.caption }}', options: {}, ...parameters },
		credentials: { [credential.key]: { id: credential.id, name: credential.name } },
	};
}

function workflow(id: string, name: string, nodes: INode[]): Workflow {
	const sends = nodes.filter((node) => node.type === PACKAGE_NODE_TYPE);
	return {
		id,
		name,
		nodes,
		connections: {
			[QUEUE_NODES.webhook]: { main: [[{ node: QUEUE_NODES.recipients, type: 'main', index: 0 }]] },
			[QUEUE_NODES.recipients]: { main: [sends.map((send) => ({ node: send.name, type: 'main', index: 0 }))] },
		},
		active: false,
		settings: { executionOrder: 'v1' },
		pinData: {},
	};
}

export function buildQueueWorkflows(pacingMessagesPerSecond: number): { videos: Workflow; pacing: Workflow; sendOnce: Workflow } {
	idCounter = 0;
	const binary = { source: 'binary', binaryPropertyName: 'video' };
	return {
		videos: workflow(QUEUE_WORKFLOW_ID, 'E2E queue mode: uploaded videos to many recipients', [
			webhookNode(QUEUE_WEBHOOK_PATH, [0, 0]),
			codeNode(VIDEO_RECIPIENTS_CODE, [220, 0]),
			sendNode(QUEUE_NODES.dialog360, 'dialog360', [440, -100], binary),
			sendNode(QUEUE_NODES.whatsappCloud, 'whatsappCloud', [440, 100], binary),
		]),
		pacing: workflow(PACING_WORKFLOW_ID, 'E2E queue mode: Messages per Second in each worker', [
			webhookNode(PACING_WEBHOOK_PATH, [0, 0]),
			codeNode(JSON_RECIPIENTS_CODE, [220, 0]),
			sendNode(QUEUE_NODES.whatsappCloud, 'whatsappCloud', [440, 0], {
				source: 'url',
				videoUrl: VIDEO_URL,
				options: { messagesPerSecond: pacingMessagesPerSecond },
			}),
		]),
		sendOnce: workflow(SEND_ONCE_WORKFLOW_ID, 'E2E queue mode: Send Once across workers', [
			webhookNode(SEND_ONCE_WEBHOOK_PATH, [0, 0]),
			codeNode(JSON_RECIPIENTS_CODE, [220, 0]),
			sendNode(QUEUE_NODES.dialog360, 'dialog360', [440, 0], { source: 'url', videoUrl: VIDEO_URL, options: { urlDelivery: 'link', sendOnce: true } }),
		]),
	};
}
