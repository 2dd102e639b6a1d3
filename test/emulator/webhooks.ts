/**
 * Status webhooks of the Cloud API providers (README, "Status webhooks"): after 360dialog or Meta
 * accepted a message, what happened to it arrives later as POSTs to the webhook configured for the
 * provider, one per status (`sent`, `delivered`, `read`, or `sent`, `failed`). This module keeps
 * Meta's webhook (set in the app dashboard, so an emulator method instead of a route), the recipient
 * outcomes, the delivery schedule with retries and duplicates, and the record of every attempt.
 * 360dialog's webhook is set through its API and lives in dialog360.ts; the server passes it in.
 *
 * Deliveries are real HTTP requests (node:http, no keep-alive), so a test's receiver, or a local
 * n8n, sees exactly what a provider would send. Every timer and request is cancelled by reset() and
 * close(), so nothing outlives the emulator.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import type {
	CloudApiProviderName,
	DeliverWebhookOptions,
	Dialog360WebhookSettings,
	MetaWebhookInput,
	MetaWebhookSettings,
	MetaWebhookVerification,
	RecipientOutcome,
	WebhookAnswer,
	WebhookDelivery,
	WebhookDeliveryCondition,
	WebhookForward,
	WebhookStatusName,
} from './types';
import { isHttpUrl, numericId } from './values';

export type PricingCategory = 'marketing' | 'utility' | 'authentication' | 'service';

export const DEFAULT_STATUS_DELAY_MS = 20;
export const DEFAULT_WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [50, 100, 200, 400];
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5000;
export const DEFAULT_WEBHOOK_WAIT_MS = 5000;
/** How much of a receiver's answer is kept in a delivery record. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** Signs `deliverWebhook(..., { signature: 'invalid' })` for Meta: well-formed, but not the app secret. */
const FORGED_APP_SECRET = 'not-the-app-secret';

interface StatusErrorText {
	title: string;
	details: string;
}

/** The asynchronous failures a `failed` status reports, with Meta's titles and details. */
export const STATUS_ERRORS: Readonly<Record<number, StatusErrorText>> = {
	131026: {
		title: 'Message undeliverable',
		details:
			'Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number; the recipient has not accepted our new Terms of Service and Privacy Policy; the recipient is using an old WhatsApp version.',
	},
	131047: {
		title: 'Re-engagement message',
		details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
	},
	131049: {
		title: 'This message was not delivered to maintain healthy ecosystem engagement.',
		details: 'In order to maintain healthy ecosystem engagement, the message failed to be delivered.',
	},
	131050: {
		title: 'User stopped marketing messages',
		details: 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
	},
	131051: {
		title: 'Unsupported message type',
		details: 'Message type is not currently supported.',
	},
	131052: {
		title: 'Media download error',
		details: 'Unable to download the media of the message: downloading the media from the link failed with http code 404, status message Not Found.',
	},
	131053: {
		title: 'Media upload error',
		details: 'Unable to upload the media used in the message: the video must be H.264 with AAC audio, in mp4 or 3gpp.',
	},
};

export interface StatusError {
	code: number;
	title: string;
	message: string;
	error_data: { details: string };
}

/** One entry of a failed status's `errors`; an unknown code gets a generic text naming it. */
export function statusError(code: number): StatusError {
	const known = STATUS_ERRORS[code];
	const title = known?.title ?? 'Message failed to send';
	const details = known?.details ?? `Message failed to send because of an error with code ${code}.`;
	return { code, title, message: title, error_data: { details } };
}

/** The statuses a message goes through for an outcome, in order. */
export function statusesFor(outcome: RecipientOutcome): WebhookStatusName[] {
	if (typeof outcome === 'object') return ['sent', 'failed'];
	if (outcome === 'sent') return ['sent'];
	if (outcome === 'delivered') return ['sent', 'delivered'];
	return ['sent', 'delivered', 'read'];
}

/** A message the Cloud API accepted, as much as its statuses need. */
export interface AcceptedMessage {
	provider: CloudApiProviderName;
	messageId: string;
	/** `to` digits or the BSUID. */
	recipient: string;
	bsuid: boolean;
	/** A template's own category; a free-form video message is service. */
	category: PricingCategory;
	callbackData?: string;
	/** The sending number: Meta's from the path, 360dialog's the seeded one. */
	phoneNumberId: string;
}

export interface WebhookHubConfig {
	forward?: WebhookForward;
	statusDelayMs: number;
	retryDelaysMs: readonly number[];
	timeoutMs: number;
	businessAccountId: string;
	/** As in webhook metadata: digits only. */
	displayPhoneNumber: string;
	defaultAppSecret: string;
	/** 360dialog's current webhook (its API owns it). */
	dialog360Webhook: () => Dialog360WebhookSettings | undefined;
	log?: (line: string) => void;
}

/** Where a delivery goes and how it proves its origin. */
interface Target {
	url: string;
	headers: Record<string, string>;
	appSecret?: string;
}

interface Waiter {
	check: () => WebhookDelivery[] | undefined;
	resolve: (deliveries: WebhookDelivery[]) => void;
	reject: (error: Error) => void;
	timer: NodeJS.Timeout;
	describe: () => string;
}

interface HttpAnswer {
	status: number;
	body: string;
	error?: string;
}

const isSuccess = (status: number): boolean => status >= 200 && status < 300;

/**
 * The timers of every WebhookHub that have neither fired nor been cleared. Kept per module, not per
 * hub, because tests reach a hub only through the emulator; the process's own count of timers
 * would also include sockets' timers and those of other code in the same jest worker.
 */
const pendingTimers = new Set<NodeJS.Timeout>();

function startTimer(ms: number, fire: () => void): NodeJS.Timeout {
	const timer = setTimeout(() => {
		pendingTimers.delete(timer);
		fire();
	}, ms);
	pendingTimers.add(timer);
	return timer;
}

function stopTimer(timer: NodeJS.Timeout): void {
	clearTimeout(timer);
	pendingTimers.delete(timer);
}

/** How many status delays, retry delays and waitForWebhookDeliveries() timeouts are pending now. */
export function pendingWebhookTimers(): number {
	return pendingTimers.size;
}

export function signBody(rawBody: string, appSecret: string): string {
	return `sha256=${createHmac('sha256', appSecret).update(rawBody, 'utf8').digest('hex')}`;
}

export function validateStatusDelay(ms: number): void {
	if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`Status delay must be a non-negative number of ms, got ${ms}`);
}

export function validateOutcome(outcome: RecipientOutcome): void {
	if (outcome === 'read' || outcome === 'delivered' || outcome === 'sent') return;
	if (typeof outcome === 'object' && outcome !== null && Number.isInteger(outcome.failWith) && outcome.failWith > 0) return;
	throw new TypeError(`Outcome must be 'read', 'delivered', 'sent' or { failWith: <positive integer code> }, got ${JSON.stringify(outcome)}`);
}

export class WebhookHub {
	private meta?: MetaWebhookSettings;
	private forward?: WebhookForward;
	private statusDelayMs: number;
	private duplicates = false;
	private readonly outcomes = new Map<string, RecipientOutcome>();
	private readonly deliveries: WebhookDelivery[] = [];
	private readonly waiters = new Set<Waiter>();
	private readonly timers = new Map<NodeJS.Timeout, () => void>();
	private readonly inFlight = new Set<ClientRequest>();
	/** Bumped by reset() and close(): a chain that sees another generation stops. */
	private generation = 0;
	private closed = false;

	constructor(private readonly config: WebhookHubConfig) {
		this.forward = config.forward;
		this.statusDelayMs = config.statusDelayMs;
	}

	setForward(forward: WebhookForward | undefined): void {
		if (forward !== undefined && typeof forward !== 'function') throw new TypeError('The webhook forward must be a function or undefined');
		this.forward = forward;
	}

	setStatusDelay(ms: number): void {
		validateStatusDelay(ms);
		this.statusDelayMs = ms;
	}

	setDuplicates(duplicates: boolean): void {
		this.duplicates = duplicates;
	}

	setRecipientOutcome(recipient: string, outcome: RecipientOutcome): void {
		if (typeof recipient !== 'string' || recipient === '') throw new TypeError('The recipient must be a non-empty string (digits or a BSUID)');
		validateOutcome(outcome);
		this.outcomes.set(recipient, typeof outcome === 'object' ? { failWith: outcome.failWith } : outcome);
	}

	metaWebhook(): MetaWebhookSettings | undefined {
		return this.meta ? { ...this.meta } : undefined;
	}

	clearMetaWebhook(): void {
		this.meta = undefined;
	}

	records(): WebhookDelivery[] {
		return [...this.deliveries];
	}

	/** Clears everything a test set or caused; the forward and the status delay go back to the options. */
	reset(): void {
		this.cancelAll('the emulator was reset');
		this.meta = undefined;
		this.forward = this.config.forward;
		this.statusDelayMs = this.config.statusDelayMs;
		this.duplicates = false;
		this.outcomes.clear();
		this.deliveries.length = 0;
	}

	close(): void {
		this.closed = true;
		this.cancelAll('the emulator was closed');
	}

	async configureMeta(input: MetaWebhookInput): Promise<MetaWebhookVerification> {
		if (typeof input !== 'object' || input === null) throw new TypeError('configureMetaWebhook needs { url, verifyToken, appSecret? }');
		const { url, verifyToken } = input;
		if (typeof url !== 'string' || !isHttpUrl(url)) throw new TypeError(`The Meta callback URL must be an http or https URL, got ${String(url)}`);
		if (typeof verifyToken !== 'string' || verifyToken === '') throw new TypeError('The Meta verify token must be a non-empty string');
		const appSecret = input.appSecret ?? this.config.defaultAppSecret;
		if (typeof appSecret !== 'string' || appSecret === '') throw new TypeError('The Meta app secret must be a non-empty string');
		if (this.closed) throw new Error('The emulator is closed');

		const challenge = numericId(10);
		const generation = this.generation;
		let answer: HttpAnswer;
		try {
			const target = new URL(this.forwarded(url));
			target.searchParams.set('hub.mode', 'subscribe');
			target.searchParams.set('hub.verify_token', verifyToken);
			target.searchParams.set('hub.challenge', challenge);
			answer = await this.request('GET', target.toString(), {});
		} catch (error) {
			answer = { status: 0, body: '', error: error instanceof Error ? error.message : String(error) };
		}
		const verified = answer.status === 200 && answer.body === challenge && generation === this.generation;
		if (verified) this.meta = { url, verifyToken, appSecret };
		this.config.log?.(`webhook verification whatsappCloud -> ${answer.status || answer.error} ${verified ? 'verified' : 'not verified'}`);
		return { verified, status: answer.status, body: answer.body };
	}

	/** Called by the server for every message 360dialog or Meta accepted. */
	messageAccepted(message: AcceptedMessage): void {
		if (this.closed || !this.target(message.provider)) return;
		const outcome = this.outcomes.get(message.recipient) ?? 'read';
		const generation = this.generation;
		this.runStatuses(message, outcome, generation).catch((error: unknown) => {
			this.config.log?.(`webhook error: ${error instanceof Error ? error.message : String(error)}`);
		});
	}

	async deliverOnce(provider: CloudApiProviderName, body: unknown, options: DeliverWebhookOptions = {}): Promise<WebhookAnswer> {
		const target = this.target(provider);
		if (!target) throw new Error(`No ${provider} webhook is configured`);
		if (this.closed) throw new Error('The emulator is closed');
		const rawBody = typeof body === 'string' ? body : (JSON.stringify(body) ?? '');
		const signature = options.signature ?? 'valid';
		const headers: Record<string, string> = { 'Content-Type': 'application/json' };
		if (provider === 'whatsappCloud') {
			headers['User-Agent'] = 'facebookexternalua';
			if (signature !== 'missing') {
				headers['X-Hub-Signature-256'] = signBody(rawBody, signature === 'valid' ? (target.appSecret ?? '') : FORGED_APP_SECRET);
			}
		} else if (signature !== 'missing') {
			for (const [name, value] of Object.entries(target.headers)) {
				headers[name] = signature === 'valid' ? value : `forged-${value}`;
			}
		}
		Object.assign(headers, options.headers ?? {});
		let deliveredTo: string;
		try {
			deliveredTo = this.forwarded(target.url);
		} catch (error) {
			return { status: 0, body: '', error: error instanceof Error ? error.message : String(error) };
		}
		const answer = await this.request('POST', deliveredTo, headers, rawBody);
		return answer.error === undefined ? { status: answer.status, body: answer.body } : answer;
	}

	waitFor(until: WebhookDeliveryCondition, timeoutMs = DEFAULT_WEBHOOK_WAIT_MS): Promise<WebhookDelivery[]> {
		if (typeof until === 'number' && (!Number.isInteger(until) || until < 0)) {
			return Promise.reject(new RangeError(`waitForWebhookDeliveries: the count must be a non-negative integer, got ${until}`));
		}
		if (typeof until !== 'number' && typeof until !== 'function') {
			return Promise.reject(new TypeError('waitForWebhookDeliveries: pass a count or a function of the successful deliveries'));
		}
		if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
			return Promise.reject(new RangeError(`waitForWebhookDeliveries: the timeout must be a non-negative number of ms, got ${timeoutMs}`));
		}
		const successful = (): WebhookDelivery[] => this.deliveries.filter((d) => isSuccess(d.answerStatus));
		const check = (): WebhookDelivery[] | undefined => {
			const done = successful();
			const met = typeof until === 'number' ? done.length >= until : until(done);
			return met ? done : undefined;
		};
		const ready = check();
		if (ready) return Promise.resolve(ready);
		const wanted = typeof until === 'number' ? `${until} successful webhook deliveries` : 'the condition on the successful webhook deliveries';
		return new Promise((resolve, reject) => {
			const waiter: Waiter = {
				check,
				resolve,
				reject,
				describe: () => `waitForWebhookDeliveries: expected ${wanted} within ${timeoutMs} ms; ${this.summary()}`,
				timer: startTimer(timeoutMs, () => {
					this.waiters.delete(waiter);
					reject(new Error(waiter.describe()));
				}),
			};
			this.waiters.add(waiter);
		});
	}

	// ---- internals ----

	private target(provider: CloudApiProviderName): Target | undefined {
		if (provider === 'whatsappCloud') {
			return this.meta ? { url: this.meta.url, headers: {}, appSecret: this.meta.appSecret } : undefined;
		}
		const d360 = this.config.dialog360Webhook();
		return d360 ? { url: d360.url, headers: { ...d360.headers } } : undefined;
	}

	private forwarded(url: string): string {
		return this.forward ? this.forward(url) : url;
	}

	private async runStatuses(message: AcceptedMessage, outcome: RecipientOutcome, generation: number): Promise<void> {
		const conversationId = randomBytes(16).toString('hex');
		for (const status of statusesFor(outcome)) {
			await this.wait(this.statusDelayMs);
			if (generation !== this.generation) return;
			// Each status goes to the webhook configured when it happens; none configured, it is lost.
			if (!this.target(message.provider)) continue;
			const errorCode = status === 'failed' && typeof outcome === 'object' ? outcome.failWith : undefined;
			const rawBody = JSON.stringify(this.statusBody(message, status, conversationId, errorCode));
			for (let copy = 0; copy < (this.duplicates ? 2 : 1); copy++) {
				await this.deliverWithRetries(message.provider, rawBody, generation);
				if (generation !== this.generation) return;
			}
		}
	}

	private async deliverWithRetries(provider: CloudApiProviderName, rawBody: string, generation: number): Promise<void> {
		const delays = this.config.retryDelaysMs;
		for (let attempt = 1; ; attempt++) {
			const target = this.target(provider);
			if (!target) return;
			const delivered = await this.attempt(provider, target, rawBody, attempt, generation);
			if (delivered || generation !== this.generation || attempt > delays.length) return;
			await this.wait(delays[attempt - 1]);
			if (generation !== this.generation) return;
		}
	}

	private async attempt(
		provider: CloudApiProviderName,
		target: Target,
		rawBody: string,
		attempt: number,
		generation: number,
	): Promise<boolean> {
		const headers: Record<string, string> = { 'Content-Type': 'application/json' };
		if (provider === 'whatsappCloud') {
			headers['User-Agent'] = 'facebookexternalua';
			headers['X-Hub-Signature-256'] = signBody(rawBody, target.appSecret ?? '');
		} else {
			Object.assign(headers, target.headers);
		}
		const at = performance.now();
		let deliveredTo = target.url;
		let answer: HttpAnswer;
		try {
			deliveredTo = this.forwarded(target.url);
			answer = await this.request('POST', deliveredTo, headers, rawBody);
		} catch (error) {
			answer = { status: 0, body: '', error: error instanceof Error ? error.message : String(error) };
		}
		if (generation !== this.generation) return false;
		const delivery: WebhookDelivery = {
			provider,
			url: target.url,
			deliveredTo,
			attempt,
			body: JSON.parse(rawBody) as unknown,
			rawBody,
			headers,
			answerStatus: answer.status,
			answerBody: answer.body,
			...(answer.error !== undefined ? { error: answer.error } : {}),
			at,
		};
		this.deliveries.push(delivery);
		if (this.config.log) {
			const status = (delivery.body as StatusBody).entry[0].changes[0].value.statuses[0].status;
			this.config.log(`webhook ${provider} ${status} attempt ${attempt} -> ${answer.status || `no answer (${answer.error ?? '-'})`}`);
		}
		this.notifyWaiters();
		return isSuccess(answer.status);
	}

	private statusBody(message: AcceptedMessage, status: WebhookStatusName, conversationId: string, errorCode?: number): StatusBody {
		const entry: Record<string, unknown> = {
			id: message.messageId,
			status,
			timestamp: String(Math.floor(Date.now() / 1000)),
		};
		if (message.bsuid) entry.recipient_user_id = message.recipient;
		else entry.recipient_id = message.recipient;
		if (message.callbackData !== undefined) entry.biz_opaque_callback_data = message.callbackData;
		if (status === 'sent' || status === 'delivered') {
			entry.conversation = { id: conversationId, origin: { type: message.category } };
			entry.pricing = { billable: true, pricing_model: 'PMP', category: message.category };
		}
		if (errorCode !== undefined) entry.errors = [statusError(errorCode)];
		return {
			object: 'whatsapp_business_account',
			entry: [
				{
					id: this.config.businessAccountId,
					changes: [
						{
							field: 'messages',
							value: {
								messaging_product: 'whatsapp',
								metadata: { display_phone_number: this.config.displayPhoneNumber, phone_number_id: message.phoneNumberId },
								statuses: [entry as StatusEntry],
							},
						},
					],
				},
			],
		};
	}

	private notifyWaiters(): void {
		for (const waiter of [...this.waiters]) {
			const done = waiter.check();
			if (!done) continue;
			stopTimer(waiter.timer);
			this.waiters.delete(waiter);
			waiter.resolve(done);
		}
	}

	private summary(): string {
		const ok = this.deliveries.filter((d) => isSuccess(d.answerStatus)).length;
		const configured = (['dialog360', 'whatsappCloud'] as const).filter((p) => this.target(p));
		const attempts = this.deliveries
			.slice(-12)
			.map((d) => {
				const status = (d.body as StatusBody).entry[0].changes[0].value.statuses[0].status;
				return `${d.provider} ${status} #${d.attempt} -> ${d.answerStatus || `no answer (${d.error ?? '-'})`}`;
			})
			.join(', ');
		return (
			`got ${ok} successful of ${this.deliveries.length} attempts` +
			(attempts ? ` (${this.deliveries.length > 12 ? 'last 12: ' : ''}${attempts})` : '') +
			`; webhooks configured: ${configured.length ? configured.join(', ') : 'none'}`
		);
	}

	/** A timer that reset() and close() cut short (the caller then sees the new generation). */
	private wait(ms: number): Promise<void> {
		return new Promise((resolve) => {
			const timer = startTimer(ms, () => {
				this.timers.delete(timer);
				resolve();
			});
			this.timers.set(timer, resolve);
		});
	}

	private cancelAll(reason: string): void {
		this.generation++;
		for (const [timer, resolve] of this.timers) {
			stopTimer(timer);
			resolve();
		}
		this.timers.clear();
		for (const request of this.inFlight) request.destroy(new Error(`Delivery cancelled: ${reason}`));
		this.inFlight.clear();
		for (const waiter of this.waiters) {
			stopTimer(waiter.timer);
			waiter.reject(new Error(`waitForWebhookDeliveries: ${reason} while waiting; ${this.summary()}`));
		}
		this.waiters.clear();
	}

	/** One HTTP exchange without keep-alive; never rejects, a failure is status 0 with `error`. */
	private request(method: 'GET' | 'POST', url: string, headers: Record<string, string>, body?: string): Promise<HttpAnswer> {
		return new Promise((resolve) => {
			let target: URL;
			try {
				target = new URL(url);
			} catch {
				resolve({ status: 0, body: '', error: `Invalid URL: ${url}` });
				return;
			}
			if (target.protocol !== 'http:' && target.protocol !== 'https:') {
				resolve({ status: 0, body: '', error: `Not an http or https URL: ${url}` });
				return;
			}
			const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
			const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
			const req = send(
				target,
				{
					method,
					agent: false,
					timeout: this.config.timeoutMs,
					headers: { ...headers, ...(payload ? { 'Content-Length': String(payload.length) } : {}) },
				},
				(res) => {
					const chunks: Buffer[] = [];
					let size = 0;
					res.on('data', (chunk: Buffer) => {
						if (size < MAX_ANSWER_BYTES) chunks.push(chunk.subarray(0, MAX_ANSWER_BYTES - size));
						size += chunk.length;
					});
					res.on('end', () => {
						this.inFlight.delete(req);
						resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
					});
					res.on('error', (error) => {
						this.inFlight.delete(req);
						resolve({ status: 0, body: '', error: error.message });
					});
					// After 'end' this changes nothing; without it, the answer was cut off.
					res.on('close', () => {
						this.inFlight.delete(req);
						resolve({ status: 0, body: '', error: 'The answer was cut off' });
					});
				},
			);
			req.on('timeout', () => req.destroy(new Error(`No answer within ${this.config.timeoutMs} ms`)));
			req.on('error', (error) => {
				this.inFlight.delete(req);
				resolve({ status: 0, body: '', error: error.message });
			});
			this.inFlight.add(req);
			req.end(payload);
		});
	}
}

interface StatusEntry {
	id: string;
	status: WebhookStatusName;
	timestamp: string;
	[key: string]: unknown;
}

/** The Cloud API webhook body with one status. */
export interface StatusBody {
	object: 'whatsapp_business_account';
	entry: Array<{
		id: string;
		changes: Array<{
			field: 'messages';
			value: {
				messaging_product: 'whatsapp';
				metadata: { display_phone_number: string; phone_number_id: string };
				statuses: StatusEntry[];
			};
		}>;
	}>;
}
