/**
 * The example workflows in examples/ are what users import: every Send WhatsApp Video node in them
 * must use parameter names and values the node defines, and its parameters, fed the items the
 * upstream nodes would produce, must send a message through the real engine.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ExecutionLifecycleHooks, WorkflowExecute } from 'n8n-core';
import type {
	IConnections,
	IDataObject,
	IExecuteData,
	IExecuteFunctions,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
	INodeTypes,
	IRun,
	IWorkflowBase,
	NodeParameterValueType,
} from 'n8n-workflow';
import { createRunExecutionData, NodeConnectionTypes, Workflow } from 'n8n-workflow';

import { Dialog360Api } from '../../credentials/Dialog360Api.credentials';
import { LancepilotApi } from '../../credentials/LancepilotApi.credentials';
import { WhatsAppCloudApi } from '../../credentials/WhatsAppCloudApi.credentials';
import { SendWhatsAppVideo } from '../../nodes/SendWhatsAppVideo/SendWhatsAppVideo.node';
import { WhatsAppVideoStatusTrigger } from '../../nodes/WhatsAppVideoStatusTrigger/WhatsAppVideoStatusTrigger.node';
import type { Emulator } from '../emulator/server';
import { EMULATOR_DEFAULTS, EMULATOR_TEMPLATES, startEmulator } from '../emulator/server';
import { TestCredentialsHelper } from '../harness/credentials';
import type { InputItem } from '../harness/engine';
import { additionalDataFor, BINARY_MODES, NODE_TYPE, runWorkflow, useBinaryMode } from '../harness/engine';
import { startMediaHost } from '../harness/mediaServer';
import { emulatorCredentials, fixture } from '../harness/setup';
import { startTriggerServer, TRIGGER_TYPE } from '../harness/triggerServer';

const EXAMPLES_DIR = join(__dirname, '..', '..', 'examples');

/** A node as n8n's workflow JSON holds it. */
type WorkflowNode = INode;

/** Connections by type: `main` between nodes, `ai_languageModel` or `ai_tool` from an AI Agent's sub-nodes. */
interface WorkflowFile {
	name: string;
	nodes: WorkflowNode[];
	connections: Record<string, Record<string, Array<Array<{ node: string; type: string; index: number }>>>>;
}

/** n8n core node types the examples use, with versions that exist in n8n 2.x. */
const KNOWN_CORE_NODES: Record<string, number[]> = {
	'n8n-nodes-base.manualTrigger': [1],
	'n8n-nodes-base.code': [1, 2],
	'n8n-nodes-base.formTrigger': [1, 2, 2.1, 2.2],
	// n8n-nodes-base 2.8 has 1 to 1.3; 2.41 adds 1.4.
	'n8n-nodes-base.scheduleTrigger': [1, 1.1, 1.2, 1.3],
	// Data table: 1 and 1.1 in both n8n 2.8 and 2.41.
	'n8n-nodes-base.dataTable': [1, 1.1],
	// The AI Agent's and OpenAI Chat Model's latest versions, the same in n8n 2.8 and 2.41.
	'@n8n/n8n-nodes-langchain.agent': [3, 3.1],
	'@n8n/n8n-nodes-langchain.lmChatOpenAi': [1, 1.1, 1.2, 1.3],
};

const description = new SendWhatsAppVideo().description;
const properties = description.properties;
const triggerDescription = new WhatsAppVideoStatusTrigger().description;

/** n8n's name for Send WhatsApp Video used as an AI Agent's tool: the node's type with `Tool` appended. */
const TOOL_TYPE = `${NODE_TYPE}Tool`;

/**
 * Send WhatsApp Video as n8n offers it to an AI Agent (n8n's convertNodeToAiTool): the same
 * parameters plus the tool's Description, which starts as the node's description.
 */
const toolDescription: INodeTypeDescription = {
	...description,
	name: `${description.name}Tool`,
	properties: [
		...properties,
		{ displayName: 'Description', name: 'toolDescription', type: 'string', default: description.description, required: true },
	],
};

/** The package's own nodes, by the type name a workflow file gives them. */
const PACKAGE_NODES: Record<string, INodeTypeDescription> = {
	[NODE_TYPE]: description,
	[TOOL_TYPE]: toolDescription,
	[TRIGGER_TYPE]: triggerDescription,
};

function load(file: string): WorkflowFile {
	return JSON.parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as WorkflowFile;
}

function sendNodes(workflow: WorkflowFile): WorkflowNode[] {
	return workflow.nodes.filter((node) => node.type === NODE_TYPE);
}

/** Nodes of this package: Send WhatsApp Video and WhatsApp Video Status Trigger. */
function packageNodes(workflow: WorkflowFile): WorkflowNode[] {
	return workflow.nodes.filter((node) => node.type in PACKAGE_NODES);
}

/** The node's parameter values as n8n sees them: defaults, overridden by what the example sets. */
function effectiveParameters(parameters: INodeParameters, definitions: INodeProperties[] = properties): INodeParameters {
	const values: INodeParameters = {};
	for (const property of definitions) if (!(property.name in values)) values[property.name] = property.default;
	return { ...values, ...parameters };
}

/** One allowed value of a displayOptions rule: a plain value, or a condition such as `{ _cnd: { gte: 2 } }`. */
function matches(allowed: unknown, value: unknown): boolean {
	const condition = (allowed as { _cnd?: Record<string, number> } | null)?._cnd;
	if (!condition) return allowed === value;
	return Object.entries(condition).every(([operator, bound]) =>
		operator === 'gte' ? Number(value) >= bound : operator === 'lte' ? Number(value) <= bound : operator === 'eq' ? value === bound : false,
	);
}

/** n8n's displayOptions rule: every `show` key matches and no `hide` key matches ('/x' = root, '@version' = the node's version). */
function isShown(property: INodeProperties, local: INodeParameters, root: INodeParameters, version: number): boolean {
	const valueOf = (key: string) => (key === '@version' ? version : key.startsWith('/') ? root[key.slice(1)] : local[key]);
	const { show, hide } = property.displayOptions ?? {};
	for (const [key, allowed] of Object.entries(show ?? {})) {
		if (!(allowed as unknown[]).some((entry) => matches(entry, valueOf(key)))) return false;
	}
	for (const [key, hidden] of Object.entries(hide ?? {})) {
		if ((hidden as unknown[]).some((entry) => matches(entry, valueOf(key)))) return false;
	}
	return true;
}

/** A resource locator as the editor saves it: `{ __rl: true, mode, value }`, the mode one of the parameter's. */
function locatorProblems(name: string, definition: INodeProperties, value: unknown): string[] {
	const locator = (value ?? {}) as { __rl?: unknown; mode?: unknown; value?: unknown };
	if (typeof value !== 'object' || locator.__rl !== true) return [`"${name}" is not a resource locator ({ "__rl": true, "mode": …, "value": … })`];
	const modes = (definition.modes ?? []).map((mode) => mode.name);
	if (!modes.includes(String(locator.mode))) return [`"${name}" mode ${JSON.stringify(locator.mode)} is not one of ${modes.join(', ')}`];
	return typeof locator.value === 'string' ? [] : [`"${name}" value ${JSON.stringify(locator.value)} is not text`];
}

/** A fixed collection's groups, and the fields of each entry, must be ones the parameter defines. */
function fixedCollectionProblems(name: string, definition: INodeProperties, value: unknown): string[] {
	const problems: string[] = [];
	const groups = (definition.options ?? []) as Array<{ name: string; values: INodeProperties[] }>;
	for (const [groupName, entries] of Object.entries((value ?? {}) as IDataObject)) {
		const group = groups.find((candidate) => candidate.name === groupName);
		if (!group) {
			problems.push(`"${name}.${groupName}" is not a group of the parameter`);
			continue;
		}
		const list = definition.typeOptions?.multipleValues ? (entries as IDataObject[]) : [entries as IDataObject];
		for (const entry of list) {
			for (const field of Object.keys(entry)) {
				if (!group.values.some((candidate) => candidate.name === field)) problems.push(`"${name}.${groupName}.${field}" is not a field of the parameter`);
			}
		}
	}
	return problems;
}

/** Empty as n8n's editor flags a required parameter: no text, or a resource locator without a value. */
function isEmpty(property: INodeProperties, value: unknown): boolean {
	if (property.type === 'resourceLocator' && value && typeof value === 'object') return ((value as { value?: unknown }).value ?? '') === '';
	return (value ?? '') === '';
}

/** Problems with one node's parameters (Send WhatsApp Video unless told), in words; empty when all is well. */
function parameterProblems(node: WorkflowNode, nodeDescription: INodeTypeDescription = description): string[] {
	const problems: string[] = [];
	const properties = nodeDescription.properties;
	const params = effectiveParameters(node.parameters, properties);
	const shownHere = (property: INodeProperties, local: INodeParameters = params) => isShown(property, local, params, node.typeVersion);
	for (const [name, value] of Object.entries(node.parameters)) {
		const definitions = properties.filter((p) => p.name === name);
		if (definitions.length === 0) {
			problems.push(`"${name}" is not a parameter of the node`);
			continue;
		}
		const shown = definitions.filter((p) => shownHere(p));
		if (shown.length === 0) {
			problems.push(`"${name}" is set but not shown for these settings`);
			continue;
		}
		for (const definition of shown) {
			const isExpression = typeof value === 'string' && value.startsWith('=');
			if (definition.type === 'resourceLocator' && !isExpression) problems.push(...locatorProblems(name, definition, value));
			if (definition.type === 'fixedCollection') problems.push(...fixedCollectionProblems(name, definition, value));
			if (definition.type === 'options' && !isExpression) {
				const allowed = (definition.options ?? []).map((o) => (o as { value: unknown }).value);
				if (!allowed.includes(value)) problems.push(`"${name}" = ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
			}
			if (definition.type === 'multiOptions' && !isExpression) {
				const allowed = (definition.options ?? []).map((o) => (o as { value: unknown }).value);
				const unknown = (Array.isArray(value) ? value : [value]).filter((entry) => !allowed.includes(entry));
				if (unknown.length) problems.push(`"${name}" has ${JSON.stringify(unknown)}, not among ${allowed.join(', ')}`);
			}
			if (definition.type === 'collection') {
				for (const [option, optionValue] of Object.entries((value ?? {}) as IDataObject)) {
					const sub = (definition.options ?? []).find((o) => (o as INodeProperties).name === option) as INodeProperties | undefined;
					if (!sub) problems.push(`"${name}.${option}" is not an option of the node`);
					else if (!shownHere(sub, (value ?? {}) as INodeParameters)) problems.push(`"${name}.${option}" is not shown for these settings`);
					else if (optionValue === '') problems.push(`"${name}.${option}" is empty`);
				}
			}
		}
	}
	for (const property of properties) {
		if (property.required && shownHere(property) && isEmpty(property, params[property.name])) {
			problems.push(`required parameter "${property.name}" is empty`);
		}
	}
	const wanted = (nodeDescription.credentials ?? []).filter((c) => shownHere(c as INodeProperties)).map((c) => c.name);
	const given = Object.keys(node.credentials ?? {});
	if (JSON.stringify(given) !== JSON.stringify(wanted)) {
		problems.push(`credentials ${JSON.stringify(given)} should be ${JSON.stringify(wanted)}`);
	}
	return problems;
}

/** What a Code node's `return [...]` produces, evaluated the way the Code node would run it. */
function codeNodeItems(node: WorkflowNode): InputItem[] {
	// The examples are this repository's own files; the code is a literal list of items.
	const output = new Function(String(node.parameters.jsCode))() as Array<{ json: IDataObject }>;
	return output.map((item) => ({ json: item.json }));
}

/** A submission of an n8n Form Trigger (v2): json keyed by field label, files under label.replace(/\W/g, '_'). */
function formSubmission(node: WorkflowNode, answers: Record<string, string>, video: Buffer): InputItem {
	const fields = (node.parameters.formFields as { values: IDataObject[] }).values;
	const item: InputItem = { json: { submittedAt: '2025-01-01T00:00:00.000+00:00', formMode: 'test' }, binary: {} };
	for (const field of fields) {
		const label = String(field.fieldLabel);
		if (field.fieldType === 'file') {
			item.json![label] = { filename: 'holiday.mp4', mimetype: 'video/mp4', size: video.length };
			item.binary![label.replace(/\W/g, '_')] = { bytes: video, fileName: 'holiday.mp4', mimeType: 'video/mp4' };
		} else {
			item.json![label] = answers[label] ?? '';
		}
	}
	return item;
}

/**
 * Stand-ins for the n8n-nodes-base nodes of the examples (n8n-nodes-base is not installed here):
 * a Manual Trigger that starts with one empty item, a Code node whose code is a literal list of
 * items, and a Data table node that passes its input on. The package's own nodes are the real ones.
 */
function standIn(name: string, inputs: boolean, properties: INodeProperties[], execute: (this: IExecuteFunctions) => Promise<INodeExecutionData[][]>): INodeType {
	return {
		description: {
			displayName: name,
			name,
			group: ['transform'],
			version: [1, 1.1, 2],
			description: `Stands in for n8n's ${name} node`,
			defaults: { name },
			inputs: inputs ? [NodeConnectionTypes.Main] : [],
			outputs: [NodeConnectionTypes.Main],
			properties,
		},
		execute,
	};
}

const STAND_INS: Record<string, INodeType> = {
	'n8n-nodes-base.manualTrigger': standIn('manualTrigger', false, [], async () => [[{ json: {} }]]),
	'n8n-nodes-base.code': standIn('code', true, [{ displayName: 'JavaScript', name: 'jsCode', type: 'string', default: '' }], async function () {
		// The examples' own code: a literal list, as codeNodeItems() reads it.
		const output = new Function(String(this.getNodeParameter('jsCode', 0)))() as Array<{ json: IDataObject }>;
		return [output.map((item) => ({ json: item.json, pairedItem: { item: 0 } }))];
	}),
	'n8n-nodes-base.dataTable': standIn('dataTable', true, [], async function () {
		return [this.getInputData()];
	}),
};

/** Node types by name; an unknown one is left alone by n8n-workflow's Workflow (its parameters stay as written). */
class ExampleNodeTypes implements INodeTypes {
	constructor(private readonly types: Record<string, INodeType>) {}

	getByName(nodeType: string): INodeType {
		return this.types[nodeType];
	}

	getByNameAndVersion(nodeType: string): INodeType {
		return this.types[nodeType];
	}

	getKnownTypes(): IDataObject {
		return {};
	}
}

/**
 * Runs a whole example workflow from its Manual Trigger through n8n-core's WorkflowExecute: the
 * real Send WhatsApp Video node against the emulator, stand-ins for the core nodes.
 */
async function runExample(example: WorkflowFile, credentials: ReturnType<typeof emulatorCredentials>): Promise<{ run: IRun; workflow: Workflow }> {
	await useBinaryMode('memory');
	const credentialTypes = [new LancepilotApi(), new Dialog360Api(), new WhatsAppCloudApi()];
	const credentialsHelper = new TestCredentialsHelper(Object.fromEntries(credentialTypes.map((type) => [type.name, type])), credentials);
	const nodes = JSON.parse(JSON.stringify(example.nodes)) as INode[];
	for (const node of nodes) {
		if (node.credentials) node.credentials = Object.fromEntries(Object.keys(node.credentials).map((type) => [type, { id: type, name: type }]));
	}
	const nodeTypes = new ExampleNodeTypes({ ...STAND_INS, [NODE_TYPE]: new SendWhatsAppVideo() });
	const connections = example.connections as IConnections;
	const workflow = new Workflow({ id: 'example', name: example.name, nodes, connections, nodeTypes, active: false });
	const workflowData = { id: 'example', name: example.name, nodes, connections, active: false, settings: {} } as unknown as IWorkflowBase;
	const hooks = new ExecutionLifecycleHooks('manual', 'example', workflowData);
	const finished = new Promise<IRun>((resolve) => hooks.addHandler('workflowExecuteAfter', (run) => resolve(run)));
	const start = nodes.find((node) => node.type === 'n8n-nodes-base.manualTrigger')!;
	const runData = createRunExecutionData({ executionData: { nodeExecutionStack: [{ node: start, data: { main: [[{ json: {} }]] }, source: null }] } });
	const additionalData = additionalDataFor(hooks, credentialsHelper);
	additionalData.executionId = 'example';
	await new WorkflowExecute(additionalData, 'manual', runData).processRunExecutionData(workflow);
	return { run: await finished, workflow };
}

/** A parameter of `nodeName` for one of its input items, resolved as n8n resolves it when the node runs. */
function resolveFor(workflow: Workflow, run: IRun | undefined, nodeName: string, value: unknown, items: INodeExecutionData[], index: number, previousNode: string): unknown {
	const node = workflow.getNode(nodeName)!;
	const executeData: IExecuteData = { node, data: { main: [items] }, source: { main: [{ previousNode }] } };
	return workflow.expression.getParameterValue(value as NodeParameterValueType, run?.data ?? createRunExecutionData(), 0, index, nodeName, items, 'manual', {}, executeData);
}

/** A Data table row against one of the node's conditions (the two kinds the example uses). */
function rowMatches(row: IDataObject, condition: { keyName: string; condition?: string; keyValue: unknown }): boolean {
	const cell = row[condition.keyName];
	switch (condition.condition ?? 'eq') {
		case 'eq':
			return cell === condition.keyValue;
		case 'lt':
			return Number(cell) < Number(condition.keyValue);
		default:
			throw new Error(`The test does not know the Data table condition ${condition.condition}`);
	}
}

describe('example workflows', () => {
	const files = readdirSync(EXAMPLES_DIR).filter((file) => file.endsWith('.json'));

	it('are the six documented examples', () => {
		expect(files.sort()).toEqual([
			'ai-agent-send-video.json',
			'campaign-with-status-1-send.json',
			'campaign-with-status-2-track.json',
			'form-upload-to-360dialog.json',
			'send-video-from-url.json',
			'weekly-template-video.json',
		]);
	});

	describe.each(files)('%s', (file) => {
		const workflow = load(file);

		it('is a well-formed n8n workflow', () => {
			expect(typeof workflow.name).toBe('string');
			const names = workflow.nodes.map((node) => node.name);
			expect(new Set(names).size).toBe(names.length);
			expect(new Set(workflow.nodes.map((node) => node.id)).size).toBe(names.length);
			for (const node of workflow.nodes) {
				expect(node.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
				expect(node.position).toHaveLength(2);
				if (node.type in PACKAGE_NODES) expect([PACKAGE_NODES[node.type].version].flat()).toContain(node.typeVersion);
				else expect(KNOWN_CORE_NODES[node.type]).toContain(node.typeVersion);
				// A webhook node's production URL is /webhook/<webhookId>/<path>: the editor gives each one its own.
				if (node.type === TRIGGER_TYPE) expect(node.webhookId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
			}
			const subNodes = new Set<string>();
			for (const [from, outputs] of Object.entries(workflow.connections)) {
				expect(names).toContain(from);
				for (const [type, targets] of Object.entries(outputs)) {
					expect(['main', 'ai_languageModel', 'ai_tool']).toContain(type);
					if (type !== 'main') subNodes.add(from);
					for (const target of targets.flat()) {
						expect(names).toContain(target.node);
						expect(target.type).toBe(type);
						if (type !== 'main') expect(workflow.nodes.find((n) => n.name === target.node)!.type).toBe('@n8n/n8n-nodes-langchain.agent');
					}
				}
			}
			// Every node but the trigger and an agent's sub-nodes has exactly one incoming connection: the examples are chains.
			const targets = Object.values(workflow.connections).flatMap((c) => (c.main ?? []).flat().map((t) => t.node));
			const chained = names.filter((name) => !subNodes.has(name) && !/Trigger$/.test(workflow.nodes.find((n) => n.name === name)!.type));
			expect(targets.sort()).toEqual(chained.sort());
		});

		it("sets only parameters this package's node (Send WhatsApp Video or the Status Trigger) defines and shows", () => {
			const nodes = packageNodes(workflow);
			expect(nodes).toHaveLength(1);
			for (const node of nodes) expect(parameterProblems(node, PACKAGE_NODES[node.type])).toEqual([]);
		});
	});

	it('the README pastes one of them verbatim', () => {
		const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
		const pasted = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((match) => JSON.parse(match[1]) as unknown);
		expect(pasted).toHaveLength(1);
		expect(files.map((file) => load(file) as unknown)).toContainEqual(pasted[0]);
	});

	it("the README's parameter table lists every parameter and option of the node, with its display name", () => {
		const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
		const section = readme.split(/^## /m).find((part) => part.startsWith('Parameters\n')) ?? '';
		const documented = [...section.matchAll(/^\| `([\w.]+)` \| ([^|]+) \|/gm)].map((row) => `${row[1]} = ${row[2].trim()}`);
		const defined = new Set<string>();
		for (const property of properties) {
			if (property.type === 'collection') {
				for (const option of (property.options ?? []) as INodeProperties[]) {
					defined.add(`${property.name}.${option.name} = ${property.displayName} → ${option.displayName}`);
				}
			} else {
				defined.add(`${property.name} = ${property.displayName}`);
			}
		}
		expect(documented.sort()).toEqual([...defined].sort());
	});

	it('the parameter check catches misspelt, hidden and invalid parameters', () => {
		const [node] = sendNodes(load('send-video-from-url.json'));
		const broken = (parameters: INodeParameters) => parameterProblems({ ...node, parameters: { ...node.parameters, ...parameters } });
		expect(broken({ videoURL: 'https://example.com/a.mp4' })).toEqual(['"videoURL" is not a parameter of the node']);
		expect(broken({ mediaId: '123' })).toEqual(['"mediaId" is set but not shown for these settings']);
		expect(broken({ source: 'mediaId' })[0]).toContain('is not one of binary, url');
		expect(broken({ options: { callbackData: 'x' } })).toEqual(['"options.callbackData" is not shown for these settings']);
		expect(broken({ workspaceId: '' })).toEqual(['required parameter "workspaceId" is empty']);
	});

	it('the parameter check catches a malformed Template locator and Body Parameters', () => {
		const [node] = sendNodes(load('weekly-template-video.json'));
		const broken = (parameters: INodeParameters) => parameterProblems({ ...node, parameters: { ...node.parameters, ...parameters } });
		expect(broken({})).toEqual([]);
		expect(broken({ template: 'spring_promo|en_US' })).toEqual(['"template" is not a resource locator ({ "__rl": true, "mode": …, "value": … })']);
		expect(broken({ template: { __rl: true, mode: 'url', value: 'spring_promo|en_US' } })).toEqual(['"template" mode "url" is not one of list, id']);
		expect(broken({ template: { __rl: true, mode: 'list', value: '' } })).toEqual(['required parameter "template" is empty']);
		expect(broken({ bodyParameters: { parameters: [{ text: 'Ada' }] } })).toEqual(['"bodyParameters.parameters" is not a group of the parameter']);
		expect(broken({ bodyParameters: { parameter: [{ value: 'Ada' }] } })).toEqual(['"bodyParameters.parameter.value" is not a field of the parameter']);
		expect(broken({ caption: 'Hi' })).toEqual(['"caption" is set but not shown for these settings']);
	});

	it('the parameter check knows the Status Trigger: Provider, Statuses, and the Verify Token Meta needs', () => {
		const [node] = packageNodes(load('campaign-with-status-2-track.json'));
		const broken = (parameters: INodeParameters) => parameterProblems({ ...node, parameters: { ...node.parameters, ...parameters } }, triggerDescription);
		expect(broken({})).toEqual([]);
		expect(broken({ verifyToken: '' })).toEqual(['required parameter "verifyToken" is empty']);
		expect(broken({ statuses: ['sent', 'seen'] })).toEqual(['"statuses" has ["seen"], not among sent, delivered, read, failed']);
		expect(broken({ provider: 'dialog360' })).toEqual(['"verifyToken" is set but not shown for these settings', 'credentials ["whatsAppCloudApi"] should be ["dialog360Api"]']);
		expect(broken({ provider: 'lancepilot' })[0]).toBe('"provider" = "lancepilot" is not one of dialog360, whatsappCloud');
	});

	it('weekly-template-video.json runs every Monday at 09:00', () => {
		const trigger = load('weekly-template-video.json').nodes.find((node) => node.type === 'n8n-nodes-base.scheduleTrigger')!;
		// As the editor saves it: Monday is 1 in Trigger on Weekdays; n8n fills in the defaults (every 1 week, minute 0) when it runs.
		expect(trigger.parameters).toEqual({ rule: { interval: [{ field: 'weeks', triggerAtDay: [1], triggerAtHour: 9 }] } });
	});

	describe('sending with the examples\' parameters', () => {
		let emulator: Emulator;

		beforeAll(async () => {
			emulator = await startEmulator();
		});
		afterAll(async () => {
			await emulator.close();
		});
		beforeEach(() => emulator.reset());

		it('send-video-from-url.json: one Lancepilot message per recipient of the Code node', async () => {
			const workflow = load('send-video-from-url.json');
			const [send] = sendNodes(workflow);
			const items = codeNodeItems(workflow.nodes.find((node) => node.type === 'n8n-nodes-base.code')!);
			expect(items).toHaveLength(2);

			const result = await runWorkflow({ parameters: send.parameters, items, credentials: emulatorCredentials(emulator) });

			expect(result.error).toBeUndefined();
			expect(result.items.map((item) => [item.json.status, item.json.recipient])).toEqual([
				['created', '4915123456789'],
				['created', '14155550123'],
			]);
			const created = emulator.messagesCreated('lancepilot');
			expect(created.map((r) => r.json)).toEqual([
				{ file: 'https://example.com/videos/welcome.mp4', caption: 'Hi Ada, here is your welcome video!' },
				{ file: 'https://example.com/videos/welcome.mp4', caption: 'Hi Grace, here is your welcome video!' },
			]);
			expect(created.map((r) => r.lancepilot?.target)).toEqual([
				expect.objectContaining({ kind: 'number', decoded: '+4915123456789' }),
				expect.objectContaining({ kind: 'number', decoded: '+14155550123' }),
			]);
		});

		it.each(BINARY_MODES)('form-upload-to-360dialog.json: uploads the form\'s file and sends it by media ID (%s binary mode)', async (binaryMode) => {
			const workflow = load('form-upload-to-360dialog.json');
			const [send] = sendNodes(workflow);
			const form = workflow.nodes.find((node) => node.type === 'n8n-nodes-base.formTrigger')!;
			const video = fixture('baseline-aac-faststart.mp4');
			const submission = formSubmission(form, { 'Phone number': '+49 151 23456789', Caption: 'Look at this!' }, video);
			expect(Object.keys(submission.binary!)).toEqual([send.parameters.binaryPropertyName]);

			const result = await runWorkflow({
				parameters: send.parameters,
				items: [submission],
				binaryMode,
				credentials: emulatorCredentials(emulator),
			});

			expect(result.error).toBeUndefined();
			const [upload] = emulator.uploads();
			const mediaId = upload.created?.kind === 'media' ? upload.created.mediaId : undefined;
			expect(upload.multipart?.find((part) => part.name === 'file')).toMatchObject({
				filename: 'holiday.mp4',
				contentType: 'video/mp4',
				size: video.length,
			});
			expect(result.items.map((item) => item.json)).toEqual([
				expect.objectContaining({ provider: 'dialog360', recipient: '4915123456789', status: 'accepted', mediaId }),
			]);
			expect(emulator.messagesCreated('dialog360').map((r) => r.json)).toEqual([
				expect.objectContaining({ to: '4915123456789', video: { id: mediaId, caption: 'Look at this!' } }),
			]);
		});

		it('weekly-template-video.json: spring_promo to each customer of the Code node, with the video link as its header', async () => {
			const workflow = load('weekly-template-video.json');
			const [send] = sendNodes(workflow);
			const items = codeNodeItems(workflow.nodes.find((node) => node.type === 'n8n-nodes-base.code')!);
			expect(items).toHaveLength(3);

			const result = await runWorkflow({
				parameters: send.parameters,
				items,
				typeVersion: send.typeVersion,
				credentials: emulatorCredentials(emulator),
			});

			expect(result.error).toBeUndefined();
			const recipients = ['4915123456789', '14155550123', '46701234567'];
			expect(result.items.map((item) => [item.json.provider, item.json.recipient, item.json.status, item.json.template])).toEqual(
				recipients.map((recipient) => ['whatsappCloud', recipient, 'accepted', { name: 'spring_promo', language: 'en_US' }]),
			);
			// One pass over the account's template listing for the whole run: no page read twice.
			const listing = `/${EMULATOR_DEFAULTS.metaGraphApiVersion}/${EMULATOR_DEFAULTS.metaBusinessAccountId}/message_templates`;
			const pages = emulator.requests.filter((request) => request.method === 'GET' && request.path === listing);
			expect(new Set(pages.map((page) => JSON.stringify(page.query))).size).toBe(pages.length);
			expect(pages.flatMap((page) => (page.responseBody as { data: unknown[] }).data)).toHaveLength(EMULATOR_TEMPLATES.length);
			// The sends run concurrently: compare them in recipient order.
			const sent = emulator
				.messagesCreated('whatsappCloud')
				.map((request) => request.created)
				.sort((a, b) => recipients.indexOf(a?.kind === 'message' ? a.recipient : '') - recipients.indexOf(b?.kind === 'message' ? b.recipient : ''));
			expect(sent).toEqual(
				items.map((item, index) =>
					expect.objectContaining({
						recipient: recipients[index],
						source: 'link',
						template: {
							name: 'spring_promo',
							language: 'en_US',
							bodyParameters: [item.json!.name, item.json!.discount],
							buttonParameter: item.json!.coupon,
						},
					}),
				),
			);
			for (const request of emulator.messagesCreated('whatsappCloud')) {
				expect((request.json as { template: { components: IDataObject[] } }).template.components[0]).toEqual({
					type: 'header',
					parameters: [{ type: 'video', video: { link: 'https://cdn.example.com/spring.mp4' } }],
				});
			}
		});

		it('campaign-with-status-*.json: the campaign stores one row per message; the trigger\'s items move each row on to its last status, whatever the order', async () => {
			const send = load('campaign-with-status-1-send.json');
			const track = load('campaign-with-status-2-track.json');
			const trigger = track.nodes.find((node) => node.type === TRIGGER_TYPE)!;
			const credentials = emulatorCredentials(emulator);
			credentials.whatsAppCloudApi = { ...credentials.whatsAppCloudApi, appSecret: EMULATOR_DEFAULTS.metaAppSecret };
			const server = await startTriggerServer({ parameters: trigger.parameters, credentials });
			emulator.setWebhookForward((url) => server.forward(url));
			try {
				await server.activate();
				const verification = await emulator.configureMetaWebhook({ url: server.webhookUrl, verifyToken: String(trigger.parameters.verifyToken) });
				expect([verification.verified, verification.status]).toEqual([true, 200]);
				const customers = [
					{ name: 'Ada', recipient: '4915123456789', outcome: 'read' as const, status: 'read', step: 3 },
					{ name: 'Grace', recipient: '14155550123', outcome: 'delivered' as const, status: 'delivered', step: 2 },
					{ name: 'Linus', recipient: '46701234567', outcome: { failWith: 131026 }, status: 'failed', step: 4 },
				];
				for (const customer of customers) emulator.setRecipientOutcome(customer.recipient, customer.outcome);

				const { run, workflow } = await runExample(send, credentials);

				expect(run.data.resultData.error).toBeUndefined();
				const sent = run.data.resultData.runData['Send WhatsApp Video'][0].data!.main[0]!;
				expect(sent.map((item) => [item.json.recipient, item.json.status])).toEqual(customers.map((c) => [c.recipient, 'accepted']));
				// What Store Message ID inserts for each message: its Columns, resolved per item ($('Customers') by paired item).
				const store = send.nodes.find((node) => node.type === 'n8n-nodes-base.dataTable')!;
				expect(store.parameters.dataTableId).toEqual({ __rl: true, value: 'whatsapp_video_campaign', mode: 'name' });
				const inserted = sent.map((_, index) => resolveFor(workflow, run, store.name, (store.parameters.columns as IDataObject).value, sent, index, 'Send WhatsApp Video') as IDataObject);
				expect(inserted).toEqual(customers.map((c, index) => ({ messageId: sent[index].json.messageId, name: c.name, recipient: c.recipient, status: 'accepted', step: 0 })));

				await emulator.waitForWebhookDeliveries(7, 10_000);
				const statuses = server.executions().flat();
				expect(statuses).toHaveLength(7);
				// Update Status for each item of the trigger: the rows its conditions select get its columns.
				const update = track.nodes.find((node) => node.type === 'n8n-nodes-base.dataTable')!;
				expect([update.parameters.operation, update.parameters.matchType, update.parameters.dataTableId]).toEqual(['update', 'allConditions', store.parameters.dataTableId]);
				const trackWorkflow = new Workflow({ id: 'track', name: track.name, nodes: track.nodes, connections: track.connections as IConnections, nodeTypes: new ExampleNodeTypes({}), active: false });
				const applyInOrder = (order: IDataObject[]) => {
					const table: IDataObject[] = inserted.map((row) => ({ ...row, hint: null }));
					for (const status of order) {
						const items = [{ json: status }];
						const conditions = resolveFor(trackWorkflow, undefined, update.name, (update.parameters.filters as IDataObject).conditions, items, 0, trigger.name) as Array<{ keyName: string; condition?: string; keyValue: unknown }>;
						const values = resolveFor(trackWorkflow, undefined, update.name, (update.parameters.columns as IDataObject).value, items, 0, trigger.name) as IDataObject;
						for (const row of table) if (conditions.every((condition) => rowMatches(row, condition))) Object.assign(row, values);
					}
					return table;
				};
				const expected = customers.map((c, index) => ({
					messageId: sent[index].json.messageId,
					name: c.name,
					recipient: c.recipient,
					status: c.status,
					step: c.step,
					hint: c.status === 'failed' ? expect.stringContaining('the number may not be on WhatsApp') : '',
				}));
				expect(applyInOrder(statuses)).toEqual(expected);
				// Reported late or twice (n8n runs executions side by side), an earlier status never undoes a later one.
				expect(applyInOrder([...statuses].reverse())).toEqual(expected);
				expect(applyInOrder([...statuses, ...statuses])).toEqual(expected);
			} finally {
				emulator.setWebhookForward(undefined);
				await server.close();
			}
		});

		it("ai-agent-send-video.json: the tool's $fromAI fields, filled as a model fills them, send one video by link after checking the link", async () => {
			const [tool] = packageNodes(load('ai-agent-send-video.json'));
			expect(tool.type).toBe(TOOL_TYPE);
			const host = await startMediaHost();
			try {
				const link = `${host.origin}/files/baseline-aac-faststart.mp4`;
				// A tool call's arguments arrive as the item $fromAI reads its keys from.
				const toolCall = { Recipient: '+4915123456789', Video_URL: link, Caption: 'Spring sale: 20% off everything until Sunday!' };

				const result = await runWorkflow({ parameters: tool.parameters, typeVersion: tool.typeVersion, items: [{ json: toolCall }], credentials: emulatorCredentials(emulator) });

				expect(result.error).toBeUndefined();
				expect(host.requests.map((request) => `${request.method} ${request.path}`)).toEqual(['HEAD /files/baseline-aac-faststart.mp4']);
				expect(emulator.messagesCreated('whatsappCloud').map((request) => request.json)).toEqual([
					expect.objectContaining({ to: '4915123456789', type: 'video', video: { link, caption: toolCall.Caption } }),
				]);
				expect(result.items.map((item) => [item.json.provider, item.json.recipient, item.json.status])).toEqual([['whatsappCloud', '4915123456789', 'accepted']]);
			} finally {
				await host.close();
			}
		});

		it('form-upload-to-360dialog.json: an empty Caption field sends no caption', async () => {
			const workflow = load('form-upload-to-360dialog.json');
			const [send] = sendNodes(workflow);
			const form = workflow.nodes.find((node) => node.type === 'n8n-nodes-base.formTrigger')!;
			const submission = formSubmission(form, { 'Phone number': '+49 151 23456789' }, fixture('baseline-aac-faststart.mp4'));

			const result = await runWorkflow({ parameters: send.parameters, items: [submission], credentials: emulatorCredentials(emulator) });

			expect(result.error).toBeUndefined();
			const [message] = emulator.messagesCreated('dialog360');
			expect((message.json as { video: IDataObject }).video).not.toHaveProperty('caption');
		});
	});
});
