import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	IHttpRequestMethods,
	ILoadOptionsFunctions,
	INode,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, sleep } from 'n8n-workflow';

import type { DryRunLog } from './dryRun';
import { describeRequest } from './dryRun';
import type { Pacing } from './pacing';
import { unpaced } from './pacing';
import { ssrfAllowHint, ssrfReason, ssrfRefusal } from './ssrf';
import type { TemplateDefinition } from './templates';
import { isThroughputRefusal } from './throughputRefusal';
import type { FieldContext } from './validation';
import type { WaitReason } from './waitAdvice';
import { adviceMs, waitReasonOf } from './waitAdvice';

/** A credential's Base URL without the trailing slashes people paste. */
export function credentialBaseUrl(credentials: ICredentialDataDecryptedObject): string {
	return String(credentials.baseUrl ?? '').replace(/\/+$/, '');
}

/** Sends run in an execution; lookups also run in the editor (pickers) and when a trigger is activated. */
export type ProviderCaller = IExecuteFunctions | ILoadOptionsFunctions | IHookFunctions;

/** How a provider's error bodies read, for the transport to turn into a `NodeApiError`. */
export interface ProviderErrorText {
	message: string;
	description: string;
}

/** What the transport needs to know about a provider to call it, retry it and report its errors. */
export interface ProviderWire {
	displayName: string;
	credentialType: string;
	/** The credential field that must never appear in any output, error or log. */
	secretField: string;
	/** The URL that request paths are appended to, from the credential's fields. */
	apiRoot(credentials: ICredentialDataDecryptedObject): string;
	describeError(statusCode: number, body: unknown): ProviderErrorText;
	/** Provider-specific "slow down" answers besides HTTP 429; they never create a message. */
	isThrottled(statusCode: number, body: unknown): boolean;
}

export interface ProviderRequest {
	method: IHttpRequestMethods;
	/** Path below the credential's base URL, already URL-encoded. */
	path: string;
	qs?: IDataObject;
	json?: IDataObject;
	form?: FormData;
	/**
	 * True when a successful request creates a WhatsApp message. A failure whose outcome is
	 * unknown then says the video may have gone out, so nobody resends it blindly.
	 */
	createsMessage: boolean;
	/**
	 * What a dry run pretends the provider answered, so the provider's code after the request runs
	 * as in a real send (an upload's media ID goes into the message after it). Default `{}`.
	 */
	dryRunAnswer?: IDataObject;
}

interface FullResponse {
	statusCode: number;
	headers: Record<string, string | string[] | undefined>;
	body: unknown;
}

const NETWORK_REASONS: Record<string, string> = {
	ECONNREFUSED: 'the connection was refused',
	ECONNRESET: 'the connection was reset',
	ETIMEDOUT: 'the request timed out',
	ECONNABORTED: 'the request timed out',
	ENOTFOUND: 'the host name could not be resolved',
	EAI_AGAIN: 'the host name could not be resolved',
	EPIPE: 'the connection was closed while sending',
	ERR_SOCKET_CONNECTION_TIMEOUT: 'the connection timed out',
};

/**
 * n8n wraps network failures in a NodeApiError that keeps the socket error's code only in
 * `httpCode` (the original error is not kept as `cause`), so look there as well.
 */
function networkCode(error: unknown): string | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
		for (const key of ['code', 'httpCode']) {
			const code = (current as Record<string, unknown>)[key];
			if (typeof code === 'string' && code in NETWORK_REASONS) return code;
		}
		current = (current as { cause?: unknown }).cause;
	}
	return undefined;
}

/** Replaces every occurrence of the secret inside strings of a JSON-like value. */
function redact<T>(value: T, secret: string): T {
	if (!secret) return value;
	if (typeof value === 'string') return value.split(secret).join('[redacted]') as T;
	if (Array.isArray(value)) return value.map((entry: unknown) => redact(entry, secret)) as T;
	if (value && typeof value === 'object') {
		const copy: Record<string, unknown> = {};
		for (const [key, entry] of Object.entries(value)) copy[key] = redact(entry, secret);
		return copy as T;
	}
	return value;
}

function parseBody(body: unknown): { parsed: unknown; isJson: boolean } {
	if (typeof body !== 'string') return { parsed: body, isJson: body !== undefined };
	if (body.trim() === '') return { parsed: '', isJson: false };
	try {
		return { parsed: JSON.parse(body), isJson: true };
	} catch {
		return { parsed: body.length > 300 ? `${body.slice(0, 300)}...` : body, isJson: false };
	}
}

function hostnameOf(url: string): string {
	try {
		return new URL(url).hostname;
	} catch {
		return url;
	}
}

function hostOf(url: string): string {
	try {
		return new URL(url).host;
	} catch {
		return url;
	}
}

/** How hard to try for one item; set from the node's options. */
export interface RetryPolicy {
	/** Total time an item may take, retries included. */
	budgetMs: number;
	/**
	 * Further attempts after the first, only where the provider cannot have accepted the message.
	 * Refusals that ask to wait (see waitAdvice.ts) are bounded by the budget instead.
	 */
	maxRetries: number;
	/** Per request; a send that times out is not retried, since it may have gone through. */
	timeoutMs: number;
	/** Epoch milliseconds after which no new attempt starts for this item. */
	deadline: number;
}

/** Everything a request for one item needs besides the request itself. */
export interface RequestContext extends FieldContext {
	retry: RetryPolicy;
	/** Shared by every item sent with the same credential. */
	pacing: Pacing;
	/**
	 * Media already uploaded in this run, by content hash: the same video for many recipients is
	 * uploaded once. Holds promises so items in flight together share one upload.
	 */
	uploadedMedia: Map<string, Promise<string>>;
	/** Template listings read in this run, by account: each is read once, however many items use it. */
	templateLists: Map<string, Promise<TemplateDefinition[]>>;
	/**
	 * Waits out a refusal that concerns only this item's recipient; in a run, other items use its
	 * place in the pool meanwhile, so one busy recipient does not slow the others down.
	 */
	standAside(ms: number): Promise<void>;
	/** Set in a dry run: requests that would upload or send are recorded here instead of sent. */
	dryRun?: DryRunLog;
}

/** For requests outside a run (the editor's pickers, activating a trigger): a few quick tries, nothing shared with runs. */
export function singleRequestContext(node: INode): RequestContext {
	const budgetMs = 60_000;
	return {
		node,
		itemIndex: 0,
		retry: { maxRetries: 2, timeoutMs: 30_000, budgetMs, deadline: Date.now() + budgetMs },
		pacing: unpaced(),
		uploadedMedia: new Map(),
		templateLists: new Map(),
		standAside: sleep,
	};
}

/** Longest wait a Retry-After header can impose; beyond it the item fails rather than stalls. */
const RETRY_AFTER_CAP_MS = 60_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 10_000;

/** Errors of message sends the provider may have carried out: to be reported, never repeated. */
const possiblyDelivered = new WeakSet<NodeApiError>();

export function mayHaveBeenDelivered(error: unknown): error is NodeApiError {
	return error instanceof NodeApiError && possiblyDelivered.has(error);
}

/** These mean the request never reached the provider, so even a message send is safe to repeat. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/** Seconds or an HTTP date, as RFC 9110 allows; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
	const value = Array.isArray(header) ? header[0] : header;
	if (!value) return undefined;
	if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.round(parseFloat(value) * 1000);
	const date = Date.parse(value);
	return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with full jitter, so many items throttled together do not retry in step. */
function backoffMs(retryNumber: number): number {
	const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** retryNumber);
	return ceiling / 2 + Math.random() * (ceiling / 2);
}

type Attempt =
	| { ok: true; body: object }
	| { ok: false; error: NodeApiError; retryable: boolean; retryAfterMs?: number; wait?: WaitReason; overThroughput?: boolean };

/**
 * Sends one request to a provider with the node's credential and returns the parsed JSON body of
 * a 2xx answer, retrying only where the provider cannot have acted on it: throttling (429, the
 * provider's throttling codes), 503, a connection that never reached it, and any transient failure
 * of a request that creates no message. Every other outcome becomes a `NodeApiError` carrying the
 * provider's own message and details, with the credential's secret removed from all of it.
 */
export async function callProvider(
	ctx: ProviderCaller,
	wire: ProviderWire,
	context: RequestContext,
	request: ProviderRequest,
): Promise<unknown> {
	const credentials = await ctx.getCredentials(wire.credentialType, context.itemIndex);
	const secret = typeof credentials[wire.secretField] === 'string' ? (credentials[wire.secretField] as string) : '';
	const url = `${wire.apiRoot(credentials)}${request.path}`;
	// Reads still go out in a dry run (a template's definition, to check the template); the rest
	// is recorded as built, before pacing, since nothing reaches the provider.
	if (context.dryRun && request.method !== 'GET') {
		context.dryRun.requests.push(redact(await describeRequest(request.method, url, request), secret));
		return request.dryRunAnswer ?? {};
	}
	const notSent = ' Nothing was sent to the recipient.';
	const unknownOutcome = ` The video may or may not have been delivered: check the chat or the ${wire.displayName} dashboard before sending it again.`;
	/** `outcomeUnknown`: the provider may have acted on the request before it failed. */
	const fail = (message: string, description: string, response: JsonObject, httpCode: number | undefined, outcomeUnknown: boolean) => {
		const maybeDelivered = outcomeUnknown && request.createsMessage;
		const error = new NodeApiError(context.node, redact(response, secret), {
			message: redact(message, secret),
			description: redact(`${description}${maybeDelivered ? unknownOutcome : notSent}`, secret),
			httpCode: httpCode === undefined ? undefined : String(httpCode),
			itemIndex: context.itemIndex,
		});
		if (maybeDelivered) possiblyDelivered.add(error);
		return error;
	};

	const limiter = request.createsMessage ? context.pacing.messages : context.pacing.uploads;
	const attempt = async (): Promise<Attempt> => {
		const paced = await limiter.acquire(request.form === undefined);
		try {
			const result = await attemptOnce();
			// Every send of this process with this credential slows down, not just this item's retry.
			if (!result.ok && result.overThroughput) paced.refused();
			return result;
		} finally {
			paced.done();
		}
	};
	const attemptOnce = async (): Promise<Attempt> => {
		let response: FullResponse;
		try {
			response = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, wire.credentialType, {
				method: request.method,
				url,
				qs: request.qs,
				body: request.form ?? request.json,
				json: request.json !== undefined,
				encoding: 'text',
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				timeout: context.retry.timeoutMs,
			})) as FullResponse;
		} catch (caught) {
			// Refused before connecting: nothing reached the provider, and asking again changes nothing.
			const refusal = ssrfRefusal(caught);
			if (refusal) {
				return {
					ok: false,
					retryable: false,
					error: fail(
						`n8n refused to connect to ${wire.displayName} at ${hostOf(url)}: ${ssrfReason(refusal)}`,
						`The Base URL in the ${wire.displayName} credential points at a host this n8n may not reach. ${ssrfAllowHint(refusal, hostnameOf(url))}`,
						{ networkError: 'SSRF_BLOCKED', url },
						undefined,
						false,
					),
				};
			}
			const code = networkCode(caught);
			const reason = code ? NETWORK_REASONS[code] : 'the request failed before an answer arrived';
			const neverSent = code !== undefined && NEVER_SENT.has(code);
			return {
				ok: false,
				retryable: neverSent || !request.createsMessage,
				error: fail(
					`Could not reach ${wire.displayName} at ${hostOf(url)}: ${reason}`,
					`Check the Base URL in the ${wire.displayName} credential and the network of this n8n instance.`,
					// Not under `code`: NodeApiError would replace our message with its generic one for that code.
					{ networkError: code ?? 'UNKNOWN', url },
					undefined,
					!neverSent,
				),
			};
		}

		const { parsed, isJson } = parseBody(response.body);
		const { statusCode } = response;
		if (statusCode >= 200 && statusCode < 300) {
			if (isJson && parsed && typeof parsed === 'object') return { ok: true, body: redact(parsed, secret) };
			return {
				ok: false,
				retryable: !request.createsMessage,
				error: fail(
					`${wire.displayName} answered HTTP ${statusCode} with ${parsed === '' ? 'an empty body' : 'a body that is not JSON'}`,
					'The answer could not be read, so it is unknown whether the request succeeded.',
					{ statusCode, body: parsed as string },
					statusCode,
					true,
				),
			};
		}
		const overThroughput = isThroughputRefusal(statusCode, parsed);
		const throttled = statusCode === 429 || overThroughput || wire.isThrottled(statusCode, parsed);
		const retryable = throttled || statusCode === 503 || (!request.createsMessage && statusCode >= 500);
		const { message, description } = wire.describeError(statusCode, parsed);
		// A refusal (4xx, 503) means the provider did not take the message; other 5xx on a send may hide a success.
		const outcomeUnknown = statusCode >= 500 && statusCode !== 503;
		return {
			ok: false,
			retryable,
			retryAfterMs: parseRetryAfter(response.headers['retry-after']),
			wait: statusCode < 500 ? waitReasonOf(parsed) : undefined,
			overThroughput,
			error: fail(message, description, { statusCode, body: parsed as JsonObject }, statusCode, outcomeUnknown),
		};
	};

	const retrying = (attempts: number, waitMs: number, error: NodeApiError) =>
		ctx.logger.warn(
			`${wire.displayName} ${request.method} ${request.path.split('/')[1] ?? ''}: retrying item ${context.itemIndex} in ${Math.round(waitMs)} ms (attempt ${attempts} failed: ${error.message})`,
		);
	let retryNumber = 0;
	let waits = 0;
	let budgetSpent = false;
	for (let attempts = 1; ; attempts++) {
		const result = await attempt();
		if (result.ok) return result.body;
		const { error } = result;
		if (result.wait) {
			// WhatsApp asked to wait, not to give up: try again on Meta's schedule while the item's
			// Time Budget lasts, the last time when it runs out rather than failing with time left.
			const remainingMs = context.retry.deadline - Date.now();
			if (budgetSpent || remainingMs <= 0) {
				error.message = `${error.message} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}: the item's time budget of ${Math.round(context.retry.budgetMs / 1000)} s is used up)`;
				throw error;
			}
			const advisedMs = adviceMs(result.wait, waits++);
			budgetSpent = advisedMs >= remainingMs;
			const waitMs = Math.min(advisedMs, remainingMs);
			retrying(attempts, waitMs, error);
			// A busy recipient holds back only its own messages; a number mid-upgrade refuses every send.
			await (result.wait === 'pairRate' ? context.standAside(waitMs) : sleep(waitMs));
			continue;
		}
		if (!result.retryable) throw error;
		if (retryNumber >= context.retry.maxRetries) {
			if (attempts > 1) error.message = `${error.message} (gave up after ${attempts} attempts)`;
			throw error;
		}
		if (result.retryAfterMs !== undefined && result.retryAfterMs > RETRY_AFTER_CAP_MS) {
			error.message = `${error.message} (${wire.displayName} asked to wait ${Math.ceil(result.retryAfterMs / 1000)} s before retrying, longer than this node waits)`;
			throw error;
		}
		const waitMs = result.retryAfterMs ?? backoffMs(retryNumber);
		if (Date.now() + waitMs > context.retry.deadline) {
			error.message = `${error.message} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}: the next retry would pass the item's time budget)`;
			throw error;
		}
		retrying(attempts, waitMs, error);
		retryNumber++;
		await sleep(waitMs);
	}
}
