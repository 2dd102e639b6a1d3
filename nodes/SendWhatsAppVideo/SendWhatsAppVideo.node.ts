import type {
	IDataObject,
	IExecuteFunctions,
	ILoadOptionsFunctions,
	INodeExecutionData,
	INodeListSearchResult,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeError, NodeOperationError } from 'n8n-workflow';

import { sendNodeCredentials, sendNodeDescription, sendNodeProperties, sendNodeSubtitle } from './description';
import { SentLedger } from './ledger';
import type { PlannedItem } from './plan';
import { planItem, runSettings } from './plan';
import { PROVIDERS } from './providers';
import { fingerprintOf, sendPlanned } from './send';
import { searchTemplates } from './templateSearch';
import { mayHaveBeenDelivered } from './transport';
import { runPool } from './workerPool';

function asNodeError(ctx: IExecuteFunctions, caught: unknown, itemIndex: number): NodeError {
	return caught instanceof NodeError ? caught : new NodeOperationError(ctx.getNode(), caught as Error, { itemIndex });
}

function errorItem(error: NodeError, itemIndex: number): INodeExecutionData {
	const json: IDataObject = { error: error.message };
	if (error.description) json.description = error.description;
	if ('httpCode' in error && error.httpCode) json.httpCode = error.httpCode;
	return { json, pairedItem: { item: itemIndex } };
}

/** What a stopped run did with the other items, in words a user can act on. */
function describeStop(sent: number[], unsent: number[]): string {
	const before = sent.length ? `Sent before the run stopped: items ${sent.join(', ')}.` : 'Nothing was sent before the run stopped.';
	return unsent.length ? `${before} Not sent: items ${unsent.join(', ')}.` : before;
}

export class SendWhatsAppVideo implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Send WhatsApp Video',
		name: 'sendWhatsAppVideo',
		icon: { light: 'file:sendWhatsAppVideo.svg', dark: 'file:sendWhatsAppVideo.dark.svg' },
		group: ['output'],
		// Version 2: Workspace ID became a picker (a resource locator); version-1 workflows keep their text field.
		version: [1, 2],
		defaultVersion: 2,
		subtitle: sendNodeSubtitle(PROVIDERS),
		description: sendNodeDescription(PROVIDERS),
		defaults: { name: 'Send WhatsApp Video' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: sendNodeCredentials(PROVIDERS),
		properties: sendNodeProperties(PROVIDERS),
	};

	methods = {
		listSearch: Object.assign({ searchTemplates }, ...PROVIDERS.map((provider) => provider.listSearch ?? {})) as Record<
			string,
			(this: ILoadOptionsFunctions, filter?: string) => Promise<INodeListSearchResult>
		>,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const node = this.getNode();
		const results: Array<INodeExecutionData | undefined> = new Array(items.length);
		const settings = runSettings(this);

		// Check every item before sending any, so a bad item in the batch stops the run before a
		// single video goes out (or, with Continue On Fail, becomes its error item).
		const planned: Array<PlannedItem | undefined> = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				planned[itemIndex] = await planItem(this, settings, { node, itemIndex });
			} catch (caught) {
				const error = asNodeError(this, caught, itemIndex);
				if (!this.continueOnFail()) throw error;
				results[itemIndex] = errorItem(error, itemIndex);
			}
		}

		// Send with bounded concurrency. Without Continue On Fail the first failure stops new sends;
		// those already in flight finish, and the error says which items went out.
		const failures: Array<{ error: NodeError; itemIndex: number }> = [];
		const ledger = SentLedger.of(items, node);
		const queue = planned.flatMap((plan, itemIndex) => (plan ? [itemIndex] : []));
		await runPool(
			queue,
			settings.concurrency,
			async (itemIndex) => {
				const plan = planned[itemIndex] as PlannedItem;
				const fingerprint = fingerprintOf(settings, plan);
				try {
					const outcome = ledger.replay(node, itemIndex, fingerprint) ?? (await sendPlanned(this, settings, plan));
					ledger.recordSent(itemIndex, fingerprint, outcome);
					results[itemIndex] = { json: outcome, pairedItem: { item: itemIndex } };
				} catch (caught) {
					if (mayHaveBeenDelivered(caught)) ledger.recordMaybeDelivered(itemIndex, fingerprint, caught);
					const error = asNodeError(this, caught, itemIndex);
					if (this.continueOnFail()) results[itemIndex] = errorItem(error, itemIndex);
					else failures.push({ error, itemIndex });
				}
				planned[itemIndex] = undefined;
			},
			() => failures.length > 0,
		);

		const [failure] = failures.sort((a, b) => a.itemIndex - b.itemIndex);
		if (failure) {
			const sent = results.flatMap((result, index) => (result ? [index] : []));
			const unsent = items.flatMap((_, index) => (results[index] || index === failure.itemIndex ? [] : [index]));
			failure.error.description = `${failure.error.description ?? ''} ${describeStop(sent, unsent)}`.trim();
			throw failure.error;
		}
		// n8n's Retry On Fail runs the node again when the first item is an error: keep the ledger then.
		if (results[0]?.json.error === undefined) SentLedger.close(items, node);
		return [results as INodeExecutionData[]];
	}
}
