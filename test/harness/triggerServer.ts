/**
 * The status trigger behind a real HTTP server, wired as n8n wires a webhook node: n8n-core's
 * HookContext runs its activation methods, and each request gets n8n-core's WebhookContext with the
 * request (parsed body plus `rawBody`, as n8n's webhook server keeps it) and a response object with
 * the express methods n8n hands to nodes. A request the node did not answer itself gets n8n's
 * "onReceived" answer, and returned items count as one started execution.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ExecutionLifecycleHooks, HookContext, WebhookContext } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	INode,
	INodeParameters,
	IWebhookData,
	IWebhookDescription,
	IWorkflowBase,
} from 'n8n-workflow';
import { Workflow } from 'n8n-workflow';

import { Dialog360Api } from '../../credentials/Dialog360Api.credentials';
import { LancepilotApi } from '../../credentials/LancepilotApi.credentials';
import { WhatsAppCloudApi } from '../../credentials/WhatsAppCloudApi.credentials';
import { WhatsAppVideoStatusTrigger } from '../../nodes/WhatsAppVideoStatusTrigger/WhatsAppVideoStatusTrigger.node';
import { TestCredentialsHelper } from './credentials';
import { NodeTypes, additionalDataFor } from './engine';

export const TRIGGER_TYPE = 'n8n-nodes-whatsapp-video.whatsAppVideoStatusTrigger';

/** What one HTTP request to the trigger came to. */
export interface TriggerRequest {
	method: string;
	webhook: string;
	status: number;
	body: string;
	/** The items of the execution it started, if any. */
	items?: IDataObject[];
}

export interface TriggerServer {
	/** Where the server really listens, e.g. http://127.0.0.1:41234 */
	origin: string;
	/** The production URL n8n shows for the trigger (behind a proxy on 443 in production). */
	webhookUrl: string;
	/** Maps the public URL to this server, as that proxy does. */
	forward(url: string): string;
	requests: TriggerRequest[];
	/** Items of each started execution, in order. */
	executions(): IDataObject[][];
	staticData(): IDataObject;
	activate(): Promise<void>;
	deactivate(): Promise<void>;
	close(): Promise<void>;
}

/** The express methods n8n's webhook response gives a node, on Node's own response. */
class WebhookResponse {
	statusCode = 200;

	private readonly headers: Record<string, string> = {};

	answered = false;

	text = '';

	constructor(private readonly res: ServerResponse) {}

	get headersSent(): boolean {
		return this.answered;
	}

	status(code: number): this {
		this.statusCode = code;
		return this;
	}

	type(contentType: string): this {
		this.headers['content-type'] = contentType.includes('/') ? contentType : `text/${contentType}`;
		return this;
	}

	json(body: unknown): this {
		this.headers['content-type'] ??= 'application/json';
		return this.send(JSON.stringify(body));
	}

	send(body?: string): this {
		if (this.answered) return this;
		this.answered = true;
		this.text = body ?? '';
		this.res.writeHead(this.statusCode, this.headers).end(body);
		return this;
	}

	end(): this {
		return this.send();
	}
}

/** The trigger as a saved workflow holds it, with a webhook ID of its own. */
export function triggerNode(parameters: INodeParameters, credentials: INode['credentials']): INode {
	return {
		id: randomUUID(),
		name: 'WhatsApp Video Status Trigger',
		type: TRIGGER_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters,
		webhookId: randomUUID(),
		credentials,
	};
}

export async function startTriggerServer(options: {
	parameters: INodeParameters;
	credentials: Record<string, ICredentialDataDecryptedObject>;
	/** The public host n8n's WEBHOOK_URL names; default a port-less one, as 360dialog requires. */
	publicBase?: string;
}): Promise<TriggerServer> {
	const nodeType = new WhatsAppVideoStatusTrigger();
	const credentialTypes = [new LancepilotApi(), new Dialog360Api(), new WhatsAppCloudApi()];
	const credentialsHelper = new TestCredentialsHelper(Object.fromEntries(credentialTypes.map((type) => [type.name, type])), options.credentials);
	const node = triggerNode(
		options.parameters,
		Object.fromEntries(credentialTypes.map((type) => [type.name, { id: type.name, name: `${type.displayName} account` }])),
	);
	const workflowId = `trigger-${node.webhookId}`;
	const nodeTypes = new NodeTypes({ [TRIGGER_TYPE]: nodeType });
	const workflow = new Workflow({ id: workflowId, name: workflowId, nodes: [node], connections: {}, nodeTypes, active: true, staticData: {} });
	const workflowData = { id: workflowId, name: workflowId, nodes: [node], connections: {}, active: true, settings: {} } as unknown as IWorkflowBase;
	const publicBase = options.publicBase ?? 'http://n8n.test';
	const additionalData = () => {
		const data = additionalDataFor(new ExecutionLifecycleHooks('webhook', workflowId, workflowData), credentialsHelper);
		data.webhookBaseUrl = `${publicBase}/webhook`;
		return data;
	};
	const description = (name: string) => nodeType.description.webhooks?.find((webhook) => webhook.name === name) as IWebhookDescription;
	const webhookData = (name: string): IWebhookData => ({
		httpMethod: description(name).httpMethod as IWebhookData['httpMethod'],
		node: node.name,
		path: `${node.webhookId}/${String(description(name).path)}`,
		webhookDescription: description(name),
		workflowId,
		workflowExecuteAdditionalData: additionalData(),
		webhookId: node.webhookId,
	});
	const hookContext = () => new HookContext(workflow, node, additionalData(), 'trigger', 'activate', webhookData('default'));

	const requests: TriggerRequest[] = [];
	const handle = async (req: IncomingMessage, res: ServerResponse) => {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const rawBody = Buffer.concat(chunks);
		const url = new URL(req.url ?? '/', 'http://localhost');
		const name = req.method === 'GET' ? 'setup' : 'default';
		if (url.pathname !== `/webhook/${node.webhookId}/status` || (req.method !== 'GET' && req.method !== 'POST')) {
			res.writeHead(404).end();
			return;
		}
		let body: unknown = {};
		try {
			body = rawBody.length && String(req.headers['content-type']).includes('json') ? JSON.parse(rawBody.toString('utf8')) : {};
		} catch {
			res.writeHead(400).end();
			return;
		}
		const response = new WebhookResponse(res);
		const data = additionalData();
		data.httpRequest = { method: req.method, headers: req.headers, query: Object.fromEntries(url.searchParams), body, rawBody } as never;
		data.httpResponse = response as never;
		const context = new WebhookContext(workflow, node, data, 'webhook', webhookData(name), [], null);
		const record: TriggerRequest = { method: req.method ?? '', webhook: name, status: 0, body: '' };
		try {
			const result = await nodeType.webhook.call(context);
			if (!result.noWebhookResponse) response.status(200).json({ message: 'Workflow was started' });
			const items = result.workflowData?.[0]?.map((item) => item.json);
			if (items) record.items = items;
		} catch (error) {
			if (!response.answered) response.status(500).json({ message: (error as Error).message });
		}
		record.status = response.statusCode;
		record.body = response.text;
		requests.push(record);
	};
	const server = createServer((req, res) => void handle(req, res));
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

	return {
		origin,
		webhookUrl: `${publicBase}/webhook/${node.webhookId}/status`,
		forward: (url) => (url.startsWith(publicBase) ? `${origin}${url.slice(publicBase.length)}` : url),
		requests,
		executions: () => requests.flatMap((request) => (request.items ? [request.items] : [])),
		staticData: () => workflow.staticData as IDataObject,
		async activate() {
			const trigger = nodeType.webhookMethods.default;
			if (!(await trigger.checkExists.call(hookContext()))) await trigger.create.call(hookContext());
		},
		async deactivate() {
			await nodeType.webhookMethods.default.delete.call(hookContext());
		},
		close: async () => await new Promise<void>((resolve) => server.close(() => resolve())),
	};
}
