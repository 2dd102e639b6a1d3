/**
 * The workflows and credentials the CLI end-to-end test imports into n8n, built from the emulator's
 * URLs and demo values. Node type `CUSTOM.sendWhatsAppVideo`: n8n's name for a node loaded from the
 * user folder's `custom` directory.
 */
import type { INode } from 'n8n-workflow';

import { EMULATOR_DEFAULTS as D } from '../../test/emulator/server';

export const NODE_TYPE = 'CUSTOM.sendWhatsAppVideo';

export const CREDENTIALS = {
	lancepilot: { id: 'e2eLancepilot001', name: 'Lancepilot (emulator)' },
	lancepilotWrongToken: { id: 'e2eLancepilotBad', name: 'Lancepilot (wrong token)' },
	dialog360: { id: 'e2eDialog360Key1', name: '360dialog (emulator)' },
} as const;

export function credentialsFile(lancepilotBaseUrl: string, dialog360BaseUrl: string): unknown[] {
	return [
		{
			...CREDENTIALS.lancepilot,
			type: 'lancepilotApi',
			data: { apiToken: D.lancepilotToken, baseUrl: lancepilotBaseUrl },
		},
		{
			...CREDENTIALS.lancepilotWrongToken,
			type: 'lancepilotApi',
			data: { apiToken: 'lp_wrong_token_for_the_e2e_test', baseUrl: lancepilotBaseUrl },
		},
		{
			...CREDENTIALS.dialog360,
			type: 'dialog360Api',
			data: { apiKey: D.dialog360ApiKey, baseUrl: dialog360BaseUrl },
		},
	];
}

/** A node as n8n's workflow JSON holds it. */
type WorkflowNode = INode;

export interface Workflow {
	id: string;
	name: string;
	nodes: WorkflowNode[];
	connections: Record<string, { main: Array<Array<{ node: string; type: string; index: number }>> }>;
	active: false;
	settings: { executionOrder: 'v1' };
	pinData: Record<string, never>;
}

let uuidCounter = 0;
function nodeId(): string {
	uuidCounter += 1;
	return `00000000-0000-4000-8000-${String(uuidCounter).padStart(12, '0')}`;
}

const TRIGGER = 'When clicking Execute workflow';

/** Manual Trigger -> ...middle -> Send WhatsApp Video, connected in a line. */
function chain(id: string, name: string, middle: WorkflowNode[], send: WorkflowNode): Workflow {
	const nodes: WorkflowNode[] = [
		{ id: nodeId(), name: TRIGGER, type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
		...middle,
		send,
	];
	nodes.forEach((node, index) => (node.position = [index * 220, 0]));
	const connections: Workflow['connections'] = {};
	for (let i = 0; i < nodes.length - 1; i++) {
		connections[nodes[i].name] = { main: [[{ node: nodes[i + 1].name, type: 'main', index: 0 }]] };
	}
	return { id, name, nodes, connections, active: false, settings: { executionOrder: 'v1' }, pinData: {} };
}

function readFile(path: string): WorkflowNode {
	return {
		id: nodeId(),
		name: 'Read Video File',
		type: 'n8n-nodes-base.readWriteFile',
		typeVersion: 1,
		position: [0, 0],
		parameters: { operation: 'read', fileSelector: path, options: {} },
	};
}

function code(name: string, jsCode: string): WorkflowNode {
	return { id: nodeId(), name, type: 'n8n-nodes-base.code', typeVersion: 2, position: [0, 0], parameters: { jsCode } };
}

function send(
	parameters: Record<string, unknown>,
	credential: { key: 'lancepilotApi' | 'dialog360Api'; id: string; name: string },
	extra: Partial<WorkflowNode> = {},
): WorkflowNode {
	return {
		id: nodeId(),
		name: 'Send WhatsApp Video',
		type: NODE_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: { options: {}, ...parameters },
		credentials: { [credential.key]: { id: credential.id, name: credential.name } },
		...extra,
	};
}

const lancepilot = { key: 'lancepilotApi' as const, ...CREDENTIALS.lancepilot };
const lancepilotWrong = { key: 'lancepilotApi' as const, ...CREDENTIALS.lancepilotWrongToken };
const dialog360 = { key: 'dialog360Api' as const, ...CREDENTIALS.dialog360 };

export const RECIPIENTS = [
	{ name: 'Ada', phone: '+49 151 23456789', digits: '4915123456789' },
	{ name: 'Grace', phone: '+1 (415) 555-0123', digits: '14155550123' },
	{ name: 'Linus', phone: '0046 70 123 45 67', digits: '46701234567' },
];

export const VIDEO_URL = 'https://example.com/videos/welcome.mp4';

/** The items of the Continue On Fail workflow: the second one has a phone number that cannot be one. */
export const MIXED_RECIPIENTS = [
	{ name: 'Ada', phone: '+49 151 23456789', digits: '4915123456789' },
	{ name: 'Typo', phone: '12345', digits: null },
	{ name: 'Grace', phone: '+1 (415) 555-0123', digits: '14155550123' },
];

/** The Retry On Fail workflow's items: the first is invalid, which makes n8n run the node again. */
export const BAD_FIRST_RECIPIENTS = [{ name: 'Typo', phone: '12345', digits: null }, ...RECIPIENTS];

function recipientsCode(list: Array<{ name: string; phone: string }>): string {
	const items = list.map((r) => `  { json: { name: ${JSON.stringify(r.name)}, phone: ${JSON.stringify(r.phone)} } },`);
	return ['// One item per recipient.', 'return [', ...items, '];'].join('\n');
}

export interface Workflows {
	lancepilotBinary: Workflow;
	dialog360Binary: Workflow;
	lancepilotUrlList: Workflow;
	dialog360UrlContinueOnFail: Workflow;
	lancepilotWrongToken: Workflow;
	dialog360RetryOnFail: Workflow;
}

export function buildWorkflows(videoPath: string): Workflows {
	uuidCounter = 0;
	return {
		lancepilotBinary: chain(
			'e2eLpBinary00001',
			'E2E Lancepilot binary from disk',
			[readFile(videoPath)],
			send(
				{
					provider: 'lancepilot',
					workspaceId: D.workspaceId,
					contactBy: 'number',
					recipient: '+49 151 23456789',
					source: 'binary',
					binaryPropertyName: 'data',
					caption: 'Your weekly update',
				},
				lancepilot,
			),
		),
		dialog360Binary: chain(
			'e2eD360Binary001',
			'E2E 360dialog binary from disk',
			[readFile(videoPath)],
			send(
				{
					provider: 'dialog360',
					recipient: '+49 151 23456789',
					source: 'binary',
					binaryPropertyName: 'data',
					caption: 'Uploaded, then sent by media ID',
					options: { fileName: 'clip.mp4', callbackData: 'order-42' },
				},
				dialog360,
			),
		),
		lancepilotUrlList: chain(
			'e2eLpUrlList0001',
			'E2E Lancepilot URL to a recipient list',
			[code('Recipients', recipientsCode(RECIPIENTS))],
			send(
				{
					provider: 'lancepilot',
					workspaceId: D.workspaceId,
					contactBy: 'number',
					recipient: '={{ $json.phone }}',
					source: 'url',
					videoUrl: VIDEO_URL,
					caption: '=Hi {{ $json.name }}, here is your welcome video!',
				},
				lancepilot,
			),
		),
		dialog360UrlContinueOnFail: chain(
			'e2eD360Cof000001',
			'E2E 360dialog URL, Continue On Fail',
			[code('Recipients', recipientsCode(MIXED_RECIPIENTS))],
			send(
				{
					provider: 'dialog360',
					recipient: '={{ $json.phone }}',
					source: 'url',
					videoUrl: VIDEO_URL,
					caption: '=For {{ $json.name }}',
				},
				dialog360,
				{ onError: 'continueRegularOutput' },
			),
		),
		lancepilotWrongToken: chain(
			'e2eLpWrongToken1',
			'E2E Lancepilot wrong token stops the workflow',
			[],
			send(
				{
					provider: 'lancepilot',
					workspaceId: D.workspaceId,
					contactBy: 'id',
					contactId: D.contactId,
					source: 'url',
					videoUrl: VIDEO_URL,
					caption: '',
				},
				lancepilotWrong,
			),
		),
		dialog360RetryOnFail: chain(
			'e2eD360Retry0001',
			'E2E 360dialog Retry On Fail re-runs the node',
			[code('Recipients', recipientsCode(BAD_FIRST_RECIPIENTS))],
			send(
				{ provider: 'dialog360', recipient: '={{ $json.phone }}', source: 'url', videoUrl: VIDEO_URL, caption: '' },
				dialog360,
				// n8n runs a node again when its first output item is an error: three tries here.
				{ onError: 'continueRegularOutput', retryOnFail: true, maxTries: 3, waitBetweenTries: 100 },
			),
		),
	};
}
