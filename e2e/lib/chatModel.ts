/**
 * A scripted OpenAI-compatible Chat Completions server on 127.0.0.1: the model behind n8n's OpenAI
 * Chat Model node in the AI Agent end-to-end test. It plays a fixed script, one turn per request
 * (`POST <base>/chat/completions`): each turn first checks the request (the tools offered, the
 * messages so far) and then answers with a tool call or a final text. A request the script does not
 * expect (a turn it has no answer for, a failed check, a streamed answer, another path) gets an
 * OpenAI-style 400 error naming the problem, which n8n shows as the model's error and does not retry,
 * and is recorded so the test can list it.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatToolCall {
	id: string;
	type: 'function';
	function: { name: string; arguments: string };
}

export interface ChatMessage {
	role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
	content: string | null | Array<{ type: string; text?: string }>;
	tool_calls?: ChatToolCall[];
	tool_call_id?: string;
}

/** A JSON Schema as the tools' `parameters` carry it, reduced to what the test reads. */
export interface ToolParameters {
	type: 'object';
	properties: Record<string, { type?: string; description?: string }>;
	required?: string[];
}

export interface ChatTool {
	type: 'function';
	function: { name: string; description?: string; parameters: ToolParameters };
}

/** The body of `POST /chat/completions`, reduced to what the script reads. */
export interface ChatCompletionRequest {
	model: string;
	messages: ChatMessage[];
	tools?: ChatTool[];
	stream?: boolean;
}

export type ScriptedReply = { toolCall: { id: string; name: string; arguments: Record<string, unknown> } } | { answer: string };

export interface ScriptedTurn {
	/** What the request must hold for this turn: the problem in words, or undefined when all is well. */
	check(request: ChatCompletionRequest): string | undefined;
	/** The model's answer; it may build on the request (e.g. quote the tool's result). */
	reply(request: ChatCompletionRequest): ScriptedReply;
}

export interface RecordedChatRequest {
	method: string;
	path: string;
	authorization?: string;
	body?: ChatCompletionRequest;
	/** What the script answered; undefined when it refused the request. */
	reply?: ScriptedReply;
	/** Why the script refused the request. */
	problem?: string;
}

export interface ChatModelServer {
	/** The Base URL for n8n's OpenAI credential (`…/v1`). */
	baseUrl: string;
	/** The requests since the script was last loaded. */
	requests: RecordedChatRequest[];
	/** Loads a script to play from its first turn, forgetting the requests so far. */
	play(script: ScriptedTurn[]): void;
	/** The problems of every refused request, in order. */
	problems(): string[];
	close(): Promise<void>;
}

/** The text of a message, whichever of the two content shapes the client used. */
export function messageText(message: ChatMessage | undefined): string {
	const content = message?.content;
	if (typeof content === 'string') return content;
	return (content ?? []).map((part) => part.text ?? '').join('');
}

function completion(model: string, turn: number, reply: ScriptedReply): Record<string, unknown> {
	const message =
		'toolCall' in reply
			? {
					role: 'assistant',
					content: null,
					tool_calls: [
						{
							id: reply.toolCall.id,
							type: 'function',
							function: { name: reply.toolCall.name, arguments: JSON.stringify(reply.toolCall.arguments) },
						},
					],
				}
			: { role: 'assistant', content: reply.answer };
	return {
		id: `chatcmpl-e2e-${turn}`,
		object: 'chat.completion',
		created: Math.floor(Date.now() / 1000),
		model,
		choices: [{ index: 0, message, logprobs: null, finish_reason: 'toolCall' in reply ? 'tool_calls' : 'stop' }],
		usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
	};
}

function readBody(req: IncomingMessage): Promise<string> {
	return new Promise((resolve, reject) => {
		let body = '';
		req.setEncoding('utf8');
		req.on('data', (chunk: string) => (body += chunk));
		req.on('end', () => resolve(body));
		req.on('error', reject);
	});
}

function refuse(res: ServerResponse, status: number, message: string): void {
	res.writeHead(status, { 'Content-Type': 'application/json' });
	res.end(JSON.stringify({ error: { message: `Scripted model: ${message}`, type: 'invalid_request_error', param: null, code: null } }));
}

export async function startChatModel(): Promise<ChatModelServer> {
	const requests: RecordedChatRequest[] = [];
	let script: ScriptedTurn[] = [];
	let turns = 0;

	const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		const record: RecordedChatRequest = { method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization };
		requests.push(record);
		const text = await readBody(req);
		if (record.method !== 'POST' || record.path !== '/v1/chat/completions') {
			record.problem = `${record.method} ${record.path} is not part of the script (only POST /v1/chat/completions)`;
			return refuse(res, 404, record.problem);
		}
		try {
			record.body = JSON.parse(text) as ChatCompletionRequest;
		} catch {
			record.problem = 'the request body is not JSON';
			return refuse(res, 400, record.problem);
		}
		const turn = script[turns];
		turns += 1;
		if (!turn) {
			record.problem = `request ${turns} is one more than the script's ${script.length} turns`;
			return refuse(res, 400, record.problem);
		}
		// n8n's agent takes whole answers outside a streaming chat; a streamed one is not scripted.
		record.problem = record.body.stream ? 'a streamed answer was asked for; the script answers whole responses' : turn.check(record.body);
		if (record.problem) return refuse(res, 400, `turn ${turns}: ${record.problem}`);
		record.reply = turn.reply(record.body);
		res.writeHead(200, { 'Content-Type': 'application/json' });
		res.end(JSON.stringify(completion(record.body.model, turns, record.reply)));
	};

	const server = createServer((req, res) => {
		handle(req, res).catch((error: unknown) => refuse(res, 500, (error as Error).message));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		baseUrl: `http://127.0.0.1:${port}/v1`,
		requests,
		play: (next) => {
			script = next;
			turns = 0;
			requests.length = 0;
		},
		problems: () => requests.flatMap((request) => (request.problem ? [request.problem] : [])),
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}
