/**
 * n8n's own REST API (the one its editor uses), as the owner after `POST /rest/login`: activating
 * and deactivating workflows, running one as the editor's "Execute workflow" does, reading
 * executions with their data, and Data Tables. The same calls work in n8n 2.8 and 2.41.
 */
import { OWNER } from './server';

/** What `GET /rest/executions` lists for each execution. */
export interface ExecutionSummary {
	id: string;
	workflowId: string;
	mode: string;
	status: string;
	startedAt: string | null;
	stoppedAt: string | null;
}

/** One item of a node's output, as an execution stores it. */
export interface StoredItem {
	json: Record<string, unknown>;
	pairedItem?: unknown;
}

/** `GET /rest/executions/:id`, with its run data decoded. */
export interface ExecutionDetail extends ExecutionSummary {
	/** The first output of each node that ran, by node name (first run). */
	outputs: Record<string, StoredItem[]>;
	error?: unknown;
}

/**
 * n8n stores and sends an execution's data in the `flatted` format: a JSON array whose first
 * element is the root, every nested object or array replaced by the string index of its slot.
 */
export function unflatten(text: string): unknown {
	const slots = JSON.parse(text) as unknown[];
	const done = new Map<number, unknown>();
	const revive = (index: number): unknown => {
		if (done.has(index)) return done.get(index);
		const value = slots[index];
		if (Array.isArray(value)) {
			const out: unknown[] = [];
			done.set(index, out);
			for (const entry of value) out.push(typeof entry === 'string' ? revive(Number(entry)) : entry);
			return out;
		}
		if (value !== null && typeof value === 'object') {
			const out: Record<string, unknown> = {};
			done.set(index, out);
			for (const [key, entry] of Object.entries(value)) out[key] = typeof entry === 'string' ? revive(Number(entry)) : entry;
			return out;
		}
		done.set(index, value);
		return value;
	};
	return revive(0);
}

export class N8nRest {
	private cookie = '';

	constructor(readonly url: string) {}

	async login(): Promise<number> {
		const response = await fetch(`${this.url}/rest/login`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ emailOrLdapLoginId: OWNER.email, password: OWNER.password }),
		});
		this.cookie = response.headers
			.getSetCookie()
			.map((cookie) => cookie.split(';')[0])
			.join('; ');
		await response.text();
		return response.status;
	}

	/** `{status, data}`: `data` is the answer's `data` field (n8n wraps every answer in one). */
	async call<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; data: T; text: string }> {
		const response = await fetch(`${this.url}/rest${path}`, {
			method,
			headers: { Cookie: this.cookie, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
			body: body === undefined ? undefined : JSON.stringify(body),
			signal: AbortSignal.timeout(60_000),
		});
		const text = await response.text();
		let data: unknown;
		try {
			data = (JSON.parse(text) as { data?: unknown }).data;
		} catch {
			data = undefined;
		}
		return { status: response.status, data: data as T, text };
	}

	async workflow(id: string): Promise<Record<string, unknown>> {
		const { status, data, text } = await this.call<Record<string, unknown>>('GET', `/workflows/${id}`);
		if (status !== 200) throw new Error(`GET /rest/workflows/${id} answered ${status}: ${text.slice(0, 300)}`);
		return data;
	}

	/** The editor's "Publish"/"Active" switch: `POST /rest/workflows/:id/activate` with the current version. */
	async activate(id: string): Promise<{ status: number; active: unknown; text: string }> {
		const { versionId } = await this.workflow(id);
		const { status, data, text } = await this.call<{ active?: unknown }>('POST', `/workflows/${id}/activate`, { versionId });
		return { status, active: data?.active, text };
	}

	async deactivate(id: string): Promise<{ status: number; active: unknown; text: string }> {
		const { status, data, text } = await this.call<{ active?: unknown }>('POST', `/workflows/${id}/deactivate`, {});
		return { status, active: data?.active, text };
	}

	/**
	 * The editor's "Execute workflow" from a trigger: `POST /rest/workflows/:id/run`. n8n 2.8 wants the
	 * workflow in the body (`workflowData`); 2.41 reads it from the database and ignores it.
	 */
	async runManually(id: string, triggerName: string): Promise<string> {
		const workflowData = await this.workflow(id);
		const { status, data, text } = await this.call<{ executionId?: string }>('POST', `/workflows/${id}/run`, {
			workflowData,
			triggerToStartFrom: { name: triggerName },
		});
		if (status !== 200 || !data?.executionId) throw new Error(`POST /rest/workflows/${id}/run answered ${status}: ${text.slice(0, 300)}`);
		return data.executionId;
	}

	async executions(workflowId: string): Promise<ExecutionSummary[]> {
		const filter = encodeURIComponent(JSON.stringify({ workflowId }));
		const { status, data, text } = await this.call<{ results: ExecutionSummary[] }>('GET', `/executions?filter=${filter}&limit=100`);
		if (status !== 200) throw new Error(`GET /rest/executions answered ${status}: ${text.slice(0, 300)}`);
		return [...data.results].sort((a, b) => Number(a.id) - Number(b.id));
	}

	async execution(id: string): Promise<ExecutionDetail> {
		const { status, data, text } = await this.call<ExecutionSummary & { data?: string }>('GET', `/executions/${id}`);
		if (status !== 200) throw new Error(`GET /rest/executions/${id} answered ${status}: ${text.slice(0, 300)}`);
		// A just-started execution may have no data yet.
		const parsed = data.data ? unflatten(data.data) : undefined;
		const run = (parsed !== null && typeof parsed === 'object' ? parsed : {}) as { resultData?: { runData?: Record<string, Array<{ data?: { main?: StoredItem[][] } }>>; error?: unknown } };
		const outputs: Record<string, StoredItem[]> = {};
		for (const [node, runs] of Object.entries(run.resultData?.runData ?? {})) outputs[node] = runs[0]?.data?.main?.[0] ?? [];
		return {
			id: data.id,
			workflowId: data.workflowId,
			mode: data.mode,
			status: data.status,
			startedAt: data.startedAt,
			stoppedAt: data.stoppedAt,
			outputs,
			error: run.resultData?.error,
		};
	}

	/**
	 * Waits until the workflow has at least `atLeast` executions and none is still running, then
	 * `settleMs` more without a new one (a late duplicate would start one).
	 */
	async settledExecutions(workflowId: string, atLeast: number, timeoutMs = 30_000, settleMs = 1_000): Promise<ExecutionSummary[]> {
		const deadline = Date.now() + timeoutMs;
		let seen = -1;
		let stableSince = Date.now();
		for (;;) {
			const list = await this.executions(workflowId);
			const finished = list.every((execution) => !['new', 'running', 'waiting'].includes(execution.status));
			if (list.length !== seen || !finished) {
				seen = list.length;
				stableSince = Date.now();
			}
			if ((list.length >= atLeast && finished && Date.now() - stableSince >= settleMs) || Date.now() > deadline) return list;
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
	}

	async personalProjectId(): Promise<string> {
		const { status, data, text } = await this.call<{ id: string }>('GET', '/projects/personal');
		if (status !== 200) throw new Error(`GET /rest/projects/personal answered ${status}: ${text.slice(0, 300)}`);
		return data.id;
	}

	async createDataTable(projectId: string, name: string, columns: Array<{ name: string; type: string }>): Promise<string> {
		const { status, data, text } = await this.call<{ id: string }>('POST', `/projects/${projectId}/data-tables`, { name, columns });
		if (status !== 200 || !data?.id) throw new Error(`POST /rest/projects/${projectId}/data-tables answered ${status}: ${text.slice(0, 300)}`);
		return data.id;
	}

	async dataTableRows(projectId: string, tableId: string): Promise<Array<Record<string, unknown>>> {
		const { status, data, text } = await this.call<{ data: Array<Record<string, unknown>> }>('GET', `/projects/${projectId}/data-tables/${tableId}/rows?take=100`);
		if (status !== 200) throw new Error(`GET …/data-tables/${tableId}/rows answered ${status}: ${text.slice(0, 300)}`);
		return data.data;
	}
}
