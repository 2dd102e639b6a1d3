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
import { recipientLane } from './recipientOrder';
import { fingerprintOf, sendPlanned } from './send';
import { SendOnceClaim, sendOnceKeyOf, skippedJson } from './sendOnce';
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

/** What a stopped run did with the other items, and how to run again, in words a user can act on. */
function describeStop(outcome: { sent: number[]; skipped: number[]; unsent: number[] }, sendOnce: boolean): string {
	const { sent, skipped, unsent } = outcome;
	const parts = [sent.length ? `Sent before the run stopped: items ${sent.join(', ')}.` : 'Nothing was sent before the run stopped.'];
	if (skipped.length) parts.push(`Skipped by Send Once (sent by an earlier run): items ${skipped.join(', ')}.`);
	if (unsent.length) parts.push(`Not sent: items ${unsent.join(', ')}.`);
	if (sendOnce) {
		parts.push('Send Once recorded what went out: fix the problem, then run the workflow again or retry the execution, and only the items not sent go out.');
	} else if (sent.length) {
		parts.push(
			'Running the workflow again sends these items again. To reach only the others, run it again with just the items not sent; turn on Options → Send Once to make later re-runs skip what went out.',
		);
	}
	return parts.join(' ');
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

		const ledger = SentLedger.of(items, node);
		const fingerprints = planned.map((plan) => (plan ? fingerprintOf(settings, plan) : ''));

		// Send Once: claim every key of the run in one go (n8n's store rewrites a whole row per call).
		// A dry run leaves the store alone: it has no call that reads without recording.
		const onceKeys = new Map<number, string>();
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			const plan = planned[itemIndex];
			if (!plan?.sendOnce || settings.dryRun || ledger.holds(itemIndex, fingerprints[itemIndex])) continue;
			try {
				onceKeys.set(itemIndex, await sendOnceKeyOf(this, settings, plan));
			} catch (caught) {
				const error = asNodeError(this, caught, itemIndex);
				if (!this.continueOnFail()) throw error;
				results[itemIndex] = errorItem(error, itemIndex);
				planned[itemIndex] = undefined;
			}
		}
		const claim = onceKeys.size
			? await SendOnceClaim.take(this, [...onceKeys].map(([itemIndex, key]) => ({ itemIndex, key })))
			: undefined;
		for (const [itemIndex, reason] of claim?.skipped ?? []) {
			const json = skippedJson(planned[itemIndex] as PlannedItem, settings, onceKeys.get(itemIndex) as string, reason);
			results[itemIndex] = { json, pairedItem: { item: itemIndex } };
			planned[itemIndex] = undefined;
		}

		// Send with bounded concurrency, each recipient's items one at a time in input order. Without
		// Continue On Fail the first failure stops new sends; those already in flight finish, and the
		// error says which items went out.
		const failures: Array<{ error: NodeError; itemIndex: number }> = [];
		const accepted = new Set<number>();
		const uncertain = new Set<number>();
		const queue = planned.flatMap((plan, itemIndex) => (plan ? [itemIndex] : []));
		await runPool(
			queue,
			settings.concurrency,
			(itemIndex) => recipientLane(settings, planned[itemIndex] as PlannedItem),
			async (itemIndex, standAside) => {
				const plan = planned[itemIndex] as PlannedItem;
				plan.context.standAside = standAside;
				const fingerprint = fingerprints[itemIndex];
				try {
					const outcome = ledger.replay(node, itemIndex, fingerprint) ?? (await sendPlanned(this, settings, plan));
					ledger.recordSent(itemIndex, fingerprint, outcome);
					accepted.add(itemIndex);
					results[itemIndex] = { json: outcome, pairedItem: { item: itemIndex } };
				} catch (caught) {
					if (mayHaveBeenDelivered(caught)) {
						ledger.recordMaybeDelivered(itemIndex, fingerprint, caught);
						uncertain.add(itemIndex);
					}
					const error = asNodeError(this, caught, itemIndex);
					if (this.continueOnFail()) results[itemIndex] = errorItem(error, itemIndex);
					else failures.push({ error, itemIndex });
				}
				planned[itemIndex] = undefined;
			},
			() => failures.length > 0,
		);
		await claim?.settle({ accepted, uncertain });

		const [failure] = failures.sort((a, b) => a.itemIndex - b.itemIndex);
		if (failure) {
			const skipped = [...(claim?.skipped.keys() ?? [])].sort((a, b) => a - b);
			const sent = [...accepted].sort((a, b) => a - b);
			const unsent = items.flatMap((_, index) => (results[index] || index === failure.itemIndex ? [] : [index]));
			const description = describeStop({ sent, skipped, unsent }, onceKeys.size > 0);
			failure.error.description = `${failure.error.description ?? ''} ${description}`.trim();
			throw failure.error;
		}
		// n8n's Retry On Fail runs the node again when the first item is an error: keep the ledger then.
		if (results[0]?.json.error === undefined) SentLedger.close(items, node);
		return [results as INodeExecutionData[]];
	}
}
