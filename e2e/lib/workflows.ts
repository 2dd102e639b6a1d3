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
	whatsappCloud: { id: 'e2eMetaCloudApi1', name: 'Meta WhatsApp Cloud API (emulator)' },
} as const;

/** The credentials as `n8n import:credentials` reads them, each with its base URL on the emulator. */
export function credentialsFile(lancepilotBaseUrl: string, dialog360BaseUrl: string, metaBaseUrl: string): unknown[] {
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
		{
			...CREDENTIALS.whatsappCloud,
			type: 'whatsAppCloudApi',
			data: {
				accessToken: D.metaAccessToken,
				phoneNumberId: D.metaPhoneNumberId,
				businessAccountId: D.metaBusinessAccountId,
				// Signs the status webhooks the emulator sends to the status trigger.
				appSecret: D.metaAppSecret,
				graphApiVersion: D.metaGraphApiVersion,
				baseUrl: metaBaseUrl,
			},
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

export const TRIGGER = 'When clicking Execute workflow';
export const SEND = 'Send WhatsApp Video';

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

/**
 * Manual Trigger -> each branch in a line (the branches start side by side at the trigger). Where a
 * branch names a node already placed (by name), it continues from there instead of adding it again.
 */
export function graph(id: string, name: string, branches: WorkflowNode[][]): Workflow {
	const trigger: WorkflowNode = { id: nodeId(), name: TRIGGER, type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };
	const byName = new Map<string, WorkflowNode>([[trigger.name, trigger]]);
	const connections: Workflow['connections'] = {};
	branches.forEach((branch, row) => {
		let previous = trigger;
		branch.forEach((node, column) => {
			if (!byName.has(node.name)) {
				node.position = [(column + 1) * 220, row * 200];
				byName.set(node.name, node);
			}
			const targets = (connections[previous.name] ??= { main: [[]] }).main[0];
			if (!targets.some((t) => t.node === node.name)) targets.push({ node: node.name, type: 'main', index: 0 });
			previous = byName.get(node.name) as WorkflowNode;
		});
	});
	return { id, name, nodes: [...byName.values()], connections, active: false, settings: { executionOrder: 'v1' }, pinData: {} };
}

function readFile(path: string, name = 'Read Video File'): WorkflowNode {
	return {
		id: nodeId(),
		name,
		type: 'n8n-nodes-base.readWriteFile',
		typeVersion: 1,
		position: [0, 0],
		parameters: { operation: 'read', fileSelector: path, options: {} },
	};
}

function code(name: string, jsCode: string): WorkflowNode {
	return { id: nodeId(), name, type: 'n8n-nodes-base.code', typeVersion: 2, position: [0, 0], parameters: { jsCode } };
}

export function send(
	parameters: Record<string, unknown>,
	credential: { key: 'lancepilotApi' | 'dialog360Api' | 'whatsAppCloudApi'; id: string; name: string },
	extra: Partial<WorkflowNode> = {},
): WorkflowNode {
	return {
		id: nodeId(),
		name: SEND,
		type: NODE_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: { options: {}, ...parameters },
		credentials: { [credential.key]: { id: credential.id, name: credential.name } },
		...extra,
	};
}

export const lancepilot = { key: 'lancepilotApi' as const, ...CREDENTIALS.lancepilot };
const lancepilotWrong = { key: 'lancepilotApi' as const, ...CREDENTIALS.lancepilotWrongToken };
export const dialog360 = { key: 'dialog360Api' as const, ...CREDENTIALS.dialog360 };
const whatsappCloud = { key: 'whatsAppCloudApi' as const, ...CREDENTIALS.whatsappCloud };

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

/** A Code node's `return [...]` of these JSON objects, one item each. */
function itemsCode(comment: string, list: Array<Record<string, unknown>>): string {
	return [`// ${comment}`, 'return [', ...list.map((json) => `  { json: ${JSON.stringify(json)} },`), '];'].join('\n');
}

/** The files the workflows read from disk or fetch from the media host (test/fixtures/videos). */
export const VIDEOS = {
	faststart: 'baseline-aac-faststart.mp4',
	main: 'main-no-bframes.mp4',
	bFrames: 'high-bframes.mp4',
	moovAtEnd: 'moov-at-end.mp4',
} as const;

/**
 * Download and Upload: the first video comes through two redirects, the second has its moov box
 * at the end (the node moves it to the front before uploading).
 */
export const UPLOAD_ITEMS = [
	{ name: 'Ada', phone: '+49 151 23456789', digits: '4915123456789', path: `/redirect/2/${VIDEOS.main}`, file: VIDEOS.main },
	{ name: 'Grace', phone: '+1 (415) 555-0123', digits: '14155550123', path: `/files/${VIDEOS.moovAtEnd}`, file: VIDEOS.moovAtEnd },
];

/** Check Link Before Sending: a plain video link, a server that refuses HEAD, and a web page. */
export const LINK_CHECK_ITEMS = [
	{ name: 'Ada', phone: '+49 151 23456789', digits: '4915123456789', path: `/files/${VIDEOS.faststart}` },
	{ name: 'Grace', phone: '+1 (415) 555-0123', digits: '14155550123', path: `/no-head/${VIDEOS.main}` },
	{ name: 'Linus', phone: '0046 70 123 45 67', digits: '46701234567', path: '/page' },
];

/** Concurrency 3 over six recipients, each replying to its own message with its own callback data. */
export const CONCURRENCY = 3;
export const CONCURRENT_ITEMS = Array.from({ length: 6 }, (_, i) => ({
	name: `Customer ${i + 1}`,
	phone: `+49 151 0000 00${String(i + 1).padStart(2, '0')}`,
	digits: `49151000000${String(i + 1).padStart(2, '0')}`,
	replyTo: `wamid.E2E-REPLY-${i + 1}`,
	order: `order-${1000 + i + 1}`,
}));

/** The node names of the binary options workflow. */
export const BINARY_OPTION_NODES = {
	strict: 'Send (Video Check strict)',
	off: 'Send (Video Check off, File Name)',
	faststart: 'Send (Fix Faststart)',
} as const;

/**
 * The BSUID workflow's recipients: a username's business-scoped user ID, a parent (ENT) one, and a
 * phone number. `sentAs` is how the Messages API addresses each (`recipient` for a BSUID, `to` for
 * digits); `lancepilot` is false where Lancepilot must refuse the item without sending.
 */
export const BSUID_ITEMS = [
	{ name: 'Username user', recipient: D.contactBsuid, sentAs: { recipient: D.contactBsuid }, output: D.contactBsuid, lancepilot: false },
	{ name: 'Parent account', recipient: D.contactParentBsuid, sentAs: { recipient: D.contactParentBsuid }, output: D.contactParentBsuid, lancepilot: false },
	{ name: 'Ada', recipient: '+49 151 23456789', sentAs: { to: '4915123456789' }, output: '4915123456789', lancepilot: true },
];

/** The node names of the BSUID workflow: one Code node feeding the same items to each provider. */
export const BSUID_NODES = {
	whatsappCloud: 'Send (Meta, BSUIDs)',
	dialog360: 'Send (360dialog, BSUIDs)',
	lancepilot: 'Send (Lancepilot, BSUIDs, Continue On Fail)',
} as const;

/**
 * Manual Trigger -> Code (BSUID_ITEMS) -> three Send WhatsApp Video nodes side by side, each sending
 * the same three items by URL: Meta, 360dialog, and Lancepilot under On Error: Continue.
 */
function bsuidWorkflow(): Workflow {
	const recipients = code(
		'Recipients',
		itemsCode(
			'A username (BSUID), a parent account (parent BSUID), a phone number.',
			BSUID_ITEMS.map((r) => ({ name: r.name, recipient: r.recipient })),
		),
	);
	const byUrl = { recipient: '={{ $json.recipient }}', source: 'url', videoUrl: VIDEO_URL, caption: '=For {{ $json.name }}' };
	return graph('e2eBsuidRecips01', 'E2E BSUID recipients: Meta and 360dialog send to them, Lancepilot refuses them', [
		[recipients, send({ provider: 'whatsappCloud', ...byUrl }, whatsappCloud, { name: BSUID_NODES.whatsappCloud })],
		[recipients, send({ provider: 'dialog360', ...byUrl }, dialog360, { name: BSUID_NODES.dialog360 })],
		[
			recipients,
			send({ provider: 'lancepilot', workspaceId: D.workspaceId, contactBy: 'number', ...byUrl }, lancepilot, {
				name: BSUID_NODES.lancepilot,
				onError: 'continueRegularOutput',
			}),
		],
	]);
}

/** The template campaign's customers: each gets spring_promo with their name and coupon. */
export const CUSTOMERS = [
	{ name: 'Ada', phone: '+49 151 23456789', digits: '4915123456789', coupon: 'SPRING-ADA' },
	{ name: 'Grace', phone: '+1 (415) 555-0123', digits: '14155550123', coupon: 'SPRING-GRACE' },
	{ name: 'Linus', phone: '0046 70 123 45 67', digits: '46701234567', coupon: 'SPRING-LINUS' },
];

/** The header video of the URL branches (Lancepilot and 360dialog pass the link on; nothing fetches it here). */
export const PROMO_VIDEO_URL = 'https://cdn.example.com/spring.mp4';

/** spring_promo as the emulator's registry holds it (test/emulator/templates.ts). */
export const SPRING_PROMO = {
	name: 'spring_promo',
	language: 'en_US',
	lancepilotId: 41,
	/** What the editor shows for it in the Template list, and saves as `cachedResultName`. */
	listed: 'spring_promo (en_US): Hi {{1}}, our spring sale gives you {{2}} off.',
	/** The fixed second body parameter. */
	discount: '20%',
} as const;

/** The pending template the refusal workflow asks Lancepilot for (its id in the emulator's registry). */
export const AUTUMN_TEASER = { name: 'autumn_teaser', language: 'en_US', lancepilotId: 46 } as const;

export const SCHEDULE_TRIGGER = 'Every Monday at 09:00';

/** The node names of the template campaign workflow. */
export const TEMPLATE_NODES = {
	readVideo: 'Read Promo Video',
	whatsappCloud: 'Send (Meta, template, video from disk)',
	lancepilot: 'Send (Lancepilot, template, video URL)',
	dialog360: 'Send (360dialog, template, video URL)',
} as const;

/** The node names of the workflow whose templates the node refuses before sending. */
export const REFUSED_TEMPLATE_NODES = {
	whatsappCloud: 'Send (Meta, one body parameter short)',
	lancepilot: 'Send (Lancepilot, pending template)',
} as const;

/**
 * The Template parameter as the editor saves a pick from "From List": the value, the mode and the
 * list entry's name (n8n shows it until the list is opened again).
 */
function templateFromList(value: string): Record<string, unknown> {
	return { __rl: true, value, mode: 'list', cachedResultName: SPRING_PROMO.listed };
}

/** Schedule Trigger, every week on Monday at 09:00 (n8n 2.8 and 2.41 both have version 1.2). */
function scheduleTrigger(): WorkflowNode {
	return {
		id: nodeId(),
		name: SCHEDULE_TRIGGER,
		type: 'n8n-nodes-base.scheduleTrigger',
		typeVersion: 1.2,
		position: [0, 0],
		parameters: { rule: { interval: [{ field: 'weeks', triggerAtDay: [1], triggerAtHour: 9 }] } },
	};
}

/**
 * A scheduled campaign: a Schedule Trigger and a Manual Trigger (for trying it out in the editor),
 * both feeding the first node. `n8n execute` refuses a workflow without a Manual Trigger ("Missing
 * node to start execution"), then starts at the first trigger in the node list: the Schedule
 * Trigger, listed first here. Outside the editor's manual mode n8n runs no trigger's own code, so it
 * passes one empty item on, as the Manual Trigger would.
 */
function scheduled(id: string, name: string, branches: WorkflowNode[][]): Workflow {
	const workflow = graph(id, name, branches);
	const schedule = scheduleTrigger();
	schedule.position = [0, -200];
	workflow.nodes.unshift(schedule);
	workflow.connections[schedule.name] = { main: [[{ node: branches[0][0].name, type: 'main', index: 0 }]] };
	return workflow;
}

function customersCode(): WorkflowNode {
	return code(
		'Customers',
		itemsCode(
			'This week\'s customers: one item each, with the coupon their button links to.',
			CUSTOMERS.map((c) => ({ name: c.name, phone: c.phone, coupon: c.coupon })),
		),
	);
}

/**
 * Schedule Trigger + Manual Trigger -> Code (CUSTOMERS) -> spring_promo by template, three ways:
 * Meta with the header video read from disk (Read/Write Files from Disk replaces the item's JSON, so
 * that branch takes the customer's fields from the Code node by paired item), Lancepilot and
 * 360dialog with the header video by URL. The send nodes are version 2, as the editor adds them now
 * (Lancepilot's Workspace ID a pick from its list); the refusal workflow keeps version 1.
 */
function templateCampaignWorkflow(videoPath: string): Workflow {
	const customers = customersCode();
	const parameters = (from: string) => ({
		messageType: 'template',
		recipient: `={{ ${from}.phone }}`,
		bodyParameters: { parameter: [{ text: `={{ ${from}.name }}` }, { text: SPRING_PROMO.discount }] },
		buttonParameter: `={{ ${from}.coupon }}`,
	});
	const cloudApiTemplate = templateFromList(`${SPRING_PROMO.name}|${SPRING_PROMO.language}`);
	return scheduled('e2eTemplateCamp1', 'E2E weekly template campaign: spring_promo with a video header on Meta, Lancepilot and 360dialog', [
		[
			customers,
			readFile(videoPath, TEMPLATE_NODES.readVideo),
			send(
				{
					provider: 'whatsappCloud',
					...parameters("$('Customers').item.json"),
					template: cloudApiTemplate,
					source: 'binary',
					binaryPropertyName: 'data',
				},
				whatsappCloud,
				{ name: TEMPLATE_NODES.whatsappCloud, typeVersion: 2 },
			),
		],
		[
			customers,
			send(
				{
					provider: 'lancepilot',
					workspaceId: { __rl: true, value: D.workspaceId, mode: 'list', cachedResultName: D.workspaceName },
					contactBy: 'number',
					...parameters('$json'),
					template: templateFromList(String(SPRING_PROMO.lancepilotId)),
					source: 'url',
					videoUrl: PROMO_VIDEO_URL,
				},
				lancepilot,
				{ name: TEMPLATE_NODES.lancepilot, typeVersion: 2 },
			),
		],
		[
			customers,
			send(
				{ provider: 'dialog360', ...parameters('$json'), template: cloudApiTemplate, source: 'url', videoUrl: PROMO_VIDEO_URL },
				dialog360,
				{ name: TEMPLATE_NODES.dialog360, typeVersion: 2 },
			),
		],
	]);
}

/**
 * Templates the node refuses before anything is sent, under On Error: Continue: Meta's spring_promo
 * with one body parameter where its text has two (the video read from disk must not be uploaded),
 * and Lancepilot's pending autumn_teaser by ID.
 */
function refusedTemplatesWorkflow(videoPath: string): Workflow {
	const customers = customersCode();
	return graph('e2eTemplateRefus', 'E2E templates refused before sending: a missing body parameter, a pending template', [
		[
			customers,
			readFile(videoPath, 'Read Promo Video'),
			send(
				{
					provider: 'whatsappCloud',
					messageType: 'template',
					recipient: "={{ $('Customers').item.json.phone }}",
					template: templateFromList(`${SPRING_PROMO.name}|${SPRING_PROMO.language}`),
					bodyParameters: { parameter: [{ text: "={{ $('Customers').item.json.name }}" }] },
					buttonParameter: "={{ $('Customers').item.json.coupon }}",
					source: 'binary',
					binaryPropertyName: 'data',
				},
				whatsappCloud,
				{ name: REFUSED_TEMPLATE_NODES.whatsappCloud, onError: 'continueRegularOutput' },
			),
		],
		[
			customers,
			send(
				{
					provider: 'lancepilot',
					workspaceId: D.workspaceId,
					contactBy: 'number',
					messageType: 'template',
					recipient: '={{ $json.phone }}',
					template: { __rl: true, value: String(AUTUMN_TEASER.lancepilotId), mode: 'id' },
					bodyParameters: { parameter: [{ text: '={{ $json.name }}' }] },
					source: 'url',
					videoUrl: PROMO_VIDEO_URL,
				},
				lancepilot,
				{ name: REFUSED_TEMPLATE_NODES.lancepilot, onError: 'continueRegularOutput' },
			),
		],
	]);
}

export interface Workflows {
	lancepilotBinary: Workflow;
	dialog360Binary: Workflow;
	lancepilotUrlList: Workflow;
	dialog360UrlContinueOnFail: Workflow;
	lancepilotWrongToken: Workflow;
	dialog360RetryOnFail: Workflow;
	dialog360UrlUpload: Workflow;
	linkCheck: Workflow;
	binaryOptions: Workflow;
	dialog360Concurrency: Workflow;
	metaBinary: Workflow;
	bsuidRecipients: Workflow;
	templateCampaign: Workflow;
	templatesRefused: Workflow;
}

/**
 * @param filesDir the folder Read/Write Files from Disk may read (holds the VIDEOS)
 * @param mediaOrigin the media host the URL workflows fetch from, e.g. http://127.0.0.1:PORT
 */
export function buildWorkflows(filesDir: string, mediaOrigin: string): Workflows {
	uuidCounter = 0;
	const videoPath = `${filesDir}/${VIDEOS.faststart}`;
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
		dialog360UrlUpload: chain(
			'e2eD360Upload001',
			'E2E 360dialog URL, Download and Upload',
			[
				code(
					'Video Links',
					itemsCode(
						'One item per recipient, each with the link to its video.',
						UPLOAD_ITEMS.map((r) => ({ name: r.name, phone: r.phone, url: `${mediaOrigin}${r.path}` })),
					),
				),
			],
			send(
				{
					provider: 'dialog360',
					recipient: '={{ $json.phone }}',
					source: 'url',
					videoUrl: '={{ $json.url }}',
					caption: '=Downloaded for {{ $json.name }}',
					options: { urlDelivery: 'upload' },
				},
				dialog360,
			),
		),
		linkCheck: chain(
			'e2eLpLinkCheck01',
			'E2E Lancepilot URL, Check Link Before Sending',
			[
				code(
					'Video Links',
					itemsCode(
						'One item per recipient; the last link is a web page, not a video.',
						LINK_CHECK_ITEMS.map((r) => ({ name: r.name, phone: r.phone, url: `${mediaOrigin}${r.path}` })),
					),
				),
			],
			send(
				{
					provider: 'lancepilot',
					workspaceId: D.workspaceId,
					contactBy: 'number',
					recipient: '={{ $json.phone }}',
					source: 'url',
					videoUrl: '={{ $json.url }}',
					caption: '',
					options: { checkLink: true },
				},
				lancepilot,
				{ onError: 'continueRegularOutput' },
			),
		),
		binaryOptions: graph('e2eBinaryOpts001', 'E2E binary options: Video Check strict and off, File Name, Fix Faststart', [
			[
				readFile(`${filesDir}/${VIDEOS.bFrames}`, 'Read B-frames Video'),
				send(
					{ provider: 'dialog360', recipient: '+49 151 23456789', source: 'binary', binaryPropertyName: 'data', caption: '', options: { videoCheck: 'strict' } },
					dialog360,
					{ name: BINARY_OPTION_NODES.strict, onError: 'continueRegularOutput' },
				),
			],
			[
				readFile(`${filesDir}/${VIDEOS.bFrames}`, 'Read B-frames Video'),
				send(
					{
						provider: 'lancepilot',
						workspaceId: D.workspaceId,
						contactBy: 'number',
						recipient: '+1 (415) 555-0123',
						source: 'binary',
						binaryPropertyName: 'data',
						caption: 'Sent without looking inside',
						options: { videoCheck: 'off', fileName: 'promo.mp4' },
					},
					lancepilot,
					{ name: BINARY_OPTION_NODES.off },
				),
			],
			[
				readFile(`${filesDir}/${VIDEOS.moovAtEnd}`, 'Read moov-at-end Video'),
				send(
					{ provider: 'dialog360', recipient: '0046 70 123 45 67', source: 'binary', binaryPropertyName: 'data', caption: 'Plays while it loads' },
					dialog360,
					{ name: BINARY_OPTION_NODES.faststart },
				),
			],
		]),
		dialog360Concurrency: chain(
			'e2eD360Concur001',
			'E2E 360dialog Concurrency 3, reply context and callback data',
			[code('Replies', itemsCode('One reply per customer message.', CONCURRENT_ITEMS.map((r) => ({ name: r.name, phone: r.phone, replyTo: r.replyTo, order: r.order }))))],
			send(
				{
					provider: 'dialog360',
					recipient: '={{ $json.phone }}',
					source: 'url',
					videoUrl: VIDEO_URL,
					caption: '=For {{ $json.name }}',
					options: { concurrency: CONCURRENCY, replyToMessageId: '={{ $json.replyTo }}', callbackData: '={{ $json.order }}' },
				},
				dialog360,
			),
		),
		metaBinary: chain(
			'e2eMetaBinary001',
			'E2E Meta WhatsApp Cloud API binary from disk',
			[readFile(videoPath)],
			send(
				{
					provider: 'whatsappCloud',
					recipient: '+49 151 23456789',
					source: 'binary',
					binaryPropertyName: 'data',
					caption: 'Straight from Meta',
					options: { callbackData: 'order-43' },
				},
				whatsappCloud,
			),
		),
		bsuidRecipients: bsuidWorkflow(),
		templateCampaign: templateCampaignWorkflow(videoPath),
		templatesRefused: refusedTemplatesWorkflow(videoPath),
	};
}
