import type {
	IHookFunctions,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { sendNodeCredentials } from '../SendWhatsAppVideo/description';
import { PROVIDERS } from '../SendWhatsAppVideo/providers';
import type { StatusWebhookSupport, VideoProvider } from '../SendWhatsAppVideo/providers/types';
import { firstSightings } from './recentStatuses';

type WebhookProvider = VideoProvider & { statusWebhook: StatusWebhookSupport };

const WEBHOOK_PROVIDERS = PROVIDERS.filter((provider): provider is WebhookProvider => provider.statusWebhook !== undefined);

const STATUSES = ['sent', 'delivered', 'read', 'failed'];

function providerOf(ctx: IHookFunctions | IWebhookFunctions): WebhookProvider {
	const name = ctx.getNodeParameter('provider', WEBHOOK_PROVIDERS[0].name) as string;
	const provider = WEBHOOK_PROVIDERS.find((candidate) => candidate.name === name);
	if (!provider) throw new NodeOperationError(ctx.getNode(), `The status trigger cannot receive webhooks from "${name}"`);
	return provider;
}

function providerFields(): INodeProperties[] {
	return WEBHOOK_PROVIDERS.flatMap((provider) => {
		const shownFor = { show: { provider: [provider.name] } };
		const notice: INodeProperties[] = provider.statusWebhook.setupNotice
			? [{ displayName: provider.statusWebhook.setupNotice, name: `${provider.name}SetupNotice`, type: 'notice', default: '', displayOptions: shownFor }]
			: [];
		return [...notice, ...provider.statusWebhook.fields.map((field) => ({ ...field, displayOptions: shownFor }))];
	});
}

const firstProvider = WEBHOOK_PROVIDERS[0].name;

export class WhatsAppVideoStatusTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WhatsApp Video Status Trigger',
		name: 'whatsAppVideoStatusTrigger',
		icon: { light: 'file:whatsAppVideoStatusTrigger.svg', dark: 'file:whatsAppVideoStatusTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ $parameter["statuses"].join(", ") }}',
		description: 'Starts the workflow when WhatsApp reports that a message was sent, delivered, read or failed',
		defaults: { name: 'WhatsApp Video Status Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: sendNodeCredentials(WEBHOOK_PROVIDERS),
		webhooks: [
			{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'status' },
			// Meta verifies a callback URL with a GET before it delivers anything to it.
			{ name: 'setup', httpMethod: 'GET', responseMode: 'onReceived', path: 'status' },
		],
		properties: [
			{
				displayName:
					'One item per status WhatsApp reports for messages sent from this number, matched by Message ID to what Send WhatsApp Video returned. Incoming customer messages and other webhook events are ignored.',
				name: 'aboutNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Provider',
				name: 'provider',
				type: 'options',
				noDataExpression: true,
				options: WEBHOOK_PROVIDERS.map((provider) => ({ name: provider.displayName, value: provider.name })),
				default: firstProvider,
				description: 'The WhatsApp Business provider whose status webhooks this trigger receives',
			},
			{
				displayName: 'Statuses',
				name: 'statuses',
				type: 'multiOptions',
				options: [
					{ name: 'Sent', value: 'sent', description: 'WhatsApp sent the message to the recipient\'s phone' },
					{ name: 'Delivered', value: 'delivered', description: 'The message arrived on the recipient\'s phone' },
					{ name: 'Read', value: 'read', description: 'The recipient opened it (only when they share read receipts)' },
					{ name: 'Failed', value: 'failed', description: 'WhatsApp could not deliver it; errors say why and what to do' },
				],
				default: ['sent', 'delivered', 'read', 'failed'],
				description: 'Which statuses start the workflow',
			},
			...providerFields(),
		],
	};

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return await providerOf(this).statusWebhook.checkExists(this);
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return await providerOf(this).statusWebhook.create(this);
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return await providerOf(this).statusWebhook.delete(this);
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const provider = providerOf(this);
		const verdict = await provider.statusWebhook.verify(this);
		// Handshakes and refusals are answered by the provider's check and start nothing.
		if (verdict.kind === 'answered') return { noWebhookResponse: true };
		const wanted = new Set(this.getNodeParameter('statuses', STATUSES) as string[]);
		const events = provider.statusWebhook.readStatuses(this.getBodyData()).filter((event) => wanted.has(event.status));
		const fresh = firstSightings(`${this.getWorkflow().id ?? ''}:${this.getNode().name}`, this.getWorkflowStaticData('node'), events);
		// n8n answers (200 with this body), as for its Webhook node's "Respond Immediately": after it has
		// started the execution, so a burst of deliveries waits at the door instead of piling up inside
		// n8n as executions not yet started.
		const webhookResponse = { received: events.length, new: fresh.length };
		if (fresh.length === 0) return { webhookResponse };
		return { webhookResponse, workflowData: [this.helpers.returnJsonArray(fresh)] };
	}
}
