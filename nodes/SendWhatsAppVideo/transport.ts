import type { IDataObject, IExecuteFunctions, IHttpRequestMethods, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import type { ProviderWire } from './providers/types';
import type { FieldContext } from './validation';

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
export function redact<T>(value: T, secret: string): T {
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

function hostOf(url: string): string {
	try {
		return new URL(url).host;
	} catch {
		return url;
	}
}

/**
 * Sends one request to a provider with the node's credential and returns the parsed JSON body of
 * a 2xx answer. Every other outcome becomes a `NodeApiError` that carries the provider's own
 * message and details, with the credential's secret removed from everything it contains.
 */
export async function callProvider(
	ctx: IExecuteFunctions,
	wire: ProviderWire,
	context: FieldContext,
	request: ProviderRequest,
): Promise<unknown> {
	const credentials = await ctx.getCredentials(wire.credentialType, context.itemIndex);
	const secret = typeof credentials[wire.secretField] === 'string' ? (credentials[wire.secretField] as string) : '';
	const baseUrl = String(credentials.baseUrl ?? '').replace(/\/+$/, '');
	const url = `${baseUrl}${request.path}`;
	const fail = (message: string, description: string, response: JsonObject, httpCode?: number) =>
		new NodeApiError(context.node, redact(response, secret), {
			message: redact(message, secret),
			description: redact(description, secret),
			httpCode: httpCode === undefined ? undefined : String(httpCode),
			itemIndex: context.itemIndex,
		});
	const unknownOutcome = request.createsMessage
		? ` The video may or may not have been delivered: check the chat or the ${wire.displayName} dashboard before sending it again.`
		: ' Nothing was sent to the recipient.';

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
		})) as FullResponse;
	} catch (error) {
		const code = networkCode(error);
		const reason = code ? NETWORK_REASONS[code] : 'the request failed before an answer arrived';
		throw fail(
			`Could not reach ${wire.displayName} at ${hostOf(url)}: ${reason}`,
			`Check the Base URL in the ${wire.displayName} credential and the network of this n8n instance.${unknownOutcome}`,
			// Not under `code`: NodeApiError would replace our message with its generic one for that code.
			{ networkError: code ?? 'UNKNOWN', url },
		);
	}

	const { parsed, isJson } = parseBody(response.body);
	const { statusCode } = response;
	if (statusCode >= 200 && statusCode < 300) {
		if (isJson && parsed && typeof parsed === 'object') return redact(parsed, secret);
		throw fail(
			`${wire.displayName} answered HTTP ${statusCode} with ${parsed === '' ? 'an empty body' : 'a body that is not JSON'}`,
			`The answer could not be read, so it is unknown whether the request succeeded.${unknownOutcome}`,
			{ statusCode, body: parsed as string },
			statusCode,
		);
	}
	const { message, description } = wire.describeError(statusCode, parsed);
	const outcome = statusCode >= 500 && request.createsMessage ? unknownOutcome : '';
	throw fail(message, `${description}${outcome}`, { statusCode, body: parsed as JsonObject }, statusCode);
}
