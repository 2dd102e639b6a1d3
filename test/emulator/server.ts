/**
 * The provider emulator: one node:http server on 127.0.0.1 that mounts Lancepilot under
 * /lancepilot/api/v3, 360dialog under /360dialog and Meta's Graph API (WhatsApp Cloud API) under
 * /meta, records every request and applies latency, rate limits and injected faults. Provider
 * behaviour lives in lancepilot.ts / dialog360.ts / whatsappCloud.ts (the last two share cloudApi.ts);
 * this file owns the request lifecycle (admit, read, record, fault, answer) so that every provider
 * gets the same treatment, and hands every message 360dialog or Meta accepted to webhooks.ts, which
 * delivers its status webhooks.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { decodeBody, readBody, summariseBody } from './body';
import { DIALOG360_PREFIX, Dialog360Provider } from './dialog360';
import { DEFAULT_FAULT_DELAY_MS, DEFAULT_FAULT_STATUS, FAULTS_WITHOUT_PROCESSING, FaultBook, faultLabel } from './faults';
import { mediaTypeOf } from './header-params';
import { isPlainObject } from './values';
import { LANCEPILOT_PREFIX, LancepilotProvider } from './lancepilot';
import { RateLimitBook, validateRateLimits, type Admission } from './rateLimit';
import { findTemplate } from './templates';
import { META_PREFIX, WhatsAppCloudProvider } from './whatsappCloud';
import {
	DEFAULT_STATUS_DELAY_MS,
	DEFAULT_WEBHOOK_RETRY_DELAYS_MS,
	DEFAULT_WEBHOOK_TIMEOUT_MS,
	WebhookHub,
	validateStatusDelay,
	type PricingCategory,
} from './webhooks';
import type {
	CloudApiProviderName,
	DecodedBody,
	Emulator,
	EmulatorOptions,
	FaultSpec,
	ProviderHandler,
	ProviderName,
	ProviderResponse,
	RecordedRequest,
	SeedWorkspace,
	SentTemplate,
} from './types';

export type {
	CloudApiProviderName,
	CreatedResource,
	DeliverWebhookOptions,
	Dialog360WebhookSettings,
	Emulator,
	EmulatorOptions,
	FaultHandle,
	FaultKind,
	FaultSpec,
	LancepilotRequestInfo,
	MetaWebhookInput,
	MetaWebhookSettings,
	MetaWebhookVerification,
	ProviderName,
	RecipientOutcome,
	RecordedPart,
	RecordedRequest,
	SeedContact,
	SeedWorkspace,
	SentInteractive,
	SentTemplate,
	StoredMedia,
	WebhookAnswer,
	WebhookDelivery,
	WebhookDeliveryCondition,
	WebhookForward,
	WebhookStatusName,
} from './types';
export { metaErrorBody, DIALOG360_OWN_ERROR, DIALOG360_PREFIX, DIALOG360_MAX_MEDIA_BYTES } from './dialog360';
export { DIALOG360_WEBHOOK_ERRORS, dialog360WebhookUrlProblem } from './dialog360';
export {
	DEFAULT_STATUS_DELAY_MS,
	DEFAULT_WEBHOOK_RETRY_DELAYS_MS,
	DEFAULT_WEBHOOK_TIMEOUT_MS,
	STATUS_ERRORS,
	signBody,
	statusError,
	statusesFor,
	type StatusBody,
	type StatusError,
} from './webhooks';
export { BSUID_RE, graphErrorBody, isBsuid, throughputLimitHit, type GraphErrorBody, type MetaErrorBody } from './cloudApi';
export { RATE_LIMIT_WINDOW_MS } from './rateLimit';
export { META_PREFIX, META_VERSION_RE, metaTokenErrorBody } from './whatsappCloud';
export { LANCEPILOT_PREFIX, LANCEPILOT_MAX_FILE_BYTES, LANCEPILOT_MESSAGES } from './lancepilot';
export {
	LANCEPILOT_TEMPLATE_MESSAGES,
	LANCEPILOT_TEMPLATES_DEFAULT_PER_PAGE,
	LANCEPILOT_TEMPLATES_MAX_PER_PAGE,
} from './lancepilotTemplates';
export { DIALOG360_TEMPLATES_DEFAULT_LIMIT, DIALOG360_TEMPLATES_MAX_LIMIT } from './dialog360';
export { META_TEMPLATES_DEFAULT_LIMIT, META_TEMPLATES_MAX_LIMIT } from './whatsappCloud';
export {
	EMULATOR_TEMPLATES,
	FILLER_TEMPLATE_COUNT,
	TEMPLATE_IDS,
	TEMPLATE_NAMES,
	bodyParameterCount,
	findTemplate,
	findTemplateByLancepilotId,
	toCloudApiTemplate,
	toLancepilotTemplate,
	urlButtonHasVariable,
	type CloudApiTemplate,
	type EmulatorTemplate,
	type LancepilotTemplate,
} from './templates';

/** Public demo values: safe to print, never valid anywhere but this emulator. */
export const EMULATOR_DEFAULTS = {
	lancepilotToken: 'lp_test_token_0123456789',
	dialog360ApiKey: 'd360_test_key_0123456789',
	workspaceId: '3f1c2a9e-7b4d-4e8a-9c6f-1a2b3c4d5e6f',
	workspaceName: 'Demo workspace',
	contactId: '8d7e6f5a-4b3c-4d2e-8f1a-0b9c8d7e6f5a',
	contactNumber: '+4915123456789',
	/** A username's business-scoped user ID, and a parent (ENT) one; any well-formed BSUID is accepted. */
	contactBsuid: 'US.13491208655302741918',
	contactParentBsuid: 'US.ENT.11815799212886844830',
	metaAccessToken: 'meta_test_token_0123456789',
	metaPhoneNumberId: '106540352242922',
	metaBusinessAccountId: '102290129340398',
	metaGraphApiVersion: 'v26.0',
	metaDisplayPhoneNumber: '+1 555-010-0199',
	metaVerifiedName: 'Demo business',
	/** Signs Meta's webhooks (`X-Hub-Signature-256`) unless configureMetaWebhook() is given another. */
	metaAppSecret: 'meta_app_secret_0123456789',
} as const;

/** Above the providers' 16 MB file limit plus multipart overhead, so a 413 means a client bug. */
export const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;

const HTML_PAGE =
	'<!DOCTYPE html><html><head><title>Service temporarily unavailable</title></head>' +
	'<body><h1>Service temporarily unavailable</h1><p>The upstream answered with a maintenance page.</p></body></html>';

const NOT_FOUND_OUTSIDE_MOUNTS = { message: 'Not found.', status: 404 };

function defaultWorkspaces(): SeedWorkspace[] {
	return [
		{
			id: EMULATOR_DEFAULTS.workspaceId,
			name: EMULATOR_DEFAULTS.workspaceName,
			contacts: [{ id: EMULATOR_DEFAULTS.contactId, number: EMULATOR_DEFAULTS.contactNumber }],
		},
	];
}

function validateOptions(options: EmulatorOptions): void {
	const port = options.port ?? 0;
	if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`Invalid port ${port}`);
	validateLatency(options.latencyMs ?? 0);
	validateRateLimits(options.rateLimits);
	validateWebhookOptions(options);
	for (const [label, list] of [
		['lancepilotTokens', options.lancepilotTokens],
		['dialog360ApiKeys', options.dialog360ApiKeys],
		['metaAccessTokens', options.metaAccessTokens],
		['metaPhoneNumberIds', options.metaPhoneNumberIds],
	] as const) {
		if (list !== undefined && (list.length === 0 || list.some((v) => typeof v !== 'string' || v === ''))) {
			throw new TypeError(`${label} must be a non-empty list of non-empty strings`);
		}
	}
}

function validateWebhookOptions(options: EmulatorOptions): void {
	if (options.webhookForward !== undefined && typeof options.webhookForward !== 'function') {
		throw new TypeError('webhookForward must be a function from the registered URL to the URL to deliver to');
	}
	validateStatusDelay(options.webhookStatusDelayMs ?? DEFAULT_STATUS_DELAY_MS);
	const retries = options.webhookRetryDelaysMs;
	if (retries !== undefined && (!Array.isArray(retries) || retries.some((ms) => !Number.isFinite(ms) || ms < 0))) {
		throw new RangeError('webhookRetryDelaysMs must be a list of non-negative numbers of ms');
	}
	const timeout = options.webhookTimeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
	if (!Number.isFinite(timeout) || timeout <= 0) throw new RangeError(`webhookTimeoutMs must be a positive number of ms, got ${timeout}`);
}

/** `biz_opaque_callback_data` of an accepted Cloud API message (already checked to be a string). */
function callbackDataOf(body: DecodedBody): string | undefined {
	if (body.kind !== 'json' || typeof body.value !== 'object' || body.value === null) return undefined;
	const data = (body.value as Record<string, unknown>).biz_opaque_callback_data;
	return typeof data === 'string' ? data : undefined;
}

function validateLatency(ms: number): void {
	if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`Latency must be a non-negative number of ms, got ${ms}`);
}

function splitUrl(url: string): { fullPath: string; queryString: string } {
	const q = url.indexOf('?');
	return q === -1 ? { fullPath: url, queryString: '' } : { fullPath: url.slice(0, q), queryString: url.slice(q + 1) };
}

function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
	const out: Record<string, string | string[]> = {};
	for (const key of new Set(params.keys())) {
		const values = params.getAll(key);
		out[key] = values.length === 1 ? values[0] : values;
	}
	return out;
}

/** headersDistinct keeps duplicates that req.headers would silently drop (e.g. two Authorization). */
function headerRecord(req: IncomingMessage): Record<string, string | string[]> {
	const out: Record<string, string | string[]> = {};
	for (const [name, values] of Object.entries(req.headersDistinct)) {
		if (values === undefined) continue;
		out[name] = values.length === 1 ? values[0] : values;
	}
	return out;
}

function serialise(body: unknown): Buffer {
	if (Buffer.isBuffer(body)) return body;
	if (typeof body === 'string') return Buffer.from(body, 'utf8');
	return Buffer.from(JSON.stringify(body) ?? '', 'utf8');
}

/** A message's recipient as a fault's `recipient` names it (see FaultSpec). */
function recipientOf(json: unknown, path: string): string | undefined {
	if (isPlainObject(json)) {
		const to = json.to ?? json.recipient;
		if (typeof to === 'string') return to;
	}
	return /\/contacts\/number\/%2B(\d+)\//.exec(path)?.[1];
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
	validateOptions(options);
	const host = options.host ?? '127.0.0.1';
	const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
	const log = options.log;
	let origin = '';

	const lancepilot = new LancepilotProvider({
		tokens: [...(options.lancepilotTokens ?? [EMULATOR_DEFAULTS.lancepilotToken])],
		workspaces: options.workspaces ?? defaultWorkspaces(),
		omitMessageId: options.lancepilotOmitMessageId ?? false,
	});
	const dialog360 = new Dialog360Provider({
		apiKeys: [...(options.dialog360ApiKeys ?? [EMULATOR_DEFAULTS.dialog360ApiKey])],
		mediaDownloadBase: () => `${origin}${DIALOG360_PREFIX}/media-download`,
	});
	const whatsappCloud = new WhatsAppCloudProvider({
		accessTokens: [...(options.metaAccessTokens ?? [EMULATOR_DEFAULTS.metaAccessToken])],
		phoneNumbers: (options.metaPhoneNumberIds ?? [EMULATOR_DEFAULTS.metaPhoneNumberId]).map((id) => ({
			id,
			displayPhoneNumber: EMULATOR_DEFAULTS.metaDisplayPhoneNumber,
			verifiedName: EMULATOR_DEFAULTS.metaVerifiedName,
		})),
		businessAccount: { id: EMULATOR_DEFAULTS.metaBusinessAccountId, name: `${EMULATOR_DEFAULTS.metaVerifiedName} account` },
		mediaDownloadBase: () => `${origin}${META_PREFIX}/media-download`,
		graphBase: () => `${origin}${META_PREFIX}`,
	});
	const mounts: Array<[string, ProviderHandler]> = [
		[LANCEPILOT_PREFIX, lancepilot],
		[DIALOG360_PREFIX, dialog360],
		[META_PREFIX, whatsappCloud],
	];

	const webhooks = new WebhookHub({
		forward: options.webhookForward,
		statusDelayMs: options.webhookStatusDelayMs ?? DEFAULT_STATUS_DELAY_MS,
		retryDelaysMs: [...(options.webhookRetryDelaysMs ?? DEFAULT_WEBHOOK_RETRY_DELAYS_MS)],
		timeoutMs: options.webhookTimeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
		businessAccountId: EMULATOR_DEFAULTS.metaBusinessAccountId,
		displayPhoneNumber: EMULATOR_DEFAULTS.metaDisplayPhoneNumber.replace(/\D/g, ''),
		defaultAppSecret: EMULATOR_DEFAULTS.metaAppSecret,
		dialog360Webhook: () => dialog360.webhookSettings(),
		log,
	});

	const faults = new FaultBook();
	const rateLimits = new RateLimitBook(options.rateLimits);
	const records: RecordedRequest[] = [];
	let latencyMs = options.latencyMs ?? 0;
	let nextId = 1;
	let closing = false;
	// Pending waits, so close() can cut latency/delay short instead of keeping jest alive.
	const wakers = new Set<() => void>();

	const sleep = (ms: number): Promise<void> =>
		ms <= 0 || closing
			? Promise.resolve()
			: new Promise((resolve) => {
					const wake = (): void => {
						clearTimeout(timer);
						wakers.delete(wake);
						resolve();
					};
					const timer = setTimeout(wake, ms);
					wakers.add(wake);
				});

	const mount = (fullPath: string): { handler?: ProviderHandler; path: string } => {
		for (const [prefix, handler] of mounts) {
			if (fullPath === prefix) return { handler, path: '/' };
			if (fullPath.startsWith(`${prefix}/`)) return { handler, path: fullPath.slice(prefix.length) };
		}
		return { path: fullPath };
	};

	const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		const startedAt = performance.now();
		let clientGone = false;
		res.on('close', () => {
			if (!res.writableFinished) clientGone = true;
		});

		const method = req.method ?? 'GET';
		const { fullPath, queryString } = splitUrl(req.url ?? '/');
		const { handler, path } = mount(fullPath);
		const query = new URLSearchParams(queryString);
		// On arrival and before anything else, so sends are admitted in the order they arrived.
		const limitKey = handler?.rateLimitKey(method, path);
		const admission: Admission | undefined = handler && limitKey !== undefined ? rateLimits.admit(handler.name, limitKey, startedAt) : undefined;
		const throttled = limitKey !== undefined && admission === undefined;
		const headers = headerRecord(req);
		const contentTypeHeader = headers['content-type'];
		const contentType = Array.isArray(contentTypeHeader) ? contentTypeHeader.join(', ') : contentTypeHeader;

		const record: RecordedRequest = {
			id: nextId++,
			provider: handler?.name ?? 'unknown',
			method,
			path,
			query: queryRecord(query),
			headers,
			...(contentType !== undefined ? { contentType } : {}),
			bodySize: 0,
			status: 0,
			responseBody: undefined,
			responseSent: false,
			startedAt,
			finishedAt: startedAt,
			receivedAt: new Date().toISOString(),
		};

		const finish = (): void => {
			record.finishedAt = performance.now();
			records.push(record);
			if (log) {
				// Path without the query and no header values: credentials never reach the log.
				const outcome = record.responseSent ? String(record.status) : `no answer (${record.status || '-'})`;
				const fault = record.fault ? ` [fault ${record.fault}]` : record.throttled ? ' [throttled]' : '';
				const ms = (record.finishedAt - record.startedAt).toFixed(0);
				log(`${method} ${fullPath} -> ${outcome}${fault} ${ms}ms`);
			}
		};

		const answer = (status: number, payload: Buffer, responseHeaders: Record<string, string>, recorded: unknown): void => {
			record.status = status;
			record.responseBody = recorded;
			if (clientGone || closing) {
				finish();
				return;
			}
			record.responseSent = true;
			finish();
			res.writeHead(status, { 'Content-Length': String(payload.length), ...responseHeaders });
			res.end(payload);
		};

		const hangUp = (): void => {
			finish();
			req.socket.destroy();
		};

		const read = await readBody(req, maxBodyBytes);
		if (!read.ok) {
			// The provider never processed it: its place in the rate limit's window is free again.
			admission?.withdraw();
			record.bodySize = read.received;
			if (read.reason === 'aborted') {
				record.clientAborted = true;
				finish();
				return;
			}
			const body = handler ? handler.errorBody(413) : { message: 'Payload too large.' };
			answer(413, serialise(body), { 'Content-Type': 'application/json', Connection: 'close' }, body);
			return;
		}
		const body = read.body;
		record.bodySize = body.length;
		if (body.length > 0) record.rawBodyPrefix = body.subarray(0, 200).toString('latin1');
		const decoded = decodeBody(body, contentType);
		Object.assign(record, summariseBody(decoded));

		if (throttled && handler) {
			// Refused by the provider itself: no fault is used up, nothing is created.
			await sleep(latencyMs);
			if (clientGone || closing) {
				record.clientAborted = true;
				finish();
				return;
			}
			record.throttled = true;
			const refusal = handler.rateLimited();
			answer(refusal.status, serialise(refusal.body), { 'Content-Type': 'application/json', ...refusal.headers }, refusal.body);
			return;
		}

		const fault = faults.take(record.provider, method, path, recipientOf(record.json, path));
		if (fault) record.fault = faultLabel(fault);
		const faultHeaders = fault?.headers ?? {};

		// Latency is waited out before processing: a client that gives up during it has created nothing.
		await sleep(latencyMs);
		if (clientGone || closing) {
			admission?.withdraw();
			record.clientAborted = true;
			finish();
			return;
		}

		if (fault && FAULTS_WITHOUT_PROCESSING.has(fault.kind)) {
			admission?.withdraw();
			applyBareFault(fault, handler, answer, hangUp, faultHeaders);
			return;
		}

		const result: ProviderResponse = handler
			? handler.handle({ method, path, query, headers, mediaType: mediaTypeOf(contentType), body: decoded })
			: { status: 404, body: NOT_FOUND_OUTSIDE_MOUNTS };
		record.status = result.status;
		record.responseBody = result.body;
		if (result.created) record.created = result.created;
		if (result.lancepilot) record.lancepilot = result.lancepilot;
		const created = result.created;
		// The message exists from here on, whatever fault the answer meets: its statuses follow.
		if (created?.kind === 'message' && created.messageId && (record.provider === 'dialog360' || record.provider === 'whatsappCloud')) {
			const provider: CloudApiProviderName = record.provider;
			const callbackData = callbackDataOf(decoded);
			webhooks.messageAccepted({
				provider,
				messageId: created.messageId,
				recipient: created.recipient,
				bsuid: created.recipientKind === 'bsuid',
				category: pricingCategory(created.template),
				...(callbackData !== undefined ? { callbackData } : {}),
				// Meta's path is /{version}/{phoneNumberId}/messages; 360dialog's key stands for the seeded number.
				phoneNumberId: provider === 'whatsappCloud' ? path.split('/')[2] : EMULATOR_DEFAULTS.metaPhoneNumberId,
			});
		}

		if (fault?.kind === 'reset-after') {
			hangUp();
			return;
		}
		if (fault?.kind === 'delay') {
			// The side effect has happened; the answer is late (the ambiguous-timeout case).
			await sleep(fault.delayMs ?? DEFAULT_FAULT_DELAY_MS);
		}
		if (result.rawBody) {
			answer(
				result.status,
				result.rawBody.data,
				{ 'Content-Type': result.rawBody.contentType, ...result.headers, ...faultHeaders },
				result.body,
			);
			return;
		}
		const payload = serialise(result.body);
		if (fault?.kind === 'malformed') {
			// Cut the JSON short: the status says success, the body cannot be parsed.
			const truncated = payload.subarray(0, Math.max(1, Math.floor(payload.length / 2)));
			answer(
				result.status,
				truncated,
				{ 'Content-Type': 'application/json', ...result.headers, ...faultHeaders },
				truncated.toString('utf8'),
			);
			return;
		}
		answer(result.status, payload, { 'Content-Type': 'application/json', ...result.headers, ...faultHeaders }, result.body);
	};

	const server: Server = createServer((req, res) => {
		handle(req, res).catch((error: unknown) => {
			// A bug in the emulator must surface as a loud 500, not as a hanging test.
			const message = error instanceof Error ? error.message : String(error);
			log?.(`emulator error: ${message}`);
			if (!res.headersSent && !res.destroyed) {
				res.writeHead(500, { 'Content-Type': 'application/json' });
				res.end(JSON.stringify({ message: 'Emulator internal error', detail: message }));
			} else {
				res.destroy();
			}
		});
	});

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, host, () => {
			server.off('error', reject);
			resolve();
		});
	});
	const port = (server.address() as AddressInfo).port;
	const urlHost = host.includes(':') ? `[${host}]` : host;
	origin = `http://${urlHost}:${port}`;

	let closed: Promise<void> | undefined;
	const emulator: Emulator = {
		host,
		port,
		origin,
		lancepilotBaseUrl: `${origin}${LANCEPILOT_PREFIX}`,
		dialog360BaseUrl: `${origin}${DIALOG360_PREFIX}`,
		metaBaseUrl: `${origin}${META_PREFIX}`,
		requests: records,
		messagesCreated: (provider?: ProviderName) =>
			records.filter((r) => r.created?.kind === 'message' && (provider === undefined || r.provider === provider)),
		uploads: () => records.filter((r) => r.created?.kind === 'media'),
		storedMedia: () => [...dialog360.storedMedia(), ...whatsappCloud.storedMedia()],
		setLatency: (ms: number) => {
			validateLatency(ms);
			latencyMs = ms;
		},
		setRateLimit: (provider, perSecond) => rateLimits.set(provider, perSecond),
		setLancepilotOmitMessageId: (omit: boolean) => lancepilot.setOmitMessageId(omit),
		injectFault: (fault: FaultSpec) => faults.inject(fault),
		clearFaults: () => faults.clear(),
		setWebhookForward: (forward) => webhooks.setForward(forward),
		dialog360Webhook: () => dialog360.webhookSettings(),
		configureMetaWebhook: (input) => webhooks.configureMeta(input),
		clearMetaWebhook: () => webhooks.clearMetaWebhook(),
		metaWebhook: () => webhooks.metaWebhook(),
		setRecipientOutcome: (recipient, outcome) => webhooks.setRecipientOutcome(recipient, outcome),
		setStatusDelay: (ms) => webhooks.setStatusDelay(ms),
		setWebhookDuplicates: (duplicates) => webhooks.setDuplicates(duplicates),
		webhookDeliveries: () => webhooks.records(),
		waitForWebhookDeliveries: (until, timeoutMs) => webhooks.waitFor(until, timeoutMs),
		deliverWebhook: (provider, body, deliverOptions) => webhooks.deliverOnce(provider, body, deliverOptions),
		reset: () => {
			webhooks.reset();
			records.length = 0;
			faults.clear();
			latencyMs = options.latencyMs ?? 0;
			rateLimits.reset();
			lancepilot.reset();
			dialog360.reset();
			whatsappCloud.reset();
		},
		close: () => {
			closed ??= new Promise<void>((resolve) => {
				closing = true;
				webhooks.close();
				for (const wake of [...wakers]) wake();
				server.close(() => resolve());
				server.closeAllConnections();
			});
			return closed;
		},
	};
	return emulator;
}

function applyBareFault(
	fault: FaultSpec,
	handler: ProviderHandler | undefined,
	answer: (status: number, payload: Buffer, headers: Record<string, string>, recorded: unknown) => void,
	hangUp: () => void,
	faultHeaders: Record<string, string>,
): void {
	switch (fault.kind) {
		case 'reset-before':
			hangUp();
			return;
		case 'html':
			answer(fault.status ?? 200, Buffer.from(HTML_PAGE), { 'Content-Type': 'text/html; charset=utf-8', ...faultHeaders }, HTML_PAGE);
			return;
		case 'empty':
			// Declared as JSON on purpose: the nasty case is a client that trusts the header and parses "".
			answer(fault.status ?? 200, Buffer.alloc(0), { 'Content-Type': 'application/json', ...faultHeaders }, '');
			return;
		case 'status': {
			const status = fault.status ?? DEFAULT_FAULT_STATUS;
			const body = fault.body !== undefined ? fault.body : handler ? handler.errorBody(status) : NOT_FOUND_OUTSIDE_MOUNTS;
			const raw = typeof body === 'string' || Buffer.isBuffer(body);
			answer(status, serialise(body), { 'Content-Type': raw ? 'text/plain; charset=utf-8' : 'application/json', ...faultHeaders }, body);
			return;
		}
		default:
			throw new Error(`Fault kind ${fault.kind} needs processing and cannot be applied bare`);
	}
}

/** Meta bills a template by its own category (marketing, utility, authentication); a free-form message is service. */
function pricingCategory(template: SentTemplate | undefined): PricingCategory {
	if (!template) return 'service';
	const category = findTemplate(template.name, template.language)?.category ?? 'MARKETING';
	return category.toLowerCase() as Lowercase<typeof category>;
}
