/**
 * Types shared by the emulator's modules and exposed to tests through server.ts.
 * Kept in one place so the provider modules, the fault book and the server agree on one contract
 * without importing each other.
 */

export type ProviderName = 'lancepilot' | 'dialog360' | 'whatsappCloud';

/** The providers that speak Meta's WhatsApp Cloud API (360dialog passes it through; Meta directly). */
export type CloudApiProviderName = 'dialog360' | 'whatsappCloud';

export interface SeedContact {
	id: string;
	number: string;
}

export interface SeedWorkspace {
	id: string;
	name: string;
	contacts: SeedContact[];
}

export interface EmulatorOptions {
	/** 0 (the default) picks an ephemeral port. */
	port?: number;
	/** Defaults to 127.0.0.1; the emulator is never meant to listen on a public interface. */
	host?: string;
	/** Initial value of setLatency(). */
	latencyMs?: number;
	lancepilotTokens?: string[];
	dialog360ApiKeys?: string[];
	/** Bearer tokens Meta accepts; default `[EMULATOR_DEFAULTS.metaAccessToken]`. */
	metaAccessTokens?: string[];
	/** Business phone number ids Meta serves (any accepted token reaches each); default `[EMULATOR_DEFAULTS.metaPhoneNumberId]`. */
	metaPhoneNumberIds?: string[];
	workspaces?: SeedWorkspace[];
	/** The real API documents no message id in `data`, so the node must cope without one. */
	lancepilotOmitMessageId?: boolean;
	/** Hard cap on a request body; larger bodies get 413. Defaults to 20 MiB. */
	maxBodyBytes?: number;
	/** One line per answered request and per webhook delivery; never receives header values. */
	log?: (line: string) => void;
	/**
	 * Maps a registered webhook URL (port-less, as 360dialog demands) to where the emulator really
	 * delivers, like the reverse proxy on 443 in front of n8n; initial value of setWebhookForward().
	 */
	webhookForward?: WebhookForward;
	/** Initial value of setStatusDelay(): the gap before each status of a message; default 20 ms. */
	webhookStatusDelayMs?: number;
	/**
	 * Waits before the 2nd, 3rd… attempt of a webhook answered with non-2xx or not at all; its length
	 * plus one is the number of attempts. Default `[50, 100, 200, 400]` (at most 5 attempts).
	 */
	webhookRetryDelaysMs?: number[];
	/** How long a webhook receiver may take to answer before the attempt counts as failed; default 5000 ms. */
	webhookTimeoutMs?: number;
	/**
	 * Initial values of setRateLimit(): the most message sends a provider accepts in any one second,
	 * e.g. `{ dialog360: 80 }` for WhatsApp's default throughput. Default: no limit.
	 */
	rateLimits?: Partial<Record<ProviderName, number>>;
}

/** Registered webhook URL -> URL the emulator actually calls (may add a port: it stands for the proxy). */
export type WebhookForward = (url: string) => string;

/** The statuses of the Cloud API's status webhooks, in the order they happen. */
export type WebhookStatusName = 'sent' | 'delivered' | 'read' | 'failed';

/**
 * What happens to messages to a recipient: the last status reached (`read`: sent, delivered, read),
 * or `{ failWith: <code> }`: sent, then failed with that WhatsApp error code.
 */
export type RecipientOutcome = 'read' | 'delivered' | 'sent' | { failWith: number };

/** 360dialog's webhook of the number, as `POST /v1/configs/webhook` set it. */
export interface Dialog360WebhookSettings {
	url: string;
	/** Sent with every delivery (e.g. a shared secret); empty when none were configured. */
	headers: Record<string, string>;
}

/** What "Verify and save" in Meta's app dashboard stores. */
export interface MetaWebhookSettings {
	url: string;
	verifyToken: string;
	/** Signs every delivery (`X-Hub-Signature-256`). */
	appSecret: string;
}

export interface MetaWebhookInput {
	url: string;
	verifyToken: string;
	/** Default `EMULATOR_DEFAULTS.metaAppSecret`. */
	appSecret?: string;
}

/** The outcome of the verification request; the webhook is stored only when `verified`. */
export interface MetaWebhookVerification {
	verified: boolean;
	/** The receiver's HTTP status, 0 when it could not be reached. */
	status: number;
	body: string;
}

/** One attempt to deliver a status webhook. */
export interface WebhookDelivery {
	provider: CloudApiProviderName;
	/** The URL as registered with the provider. */
	url: string;
	/** Where the emulator sent it (the registered URL passed through the webhook forward). */
	deliveredTo: string;
	/** 1 for the first try of this copy of the status, 2… for retries. */
	attempt: number;
	/** `rawBody` parsed. */
	body: unknown;
	/** Exactly the bytes sent (UTF-8), which Meta's signature covers. */
	rawBody: string;
	/** The headers the emulator set (Node adds Host, Content-Length and Connection). */
	headers: Record<string, string>;
	/** The receiver's HTTP status; 0 for a connection error or a timeout. */
	answerStatus: number;
	/** The receiver's answer, at most 64 KiB of it. */
	answerBody: string;
	/** Why there was no answer (connection error, timeout). */
	error?: string;
	/** performance.now() in ms when the attempt started, the clock of RecordedRequest.startedAt. */
	at: number;
}

/** `until` of waitForWebhookDeliveries: a count of successful deliveries, or a condition on them. */
export type WebhookDeliveryCondition = number | ((successful: WebhookDelivery[]) => boolean);

export interface DeliverWebhookOptions {
	/**
	 * The provider's proof of origin. Meta: `valid` signs with the app secret, `invalid` with another
	 * secret, `missing` sends no `X-Hub-Signature-256`. 360dialog: `valid` sends the configured
	 * headers, `invalid` sends them with wrong values, `missing` leaves them out. Default `valid`.
	 */
	signature?: 'valid' | 'invalid' | 'missing';
	/** Added last, so they override everything else. */
	headers?: Record<string, string>;
}

export interface WebhookAnswer {
	status: number;
	body: string;
	/** Set when the receiver could not be reached (status 0). */
	error?: string;
}

export type FaultKind = 'status' | 'reset-before' | 'reset-after' | 'malformed' | 'html' | 'empty' | 'delay';

export interface FaultSpec {
	provider?: ProviderName;
	/** Case-insensitive. */
	method?: string;
	/** Path without the provider prefix and without the query; a string must match exactly. */
	path?: string | RegExp;
	/**
	 * Only messages to this recipient, as the provider reads it: the JSON body's `to` or `recipient`
	 * (360dialog, Meta), the number in Lancepilot's path; digits without `+` for a phone number.
	 */
	recipient?: string;
	/** Default 1; Infinity allowed. */
	times?: number;
	/** Let the first N matching requests through untouched. */
	skip?: number;
	kind: FaultKind;
	/** For kind 'status'; default 500. */
	status?: number;
	/** For kind 'status'; default the provider's own error shape. A string or Buffer is sent verbatim. */
	body?: unknown;
	headers?: Record<string, string>;
	/** For kind 'delay'; default 1000. */
	delayMs?: number;
}

/** Lets a test see how often a fault fired and withdraw it early. */
export interface FaultHandle {
	readonly spec: Readonly<FaultSpec>;
	readonly applied: number;
	readonly skipped: number;
	/** True once the fault can no longer fire (used up, cancelled or cleared). */
	readonly exhausted: boolean;
	cancel(): void;
}

export interface RecordedPart {
	name: string;
	filename?: string;
	contentType?: string;
	size: number;
	sha256: string;
	/** Text parts (no filename) only. */
	value?: string;
}

export type CreatedResource =
	| {
			kind: 'message';
			provider: ProviderName;
			/** Lancepilot: data.id (absent when lancepilotOmitMessageId); Cloud API: the wamid. */
			messageId?: string;
			/** Lancepilot: contact id or number as sent; Cloud API: `to`, or `recipient` (a BSUID) when there is no `to`. */
			recipient: string;
			/** Cloud API only, and only when the message went to a BSUID (`recipient`); absent for a phone number. */
			recipientKind?: 'bsuid';
			/**
			 * 'link' for a URL, 'upload' for bytes sent with the message, 'media-id' for a Cloud API media id.
			 * For a template or an interactive message, where its header medium came from; absent for a
			 * template with a text header.
			 */
			source?: 'link' | 'upload' | 'media-id';
			/** Video messages only. */
			caption?: string;
			/** Template messages only: which template was sent and with what values. */
			template?: SentTemplate;
			/** Cloud API interactive messages only: the text and buttons under the video. */
			interactive?: SentInteractive;
	  }
	| { kind: 'media'; provider: CloudApiProviderName; mediaId: string };

/** A template message as the emulator accepted it. */
export interface SentTemplate {
	/** Lancepilot's integer template id (Lancepilot only). */
	id?: number;
	name: string;
	language: string;
	/** The body's `{{1}}`, `{{2}}`… values in order; empty for a body without placeholders. */
	bodyParameters: string[];
	/** The value of the URL button's `{{1}}`, when the template has one. */
	buttonParameter?: string;
}

/** An interactive message as the emulator accepted it (Cloud API, video header). */
export type SentInteractive =
	| { type: 'button'; body: string; footer?: string; buttons: Array<{ id: string; title: string }> }
	| { type: 'cta_url'; body: string; footer?: string; displayText: string; url: string };

/** What the Lancepilot module learnt from the path, so tests can assert the form the node used. */
export interface LancepilotRequestInfo {
	workspaceId: string;
	target:
		| { kind: 'contact'; contactId: string }
		| {
				kind: 'number';
				/** The path segment exactly as received, e.g. `%2B4915123456789`. */
				raw: string;
				decoded: string;
				/** 'plus' = `+` and digits (E.164), 'digits' = bare digits. */
				form: 'plus' | 'digits';
				/** True when the number matched no contact, so Lancepilot created one. */
				contactCreated: boolean;
		  };
}

export interface RecordedRequest {
	/** Monotonic per emulator, assigned on arrival. */
	id: number;
	provider: ProviderName | 'unknown';
	method: string;
	/** Without the provider prefix and the query, percent-encoding kept as received. */
	path: string;
	query: Record<string, string | string[]>;
	/** Lower-cased names, as received (including credentials: keep records out of logs). */
	headers: Record<string, string | string[]>;
	contentType?: string;
	bodySize: number;
	json?: unknown;
	multipart?: RecordedPart[];
	/** First 200 bytes as latin1, for debugging. */
	rawBodyPrefix?: string;
	/**
	 * The status the emulator produced. For reset-after it is the status that would have been sent;
	 * 0 when nothing was produced (reset-before, client gone before processing).
	 */
	status: number;
	responseBody: unknown;
	/** False when the socket was destroyed instead of answering, or the client had gone. */
	responseSent: boolean;
	/** The fault applied to this request, e.g. `status:429`, `reset-after`. */
	fault?: string;
	/** Set when the client closed the connection before the emulator processed the request. */
	clientAborted?: boolean;
	/**
	 * Set when a rate limit refused this message send (Cloud API: 400 with code 130429; Lancepilot:
	 * 429): nothing was created and the send does not count towards the limit.
	 */
	throttled?: true;
	created?: CreatedResource;
	lancepilot?: LancepilotRequestInfo;
	/** performance.now() in ms: monotonic, for rate measurements at the emulator's clock. */
	startedAt: number;
	finishedAt: number;
	/** Wall-clock arrival time, for humans reading a failed test. */
	receivedAt: string;
}

export interface StoredMedia {
	id: string;
	/** The provider that holds it: a media id is only valid where it was uploaded. */
	provider: CloudApiProviderName;
	filename: string;
	mimeType: string;
	size: number;
	sha256: string;
	data: Buffer;
	uploadedAt: number;
}

export interface Emulator {
	readonly host: string;
	readonly port: number;
	/** `http://<host>:<port>` */
	readonly origin: string;
	readonly lancepilotBaseUrl: string;
	readonly dialog360BaseUrl: string;
	/**
	 * Meta's Graph API root, e.g. `http://127.0.0.1:<port>/meta` (the credential's base URL); requests
	 * go to `{metaBaseUrl}/{version}/{phoneNumberId}/messages` and so on.
	 */
	readonly metaBaseUrl: string;
	/** Live array, in completion order; reset() empties it in place. */
	readonly requests: RecordedRequest[];
	messagesCreated(provider?: ProviderName): RecordedRequest[];
	uploads(): RecordedRequest[];
	/** Media currently stored by the Cloud API providers (uploaded and not deleted), 360dialog's first. */
	storedMedia(): StoredMedia[];
	setLatency(ms: number): void;
	/**
	 * At most `perSecond` message sends to `provider` arriving in any one second (the emulator's clock,
	 * as RecordedRequest.startedAt); more are refused as the provider refuses them (see `throttled`).
	 * Meta counts each business phone number on its own. `undefined` lifts the limit.
	 */
	setRateLimit(provider: ProviderName, perSecond: number | undefined): void;
	setLancepilotOmitMessageId(omit: boolean): void;
	injectFault(fault: FaultSpec): FaultHandle;
	clearFaults(): void;
	/** See EmulatorOptions.webhookForward; `undefined` delivers to the registered URL itself. */
	setWebhookForward(forward: WebhookForward | undefined): void;
	/** 360dialog's webhook as `POST /v1/configs/webhook` left it, or undefined. */
	dialog360Webhook(): Dialog360WebhookSettings | undefined;
	/**
	 * Meta's "Verify and save": `GET <url>?hub.mode=subscribe&hub.verify_token=…&hub.challenge=<digits>`
	 * (through the webhook forward); stores the webhook only on a 200 whose body is exactly the challenge.
	 * A failed verification keeps the webhook stored before, as the dashboard does.
	 */
	configureMetaWebhook(input: MetaWebhookInput): Promise<MetaWebhookVerification>;
	clearMetaWebhook(): void;
	metaWebhook(): MetaWebhookSettings | undefined;
	/** `recipient` is the `to` digits or the BSUID as sent; default outcome `read`. */
	setRecipientOutcome(recipient: string, outcome: RecipientOutcome): void;
	/** The gap before each status of a message (the first counts from acceptance). */
	setStatusDelay(ms: number): void;
	/** Deliver every status twice, as a provider does after a timed-out delivery. */
	setWebhookDuplicates(duplicates: boolean): void;
	/** Every delivery attempt of a status webhook, in order of completion. */
	webhookDeliveries(): WebhookDelivery[];
	/**
	 * Resolves with the successful (2xx) deliveries once there are `until` of them, or once `until(successful)`
	 * holds; rejects after `timeoutMs` (default 5000) naming what did arrive.
	 */
	waitForWebhookDeliveries(until: WebhookDeliveryCondition, timeoutMs?: number): Promise<WebhookDelivery[]>;
	/** Posts `body` (a string verbatim, anything else as JSON) once to the provider's webhook; no retries, not recorded. */
	deliverWebhook(provider: CloudApiProviderName, body: unknown, options?: DeliverWebhookOptions): Promise<WebhookAnswer>;
	/**
	 * Clears records, faults, media, contacts created by sends, webhook configurations, recipient
	 * outcomes and deliveries, counted sends, cancels pending deliveries; restores seeds and initial
	 * options (latency, rate limits).
	 */
	reset(): void;
	/** Stops the server and cancels pending webhook deliveries. */
	close(): Promise<void>;
}

// ---- internal contract between server.ts and the provider modules ----

/** The request body as the server decoded it once, so recording and providers see the same thing. */
export type DecodedBody =
	| { kind: 'empty' }
	| { kind: 'json'; value: unknown }
	| { kind: 'json-malformed'; error: string }
	| { kind: 'multipart'; parts: ParsedPart[] }
	| { kind: 'multipart-malformed'; error: string }
	| { kind: 'other' };

export interface ParsedPart {
	name: string;
	filename?: string;
	contentType?: string;
	headers: Record<string, string>;
	data: Buffer;
}

export interface ProviderRequest {
	method: string;
	path: string;
	query: URLSearchParams;
	headers: Record<string, string | string[]>;
	/** Lower-cased media type without parameters, e.g. `application/json`. */
	mediaType?: string;
	body: DecodedBody;
}

export interface ProviderResponse {
	status: number;
	/** Serialised as JSON unless rawBody is set. */
	body: unknown;
	/** For binary answers (media download); body then only describes it for the record. */
	rawBody?: { data: Buffer; contentType: string };
	headers?: Record<string, string>;
	created?: CreatedResource;
	lancepilot?: LancepilotRequestInfo;
}

export interface ProviderHandler {
	readonly name: ProviderName;
	handle(request: ProviderRequest): ProviderResponse;
	/** The provider's own error shape, for status faults and 413 answers. */
	errorBody(status: number): unknown;
	/**
	 * What a message send counts against for the rate limit (the provider, or one of its phone
	 * numbers); undefined for every request that sends no message. Decided from method and path alone,
	 * on arrival.
	 */
	rateLimitKey(method: string, path: string): string | undefined;
	/** The provider's answer to a message send beyond its rate limit. */
	rateLimited(): ProviderResponse;
	reset(): void;
}
