import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, Workflow } from 'n8n-workflow';

import { runWorkflow } from './engine';

export interface CredentialTestOutcome {
	statusCode: number;
	body: string;
	/** What n8n's credential dialog would report for this answer. */
	verdict: { status: 'OK' | 'Error'; message: string };
	/** The request as sent after n8n resolved the credential's expressions. */
	request: IDataObject;
}

/** A node type for the expression engine's bookkeeping; it never runs. */
const inert: INodeType = {
	description: {
		displayName: 'Expression Host',
		name: 'expressionHost',
		group: ['transform'],
		version: 1,
		description: 'Hosts credential expressions',
		defaults: { name: 'Expression Host' },
		inputs: [],
		outputs: [],
		properties: [],
	},
};

/** Resolves `={{$credentials.x}}` in the credential's test request with n8n's expression engine. */
function resolveTestRequest(type: ICredentialType, data: ICredentialDataDecryptedObject): IHttpRequestOptions {
	if (!type.test) throw new Error(`${type.name} has no test request`);
	const node = { id: 'x', name: 'x', type: 'x', typeVersion: 1, position: [0, 0] as [number, number], parameters: {} };
	const workflow = new Workflow({
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: { getByName: () => inert, getByNameAndVersion: () => inert, getKnownTypes: () => ({}) },
	});
	const resolve = (value: unknown) =>
		typeof value === 'string' && value.startsWith('=')
			? workflow.expression.getSimpleParameterValue(node, value, 'internal', { $credentials: data }, undefined, '')
			: value;
	const { request } = type.test;
	return {
		method: request.method ?? 'GET',
		baseURL: resolve(request.baseURL) as string | undefined,
		url: resolve(request.url) as string,
		qs: request.qs as IDataObject | undefined,
	};
}

/** n8n's credentials tester: a 2xx passes; otherwise a `responseCode` rule's message, else the status text. */
function verdictOf(type: ICredentialType, statusCode: number, statusMessage?: string): CredentialTestOutcome['verdict'] {
	if (statusCode >= 200 && statusCode <= 299) return { status: 'OK', message: 'Connection successful!' };
	for (const rule of type.test?.rules ?? []) {
		if (rule.type === 'responseCode' && rule.properties.value === statusCode) return { status: 'Error', message: rule.properties.message };
	}
	return { status: 'Error', message: statusMessage || `Received HTTP status code: ${statusCode}` };
}

/**
 * Runs a credential type's `test` request the way n8n's "Test" button does: expressions resolved,
 * the credential's `authenticate` applied by the engine, real HTTP. n8n reports success for 2xx.
 */
export async function runCredentialTest(
	type: ICredentialType,
	data: ICredentialDataDecryptedObject,
): Promise<CredentialTestOutcome> {
	const request = resolveTestRequest(type, data);
	class CredentialTester implements INodeType {
		description: INodeTypeDescription = {
			displayName: 'Credential Tester',
			name: 'credentialTester',
			group: ['transform'],
			version: 1,
			description: 'Sends a credential test request',
			defaults: { name: 'Credential Tester' },
			inputs: [NodeConnectionTypes.Main],
			outputs: [NodeConnectionTypes.Main],
			credentials: [{ name: type.name, required: true }],
			properties: [],
		};

		async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
			const response = (await this.helpers.httpRequestWithAuthentication.call(this, type.name, {
				...request,
				encoding: 'text',
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
			})) as { statusCode: number; statusMessage?: string; body: string };
			const verdict = verdictOf(type, response.statusCode, response.statusMessage);
			return [[{ json: { statusCode: response.statusCode, body: response.body, verdict, request: { ...request } } }]];
		}
	}
	const result = await runWorkflow({
		parameters: {},
		items: [{}],
		typeName: 'harness.credentialTester',
		nodeType: new CredentialTester(),
		credentialTypes: [type],
		credentials: { [type.name]: data },
	});
	if (result.error) throw result.error;
	return result.items[0].json as unknown as CredentialTestOutcome;
}
