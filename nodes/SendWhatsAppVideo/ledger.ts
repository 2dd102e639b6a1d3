import type { IDataObject, INode, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

/** What became of one item's send that must hold in every later try of the same run. */
type Settled =
	| { kind: 'sent'; json: IDataObject }
	| { kind: 'maybeDelivered'; message: string; description: string; httpCode?: string };

interface Entry {
	/** The item's recipient and video as planned, so a different item at the same index is sent. */
	fingerprint: string;
	settled: Settled;
}

/**
 * Items this node already sent in one run, across n8n's "Retry On Fail" tries.
 *
 * n8n runs the whole node again after it throws, and also after it returns an error as its first
 * item (with Continue On Fail), up to five times. Without this, every video that went out in an
 * earlier try would go out again, and a send whose outcome is unknown would be repeated. The
 * ledger belongs to the node and the input items array n8n hands to every try of one run: a new
 * run (a loop pass, a new execution) gets a new array and sends afresh, and the ledger goes with
 * the array.
 */
export class SentLedger {
	/** By input array, then by node: n8n may hand one array to two nodes on two branches. */
	private static readonly byInput = new WeakMap<object, Map<string, SentLedger>>();

	private readonly entries = new Map<number, Entry>();

	static of(input: INodeExecutionData[], node: INode): SentLedger {
		let byNode = SentLedger.byInput.get(input);
		if (!byNode) {
			byNode = new Map();
			SentLedger.byInput.set(input, byNode);
		}
		let ledger = byNode.get(node.name);
		if (!ledger) {
			ledger = new SentLedger();
			byNode.set(node.name, ledger);
		}
		return ledger;
	}

	/** Forgets the run once n8n will not try it again. */
	static close(input: INodeExecutionData[], node: INode): void {
		SentLedger.byInput.get(input)?.delete(node.name);
	}

	recordSent(itemIndex: number, fingerprint: string, json: IDataObject): void {
		this.entries.set(itemIndex, { fingerprint, settled: { kind: 'sent', json } });
	}

	recordMaybeDelivered(itemIndex: number, fingerprint: string, error: NodeApiError): void {
		const { message, description, httpCode } = error;
		this.entries.set(itemIndex, {
			fingerprint,
			settled: { kind: 'maybeDelivered', message, description: description ?? '', httpCode: httpCode ?? undefined },
		});
	}

	/** Whether an earlier try of this run settled the item (then `replay` answers for it). */
	holds(itemIndex: number, fingerprint: string): boolean {
		return this.entries.get(itemIndex)?.fingerprint === fingerprint;
	}

	/**
	 * The output of an item sent in an earlier try, or undefined when it must be sent now. Throws
	 * the earlier error again for an item whose message may have been delivered then.
	 */
	replay(node: INode, itemIndex: number, fingerprint: string): IDataObject | undefined {
		const entry = this.entries.get(itemIndex);
		if (!entry || entry.fingerprint !== fingerprint) return undefined;
		if (entry.settled.kind === 'sent') return entry.settled.json;
		const { message, description, httpCode } = entry.settled;
		throw new NodeApiError(
			node,
			{},
			{ message, description: `${description} (Not sent again by Retry On Fail.)`.trim(), httpCode, itemIndex },
		);
	}
}
