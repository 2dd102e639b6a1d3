import './env';

import { Container } from '@n8n/di';
import { BinaryDataConfig, BinaryDataService, ExecutionLifecycleHooks, LoadOptionsContext, WorkflowExecute } from 'n8n-core';
import type {
	ExecutionError,
	IBinaryData,
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	IExecuteFunctions,
	INode,
	INodeExecutionData,
	INodeListSearchResult,
	INodeParameters,
	INodeType,
	INodeTypeDescription,
	INodeTypes,
	IRun,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';
import { createRunExecutionData, NodeConnectionTypes, Workflow } from 'n8n-workflow';

import { Dialog360Api } from '../../credentials/Dialog360Api.credentials';
import { LancepilotApi } from '../../credentials/LancepilotApi.credentials';
import { WhatsAppCloudApi } from '../../credentials/WhatsAppCloudApi.credentials';
import { SendWhatsAppVideo } from '../../nodes/SendWhatsAppVideo/SendWhatsAppVideo.node';
import { TestCredentialsHelper } from './credentials';
import { useProcessedDataStore } from './processedData';

export type BinaryMode = 'memory' | 'filesystem';
export const BINARY_MODES: BinaryMode[] = ['memory', 'filesystem'];

export const NODE_TYPE = 'n8n-nodes-whatsapp-video.sendWhatsAppVideo';
const INPUT_NODE_TYPE = 'harness.inputItems';

/** The same object on several items is one binary shared by them, not one copy each. */
export interface InputBinary {
	/** A function is called when the item is emitted, so large batches need not sit in memory. */
	bytes: Buffer | (() => Buffer);
	fileName?: string;
	mimeType?: string;
}

/** One item as an upstream node would emit it; binaries are stored through n8n's binary service. */
export interface InputItem {
	json?: IDataObject;
	binary?: Record<string, InputBinary>;
}

export interface RunOptions {
	parameters: INodeParameters;
	/** Type name of the node under test; defaults to the package's node type name. */
	typeName?: string;
	items: InputItem[];
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	binaryMode?: BinaryMode;
	continueOnFail?: boolean;
	/** The node's "Retry On Fail" setting: n8n runs the whole node again after it fails. */
	retryOnFail?: { maxTries: number; waitBetweenTries: number };
	/** The node class to run; the tests run the sources, the demo runs the built package. */
	nodeType?: INodeType;
	credentialTypes?: ICredentialType[];
	/** The send node's version; default 1, as the saved workflows most tests stand for. */
	typeVersion?: number;
	/** The saved workflow this run is an execution of; by default a new one per run. */
	workflowId?: string;
}

export interface RunResult {
	/** Output items of the Send WhatsApp Video node (empty when it failed). */
	items: INodeExecutionData[];
	/** The execution error when the node stopped the workflow. */
	error?: ExecutionError;
	run: IRun;
}

const pendingInputs = new Map<string, InputItem[]>();

/** Emits the items a test prepared, storing each binary through n8n's helpers in the active mode. */
class InputItems implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Input Items',
		name: 'inputItems',
		group: ['input'],
		version: 1,
		description: 'Emits prepared test items',
		defaults: { name: 'Input Items' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [{ displayName: 'Run', name: 'runId', type: 'string', default: '' }],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const runId = this.getNodeParameter('runId', 0) as string;
		const inputs = pendingInputs.get(runId) ?? [];
		const items: INodeExecutionData[] = [];
		// One InputBinary object on several items is one upstream file fanned out to them (as a Merge
		// or Code node hands one download to every recipient): stored once, every item refers to it.
		const stored = new Map<InputBinary, IBinaryData>();
		for (const [index, input] of inputs.entries()) {
			const item: INodeExecutionData = { json: input.json ?? {}, pairedItem: { item: 0 } };
			for (const [property, binary] of Object.entries(input.binary ?? {})) {
				item.binary ??= {};
				let data = stored.get(binary);
				if (!data) {
					const bytes = typeof binary.bytes === 'function' ? binary.bytes() : binary.bytes;
					data = await this.helpers.prepareBinaryData(bytes, binary.fileName, binary.mimeType);
					if (binary.fileName === undefined) delete data.fileName;
					stored.set(binary, data);
				}
				item.binary[property] = { ...data };
			}
			item.json.index ??= index;
			items.push(item);
		}
		return [items];
	}
}

export class NodeTypes implements INodeTypes {
	constructor(private readonly types: Record<string, INodeType>) {}

	getByName(nodeType: string): INodeType {
		const type = this.types[nodeType];
		if (!type) throw new Error(`Unknown node type ${nodeType}`);
		return type;
	}

	getByNameAndVersion(nodeType: string): INodeType {
		return this.getByName(nodeType);
	}

	getKnownTypes(): IDataObject {
		return {};
	}
}

let activeMode: BinaryMode | undefined;

/** Switches n8n's binary data service between in-memory (`default`) and `filesystem` storage. */
export async function useBinaryMode(mode: BinaryMode): Promise<void> {
	if (activeMode === mode) return;
	const config = Container.get(BinaryDataConfig);
	config.mode = mode === 'filesystem' ? 'filesystem' : 'default';
	await Container.get(BinaryDataService).init();
	activeMode = mode;
}

let runCounter = 0;

export function additionalDataFor(
	hooks: ExecutionLifecycleHooks,
	credentialsHelper: TestCredentialsHelper,
): IWorkflowExecuteAdditionalData {
	const unavailable = (what: string) => async () => {
		throw new Error(`${what} is not available in the test harness`);
	};
	return {
		hooks,
		credentialsHelper,
		executeWorkflow: unavailable('executeWorkflow'),
		getRunExecutionData: async () => undefined,
		currentNodeExecutionIndex: 0,
		restApiUrl: 'http://127.0.0.1:5678/rest',
		instanceBaseUrl: 'http://127.0.0.1:5678/',
		formWaitingBaseUrl: 'http://127.0.0.1:5678/form-waiting',
		webhookBaseUrl: 'http://127.0.0.1:5678/webhook',
		webhookWaitingBaseUrl: 'http://127.0.0.1:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://127.0.0.1:5678/webhook-test',
		variables: {},
		logAiEvent: () => {},
		startRunnerTask: unavailable('startRunnerTask'),
	} as unknown as IWorkflowExecuteAdditionalData;
}

/**
 * Opens one of the node's searchable lists (a resource locator's "From List") as the editor does:
 * n8n-core's LoadOptionsContext for the send node with the panel's current parameters, calling the
 * node's list search method with real HTTP.
 */
export async function searchList(options: {
	method: string;
	parameters: INodeParameters;
	credentials: Record<string, ICredentialDataDecryptedObject>;
	filter?: string;
	typeVersion?: number;
}): Promise<INodeListSearchResult> {
	const nodeType = new SendWhatsAppVideo();
	const credentialTypes = [new LancepilotApi(), new Dialog360Api(), new WhatsAppCloudApi()];
	const credentialsHelper = new TestCredentialsHelper(Object.fromEntries(credentialTypes.map((type) => [type.name, type])), options.credentials);
	const node: INode = {
		id: 'send',
		name: 'Send WhatsApp Video',
		type: NODE_TYPE,
		typeVersion: options.typeVersion ?? 2,
		position: [0, 0],
		parameters: options.parameters,
		credentials: Object.fromEntries(credentialTypes.map((type) => [type.name, { id: type.name, name: `${type.displayName} account` }])),
	};
	const nodeTypes = new NodeTypes({ [NODE_TYPE]: nodeType });
	const workflow = new Workflow({ id: 'editor', name: 'editor', nodes: [node], connections: {}, nodeTypes, active: false });
	const workflowData = { id: 'editor', name: 'editor', nodes: [node], connections: {}, active: false, settings: {} } as unknown as IWorkflowBase;
	const additionalData = additionalDataFor(new ExecutionLifecycleHooks('manual', 'editor', workflowData), credentialsHelper);
	additionalData.currentNodeParameters = options.parameters;
	const context = new LoadOptionsContext(workflow, node, additionalData, 'parameters');
	const search = nodeType.methods.listSearch[options.method];
	if (!search) throw new Error(`The node has no list search method ${options.method}`);
	return await search.call(context, options.filter);
}

/**
 * Runs `Input Items -> Send WhatsApp Video` through n8n-core's WorkflowExecute, the engine the n8n
 * server uses, with real HTTP to wherever the credentials point.
 */
export async function runWorkflow(options: RunOptions): Promise<RunResult> {
	await useBinaryMode(options.binaryMode ?? 'memory');
	await useProcessedDataStore();
	const runId = `run-${++runCounter}`;
	const workflowId = options.workflowId ?? runId;
	pendingInputs.set(runId, options.items);

	const credentialTypes = options.credentialTypes ?? [new LancepilotApi(), new Dialog360Api(), new WhatsAppCloudApi()];
	const credentialsHelper = new TestCredentialsHelper(
		Object.fromEntries(credentialTypes.map((type) => [type.name, type])),
		options.credentials ?? {},
	);
	const nodeTypes = new NodeTypes({
		[INPUT_NODE_TYPE]: new InputItems(),
		[options.typeName ?? NODE_TYPE]: options.nodeType ?? new SendWhatsAppVideo(),
	});
	const nodes: INode[] = [
		{ id: 'input', name: 'Input Items', type: INPUT_NODE_TYPE, typeVersion: 1, position: [0, 0], parameters: { runId } },
		{
			id: 'send',
			name: 'Send WhatsApp Video',
			type: options.typeName ?? NODE_TYPE,
			typeVersion: options.typeVersion ?? 1,
			position: [200, 0],
			parameters: options.parameters,
			credentials: Object.fromEntries(
				credentialTypes.map((type) => [type.name, { id: type.name, name: `${type.displayName} account` }]),
			),
			...(options.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
			...(options.retryOnFail ? { retryOnFail: true, ...options.retryOnFail } : {}),
		},
	];
	const connections = {
		'Input Items': { main: [[{ node: 'Send WhatsApp Video', type: NodeConnectionTypes.Main, index: 0 }]] },
	};
	const workflow = new Workflow({ id: workflowId, name: workflowId, nodes, connections, nodeTypes, active: false });
	const workflowData = { id: workflowId, name: workflowId, nodes, connections, active: false, settings: {} } as unknown as IWorkflowBase;

	const hooks = new ExecutionLifecycleHooks('manual', runId, workflowData);
	// A plain promise: n8n-workflow's createDeferredPromise is gone from current n8n.
	const finished = new Promise<IRun>((resolve) => hooks.addHandler('workflowExecuteAfter', (run) => resolve(run)));
	const runData = createRunExecutionData({
		executionData: {
			nodeExecutionStack: [{ node: nodes[0], data: { main: [[{ json: {} }]] }, source: null }],
		},
	});
	const additionalData = additionalDataFor(hooks, credentialsHelper);
	additionalData.executionId = runId;
	try {
		await new WorkflowExecute(additionalData, 'manual', runData).processRunExecutionData(workflow);
		const run = await finished;
		const taskData = run.data.resultData.runData['Send WhatsApp Video']?.[0];
		return {
			items: taskData?.data?.main?.[0] ?? [],
			error: run.data.resultData.error ?? taskData?.error,
			run,
		};
	} finally {
		pendingInputs.delete(runId);
	}
}
