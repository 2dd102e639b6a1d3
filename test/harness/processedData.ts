/**
 * n8n's deduplication store as the n8n server provides it to n8n-core (the CLI's DeduplicationHelper
 * over the `processed_data` table), for the in-process engine: one row per workflow and scope
 * holding `{ mode, data }`, entries as MD5 (base64) of each value, the oldest dropped beyond
 * `maxEntries`, and every call reading the row and later writing it back whole, with nothing in
 * between to stop another call. `gapMs` widens the time between that read and that write, so a
 * test can make two executions overlap the way two n8n processes can. The real store runs in the
 * e2e (n8n 2.8.4 and 2.41.1) and in the queue-mode test.
 */
import { createHash } from 'node:crypto';

import { DataDeduplicationService } from 'n8n-core';
import type {
	DeduplicationItemTypes,
	DeduplicationScope,
	ICheckProcessedContextData,
	ICheckProcessedOptions,
	IDataDeduplicator,
	IDeduplicationOutput,
} from 'n8n-workflow';

interface Row {
	mode: string;
	data: string[];
}

const hashOf = (value: DeduplicationItemTypes) => createHash('md5').update(value.toString()).digest('base64');

class ProcessedDataStore implements IDataDeduplicator {
	private readonly rows = new Map<string, string>();
	/** Milliseconds between a call's read of the row and its write. */
	gapMs = 0;
	/** Store calls made, by kind: what a run costs in round trips to n8n's database. */
	readonly calls = { record: 0, remove: 0 };
	/** Set to make every call fail, as a database n8n cannot write to does. */
	failWith: Error | undefined;

	private rowKey(scope: DeduplicationScope, contextData: ICheckProcessedContextData): string {
		if (scope === 'node' && !contextData.node) throw new Error("No node information has been provided and so cannot use scope 'node'");
		if (!contextData.workflow.id) throw new Error('The workflow has no id');
		return `${contextData.workflow.id}|${scope === 'node' ? `n:${contextData.node?.id}` : ''}`;
	}

	/** Reads like a database: a copy, so a write of someone else's copy replaces it whole. */
	private read(key: string): Row | undefined {
		const stored = this.rows.get(key);
		return stored === undefined ? undefined : (JSON.parse(stored) as Row);
	}

	private async gap(): Promise<void> {
		if (this.gapMs > 0) await new Promise((resolve) => setTimeout(resolve, this.gapMs));
	}

	async checkProcessedAndRecord(
		items: DeduplicationItemTypes[],
		scope: DeduplicationScope,
		contextData: ICheckProcessedContextData,
		options: ICheckProcessedOptions,
	): Promise<IDeduplicationOutput> {
		this.calls.record++;
		if (this.failWith) throw this.failWith;
		if (options.mode !== 'entries') throw new Error('The harness store keeps entries only');
		const key = this.rowKey(scope, contextData);
		const row = this.read(key);
		await this.gap();
		if (row && row.mode !== options.mode) throw new Error('Deduplication data was originally saved with an incompatible setting');
		const hashes = items.map(hashOf);
		if (!row) {
			// n8n inserts the row: a second insert of the same row fails on its primary key.
			if (this.rows.has(key)) throw new Error('duplicate key value violates unique constraint "PK_processed_data"');
			if (options.maxEntries) hashes.splice(0, hashes.length - options.maxEntries);
			this.rows.set(key, JSON.stringify({ mode: options.mode, data: hashes }));
			return { new: items, processed: [] };
		}
		const output: IDeduplicationOutput = { new: [], processed: [] };
		// As n8n 2.8 to 2.41 do: the entries as read, so a value twice in one call is new twice.
		const before = new Set(row.data);
		hashes.forEach((hash, index) => {
			if (before.has(hash)) output.processed.push(items[index]);
			else {
				output.new.push(items[index]);
				row.data.push(hash);
			}
		});
		if (options.maxEntries) row.data.splice(0, row.data.length - options.maxEntries);
		this.rows.set(key, JSON.stringify(row));
		return output;
	}

	async removeProcessed(
		items: DeduplicationItemTypes[],
		scope: DeduplicationScope,
		contextData: ICheckProcessedContextData,
	): Promise<void> {
		this.calls.remove++;
		if (this.failWith) throw this.failWith;
		const key = this.rowKey(scope, contextData);
		const row = this.read(key);
		await this.gap();
		if (!row) return;
		for (const hash of items.map(hashOf)) {
			const index = row.data.indexOf(hash);
			if (index !== -1) row.data.splice(index, 1);
		}
		this.rows.set(key, JSON.stringify(row));
	}

	async clearAllProcessedItems(scope: DeduplicationScope, contextData: ICheckProcessedContextData): Promise<void> {
		this.rows.delete(this.rowKey(scope, contextData));
	}

	async getProcessedDataCount(scope: DeduplicationScope, contextData: ICheckProcessedContextData): Promise<number> {
		return this.read(this.rowKey(scope, contextData))?.data.length ?? 0;
	}

	/** The stored row of one workflow's node, as n8n's `processed_data.value` column holds it. */
	storedValue(workflowId: string, nodeId: string): string | undefined {
		return this.rows.get(`${workflowId}|n:${nodeId}`);
	}

	/** Whether `value` is among the entries of one workflow's node. */
	holds(workflowId: string, nodeId: string, value: string): boolean {
		return this.read(`${workflowId}|n:${nodeId}`)?.data.includes(hashOf(value)) ?? false;
	}
}

export const processedData = new ProcessedDataStore();

let initialised: Promise<void> | undefined;

/** Hands the store to n8n-core's deduplication service, as the n8n server does at start. */
export async function useProcessedDataStore(): Promise<void> {
	initialised ??= DataDeduplicationService.init(processedData);
	await initialised;
}
