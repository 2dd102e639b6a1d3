/**
 * n8n processes receiving the status trigger's production webhooks, as n8n 2.8 to 2.41 handle one
 * (LiveWebhooks.executeWebhook and webhook-helpers' executeWebhook), around one shared "database"
 * that holds the workflow's static data:
 *
 * 1. every request loads the workflow with its static data as last saved, into a new n8n-workflow
 *    Workflow (whose static data notes any change);
 * 2. n8n-core's WebhookContext runs the trigger's webhook();
 * 3. a request the node answered itself (`noWebhookResponse`) is done; otherwise n8n starts an
 *    execution for returned items and then answers 200 with the node's `webhookResponse`;
 * 4. then, if the node changed the static data, it is saved (WorkflowStaticDataService.saveStaticData).
 *
 * Each process loads its own copy of the node's module (jest.isolateModules), so what the trigger
 * remembers in memory is per process, as in n8n; a restart is a new process over the same database.
 */
import { createHmac } from 'node:crypto';

import { ExecutionLifecycleHooks, WebhookContext } from 'n8n-core';
import type { IDataObject, INodeParameters, IWebhookData, IWebhookDescription, IWorkflowBase, IWebhookResponseData } from 'n8n-workflow';
import { Workflow } from 'n8n-workflow';

import { WhatsAppCloudApi } from '../../../credentials/WhatsAppCloudApi.credentials';
import type { WhatsAppVideoStatusTrigger } from '../../../nodes/WhatsAppVideoStatusTrigger/WhatsAppVideoStatusTrigger.node';
import { TestCredentialsHelper } from '../../harness/credentials';
import { NodeTypes, additionalDataFor } from '../../harness/engine';
import { D } from '../../harness/setup';
import { TRIGGER_TYPE, triggerNode } from '../../harness/triggerServer';


/** The workflow's row as the processes share it. */
export interface Database {
	staticData: string;
	/** How many times a process saved the static data. */
	writes: number;
}

export interface Answer {
	status: number;
	body: unknown;
	/** Whether the trigger answered the request itself rather than leaving it to n8n. */
	answeredByNode: boolean;
	/** The items of the execution n8n started, if any. */
	items?: IDataObject[];
}

/** A WhatsApp Cloud API status as Meta sends it. */
export const status = (messageId: string, state: string) => ({ id: messageId, status: state, timestamp: '1764500000', recipient_id: '4915100000000' });

export const statusBody = (statuses: Array<ReturnType<typeof status>>) => ({
	object: 'whatsapp_business_account',
	entry: [{ id: D.metaBusinessAccountId, changes: [{ field: 'messages', value: { statuses } }] }],
});

class Response {
	statusCode = 200;

	sent?: unknown;

	get headersSent(): boolean {
		return this.sent !== undefined;
	}

	status(code: number): this {
		this.statusCode = code;
		return this;
	}

	type(): this {
		return this;
	}

	json(body: unknown): this {
		this.sent = body;
		return this;
	}

	send(body?: unknown): this {
		this.sent = body ?? '';
		return this;
	}

	end(): this {
		return this.send();
	}
}

export interface N8nProcess {
	/** A signed POST of `body` to the trigger's production URL. */
	post(body: unknown, options?: { signature?: 'valid' | 'invalid' }): Promise<Answer>;
	/** Meta's verification GET. */
	verify(verifyToken: string, challenge: string): Promise<Answer>;
	/** Every execution this process started, its items. */
	executions: IDataObject[][];
}

/** One workflow (id, node, credential) whose webhooks any number of processes receive. */
export function sharedWorkflow(parameters: INodeParameters = {}) {
	const database: Database = { staticData: '{}', writes: 0 };
	const node = triggerNode(
		{ provider: 'whatsappCloud', verifyToken: 'my-verify-token', ...parameters },
		{ whatsAppCloudApi: { id: 'meta', name: 'Meta account' } },
	);
	const workflowId = `trigger-${node.webhookId}`;
	const credentialsHelper = new TestCredentialsHelper(
		{ whatsAppCloudApi: new WhatsAppCloudApi() },
		{ whatsAppCloudApi: { accessToken: D.metaAccessToken, phoneNumberId: D.metaPhoneNumberId, appSecret: D.metaAppSecret, baseUrl: 'http://127.0.0.1:9' } },
	);
	const workflowData = { id: workflowId, name: workflowId, nodes: [node], connections: {}, active: true, settings: {} } as unknown as IWorkflowBase;

	/** A new n8n process: the trigger's module loaded afresh, nothing in memory. */
	function startProcess(): N8nProcess {
		let nodeType!: WhatsAppVideoStatusTrigger;
		jest.isolateModules(() => {
			// eslint-disable-next-line @typescript-eslint/no-require-imports
			nodeType = new (require('../../../nodes/WhatsAppVideoStatusTrigger/WhatsAppVideoStatusTrigger.node') as typeof import('../../../nodes/WhatsAppVideoStatusTrigger/WhatsAppVideoStatusTrigger.node')).WhatsAppVideoStatusTrigger();
		});
		const executions: IDataObject[][] = [];
		const description = (name: string) => nodeType.description.webhooks?.find((webhook) => webhook.name === name) as IWebhookDescription;

		async function request(method: 'GET' | 'POST', headers: Record<string, string>, query: IDataObject, body: unknown, rawBody: Buffer): Promise<Answer> {
			const name = method === 'GET' ? 'setup' : 'default';
			const staticData = JSON.parse(database.staticData) as IDataObject;
			const workflow = new Workflow({ id: workflowId, name: workflowId, nodes: [node], connections: {}, nodeTypes: new NodeTypes({ [TRIGGER_TYPE]: nodeType }), active: true, staticData });
			const additionalData = additionalDataFor(new ExecutionLifecycleHooks('webhook', workflowId, workflowData), credentialsHelper);
			const response = new Response();
			additionalData.httpRequest = { method, headers, query, body, rawBody } as never;
			additionalData.httpResponse = response as never;
			const webhookData: IWebhookData = {
				httpMethod: method,
				node: node.name,
				path: `${node.webhookId}/status`,
				webhookDescription: description(name),
				workflowId,
				workflowExecuteAdditionalData: additionalData,
				webhookId: node.webhookId,
			};
			const result: IWebhookResponseData = await nodeType.webhook.call(new WebhookContext(workflow, node, additionalData, 'webhook', webhookData, [], null));
			const answeredByNode = response.headersSent;
			const answer: Answer = { status: response.statusCode, body: response.sent, answeredByNode };
			if (!result.noWebhookResponse) {
				const items = result.workflowData?.[0]?.map((item) => item.json);
				if (items) {
					executions.push(items);
					answer.items = items;
				}
				answer.status = 200;
				answer.body = result.webhookResponse ?? { message: items ? 'Workflow was started' : 'Webhook call received' };
			}
			// n8n-workflow's static data marks any change in `__dataChanged` (not enumerable: not saved).
			if ((workflow.staticData as IDataObject).__dataChanged === true) {
				database.staticData = JSON.stringify(workflow.staticData);
				database.writes += 1;
			}
			return answer;
		}

		return {
			executions,
			async post(body, options = {}) {
				const rawBody = Buffer.from(JSON.stringify(body));
				const secret = options.signature === 'invalid' ? 'another-secret' : D.metaAppSecret;
				const signature = `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
				return await request('POST', { 'content-type': 'application/json', 'x-hub-signature-256': signature }, {}, body, rawBody);
			},
			async verify(verifyToken, challenge) {
				const query = { 'hub.mode': 'subscribe', 'hub.verify_token': verifyToken, 'hub.challenge': challenge };
				return await request('GET', {}, query, {}, Buffer.alloc(0));
			},
		};
	}

	return {
		database,
		startProcess,
		/** The trigger node's part of the saved static data. */
		stored: () => ((JSON.parse(database.staticData) as IDataObject)[`node:${node.name}`] ?? {}) as IDataObject,
	};
}
