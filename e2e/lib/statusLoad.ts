/**
 * A campaign's status webhooks as load on real n8n, for bench:webhooks and test:queue: signed Meta
 * status bodies, a sender that posts them on a fixed schedule whatever n8n answers (so a slow answer
 * shows as time, not as a lower rate), and a sink that counts what the workflows passed on.
 */
import { createHmac } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { EMULATOR_DEFAULTS as D } from '../../test/emulator/server';
import { metaStatusBody } from './metaStatusBody';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `messageId status` pairs in what an HTTP Request node sent: a trigger item, or the Webhook node's item with Meta's body. */
function statusesIn(text: string): string[] {
	let json: Record<string, unknown>;
	try {
		json = JSON.parse(text) as Record<string, unknown>;
	} catch {
		return [];
	}
	if (typeof json.messageId === 'string') return [`${json.messageId} ${String(json.status)}`];
	const body = json.body as { entry?: Array<{ changes?: Array<{ value?: { statuses?: Array<{ id: string; status: string }> } }> }> } | undefined;
	return (body?.entry ?? []).flatMap((entry) => (entry.changes ?? []).flatMap((change) => (change.value?.statuses ?? []).map((s) => `${s.id} ${s.status}`)));
}

/** The statuses a workflow's HTTP Request node posted here, by `messageId status`, with when it got the last request. */
export class StatusSink {
	readonly counts = new Map<string, number>();

	requests = 0;

	lastAt = 0;

	private readonly server = createServer((req, res) => this.handle(req, res));

	url = '';

	async start(): Promise<void> {
		await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
		this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/sink`;
	}

	reset(): void {
		this.counts.clear();
		this.requests = 0;
		this.lastAt = 0;
	}

	/** Of `expected`: how many arrived exactly once, how many never, and how many arrivals beyond the first. */
	tally(expected: Iterable<string>): { once: number; missing: number; extra: number } {
		let once = 0;
		let missing = 0;
		let extra = 0;
		for (const pair of expected) {
			const count = this.counts.get(pair) ?? 0;
			if (count === 1) once += 1;
			if (count === 0) missing += 1;
			if (count > 1) extra += count - 1;
		}
		return { once, missing, extra };
	}

	/** Waits until every expected pair arrived and nothing arrived for `quietMs`, or `timeoutMs` passed. */
	async drain(expected: Set<string>, timeoutMs: number, quietMs = 3_000): Promise<void> {
		const deadline = performance.now() + timeoutMs;
		let quietSince = performance.now();
		let seen = -1;
		while (performance.now() < deadline) {
			if (this.requests !== seen) {
				seen = this.requests;
				quietSince = performance.now();
			}
			const complete = [...expected].every((pair) => this.counts.has(pair));
			if (complete && performance.now() - quietSince > quietMs) return;
			await sleep(200);
		}
	}

	private handle(req: IncomingMessage, res: ServerResponse): void {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			this.requests += 1;
			this.lastAt = performance.now();
			for (const pair of statusesIn(Buffer.concat(chunks).toString('utf8'))) this.counts.set(pair, (this.counts.get(pair) ?? 0) + 1);
			res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
		});
	}

	close(): Promise<void> {
		this.server.closeAllConnections();
		return new Promise((resolve) => this.server.close(() => resolve()));
	}
}

export interface SignedStatus {
	body: Buffer;
	/** The X-Hub-Signature-256 header Meta sends with it (the emulator's app secret). */
	signature: string;
	/** `messageId status`, as the sink counts it. */
	pair: string;
}

const STATES = ['sent', 'delivered', 'read'];

/** `total` signed Meta status webhooks, one status each: message index/3 sent, delivered and read in turn. */
export function signedMetaStatuses(run: string, total: number): SignedStatus[] {
	return Array.from({ length: total }, (_, index) => {
		const messageId = `wamid.LOAD-${run}-${Math.floor(index / 3)}`;
		const state = STATES[index % 3];
		const body = Buffer.from(JSON.stringify(metaStatusBody(messageId, state, '4915100000000')));
		return { body, signature: `sha256=${createHmac('sha256', D.metaAppSecret).update(body).digest('hex')}`, pair: `${messageId} ${state}` };
	});
}

function post(agent: Agent, url: string, body: Buffer, headers: Record<string, string>): Promise<number> {
	return new Promise((resolve) => {
		const req = httpRequest(url, { method: 'POST', agent, headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(body.length) } }, (res) => {
			res.resume();
			res.on('end', () => resolve(res.statusCode ?? 0));
			res.on('error', () => resolve(0));
		});
		req.on('error', () => resolve(0));
		req.end(body);
	});
}

/** One scheduled post: what, where, and when it is due (ms after the start). */
export interface ScheduledPost {
	status: SignedStatus;
	url: string;
	dueMs: number;
}

export interface PostedAnswer {
	post: ScheduledPost;
	/** HTTP status, 0 when the connection failed. */
	statusCode: number;
	/** From the time the post was due to the end of the answer. */
	answerMs: number;
}

/**
 * Posts each on its schedule, whatever the answers, over at most `connections` open connections
 * (0: a new one whenever all are busy); a post that finds them all busy waits, and that wait counts
 * in its answer time, as it would for the provider.
 */
export async function postOnSchedule(posts: ScheduledPost[], connections: number): Promise<PostedAnswer[]> {
	const agent = new Agent({ keepAlive: true, maxSockets: connections > 0 ? connections : Infinity });
	const ordered = [...posts].sort((a, b) => a.dueMs - b.dueMs);
	const t0 = performance.now() + 100;
	const pending: Array<Promise<PostedAnswer>> = [];
	try {
		for (const scheduled of ordered) {
			const due = t0 + scheduled.dueMs;
			const wait = due - performance.now();
			if (wait > 1) await sleep(wait);
			pending.push(
				post(agent, scheduled.url, scheduled.status.body, { 'X-Hub-Signature-256': scheduled.status.signature }).then((statusCode) => ({
					post: scheduled,
					statusCode,
					answerMs: performance.now() - due,
				})),
			);
		}
		return await Promise.all(pending);
	} finally {
		agent.destroy();
	}
}

/** The q-quantile (0..1) of `values`. */
export function quantile(values: number[], q: number): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}
