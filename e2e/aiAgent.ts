/**
 * Send WhatsApp Video as an AI Agent's tool in a real n8n: `examples/ai-agent-send-video.json` run
 * with `n8n execute`. The AI Agent's OpenAI Chat Model talks to a scripted OpenAI-compatible server
 * (e2e/lib/chatModel.ts) through the Base URL of an imported OpenAI credential; the tool sends
 * through the emulator's Meta WhatsApp Cloud API.
 *
 * The script: the first request must offer the tool as n8n builds it from the node (its name, the
 * node's description, the example's `$fromAI` fields); the model calls it with a recipient, the
 * video link and a caption. The second request must carry the tool's result; the model answers
 * with the message ID it read there. Checked: one message at the emulator with exactly that
 * recipient, link and caption (after the node's link check), the tool's output item back at the
 * model, and the agent's output being the model's answer.
 *
 * n8n runs without N8N_COMMUNITY_PACKAGES_ALLOW_TOOL_USAGE (n8nEnv passes no N8N_* setting on):
 * n8n 2.x turns every node marked `usableAsTool` into a tool, a custom or community one too.
 */
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import { sendNodeDescription } from '../nodes/SendWhatsAppVideo/description';
import { PROVIDERS } from '../nodes/SendWhatsAppVideo/providers';
import type { Emulator } from '../test/emulator/server';
import { EMULATOR_DEFAULTS as D } from '../test/emulator/server';
import type { MediaHost } from '../test/harness/mediaServer';
import type { Checks } from './lib/checks';
import { messageText, startChatModel, type ChatCompletionRequest, type ChatModelServer, type ScriptedTurn } from './lib/chatModel';
import { describeResult, nodeOutput, parseRun } from './lib/cli';
import { runN8n, writeJson, type N8nInstall } from './lib/n8n';
import { loadExample } from './lib/statusWorkflows';
import { CREDENTIALS, VIDEOS, type Workflow } from './lib/workflows';

export const AI_AGENT_EXAMPLE = { file: 'ai-agent-send-video.json', id: 'e2eAiAgentTool01' } as const;

const OPENAI_CREDENTIAL = { id: 'e2eOpenAiModel01', name: 'OpenAI-compatible scripted model (e2e)' } as const;
/** Not a secret: the scripted model only checks that n8n sends the credential's key. */
const OPENAI_API_KEY = 'sk-e2e-scripted-model-key';

const AGENT = 'AI Agent';
const TOOL_NODE = 'Send WhatsApp Video';
/** n8n's tool name for a node: its name with every run of other characters than [A-Za-z0-9_-] as `_`. */
const TOOL_NAME = TOOL_NODE.replace(/[^a-zA-Z0-9_-]+/g, '_');
/** The link in the example's prompt; here it points at the test's video host, which the link check asks. */
const EXAMPLE_VIDEO_URL = 'https://example.com/videos/spring-sale.mp4';
const TOOL_CALL_ID = 'call_e2e_send_video_1';

/** What the scripted model reads out of the prompt, as a model would fill the tool's fields. */
const RECIPIENT = { asTyped: '+49 151 23456789', forTool: '+4915123456789', digits: '4915123456789' };
const CAPTION = 'Spring sale: 20% off everything until Sunday!';

export interface AiAgentContext {
	install: N8nInstall;
	env: NodeJS.ProcessEnv;
	emulator: Emulator;
	media: MediaHost;
	timings: Array<{ label: string; ms: number }>;
}

interface AgentNodeParameters {
	text: string;
	options: { systemMessage: string };
}

/**
 * The example as it runs here: the package's node under its `CUSTOM.` name, both credentials
 * pointed at the imported ones, and the prompt's video link on the video host. Nothing else changes.
 */
function exampleWorkflow(videoUrl: string): Workflow {
	const example = loadExample(AI_AGENT_EXAMPLE.file);
	const nodes = example.nodes.map((original) => {
		const node = JSON.parse(JSON.stringify(original)) as Workflow['nodes'][number];
		node.type = node.type.replace(/^n8n-nodes-whatsapp-video\./, 'CUSTOM.');
		if (node.credentials?.whatsAppCloudApi) node.credentials = { whatsAppCloudApi: { ...CREDENTIALS.whatsappCloud } };
		if (node.credentials?.openAiApi) node.credentials = { openAiApi: { ...OPENAI_CREDENTIAL } };
		if (node.name === AGENT) {
			const parameters = node.parameters as unknown as AgentNodeParameters;
			if (!parameters.text.includes(EXAMPLE_VIDEO_URL)) throw new Error(`${AI_AGENT_EXAMPLE.file}: the prompt no longer holds ${EXAMPLE_VIDEO_URL}`);
			parameters.text = parameters.text.replace(EXAMPLE_VIDEO_URL, videoUrl);
		}
		return node;
	});
	return { id: AI_AGENT_EXAMPLE.id, name: example.name, nodes, connections: example.connections, active: false, settings: { executionOrder: 'v1' }, pinData: {} };
}

/** The `$fromAI(key, description, type)` fields of the tool node, as n8n offers them to the model. */
function fromAiFields(workflow: Workflow): Record<string, { type: string; description: string }> {
	const tool = workflow.nodes.find((node) => node.name === TOOL_NODE);
	const fields: Record<string, { type: string; description: string }> = {};
	for (const match of JSON.stringify(tool?.parameters ?? {}).matchAll(/\$fromAI\('([\w-]+)', `([^`]*)`, '(\w+)'\)/g)) {
		fields[match[1]] = { type: match[3], description: match[2] };
	}
	return fields;
}

function offeredTool(request: ChatCompletionRequest): Record<string, unknown> | undefined {
	const tool = request.tools?.find((candidate) => candidate.function.name === TOOL_NAME)?.function;
	if (!tool) return undefined;
	const properties = Object.fromEntries(
		Object.entries(tool.parameters.properties).map(([key, schema]) => [key, { type: schema.type, description: schema.description }]),
	);
	return { name: tool.name, description: tool.description, properties, required: [...(tool.parameters.required ?? [])].sort() };
}

/** The tool's result as the model got it: the content of the `tool` message answering the call. */
function toolResult(request: ChatCompletionRequest | undefined): unknown {
	const message = request?.messages.find((m) => m.role === 'tool' && m.tool_call_id === TOOL_CALL_ID);
	if (!message) return undefined;
	try {
		return JSON.parse(messageText(message)) as unknown;
	} catch {
		return messageText(message);
	}
}

function messageIdIn(result: unknown): string | undefined {
	const first = Array.isArray(result) ? (result[0] as { messageId?: unknown } | undefined) : undefined;
	return typeof first?.messageId === 'string' ? first.messageId : undefined;
}

function script(prompt: string, systemMessage: string, videoUrl: string): ScriptedTurn[] {
	return [
		{
			check: (request) => {
				if (!offeredTool(request)) return `no tool named ${TOOL_NAME} among ${JSON.stringify(request.tools?.map((t) => t.function.name) ?? [])}`;
				const system = messageText(request.messages.find((m) => m.role === 'system' || m.role === 'developer'));
				if (system !== systemMessage) return `the system message is ${JSON.stringify(system)}`;
				const user = request.messages.filter((m) => m.role === 'user');
				if (user.length !== 1 || messageText(user[0]) !== prompt) return `the user's messages are ${JSON.stringify(user.map(messageText))}`;
				if (![RECIPIENT.asTyped, videoUrl, CAPTION].every((part) => prompt.includes(part))) return 'the prompt lacks the recipient, link or caption';
				return undefined;
			},
			reply: () => ({ toolCall: { id: TOOL_CALL_ID, name: TOOL_NAME, arguments: { Recipient: RECIPIENT.forTool, Video_URL: videoUrl, Caption: CAPTION } } }),
		},
		{
			check: (request) => {
				const called = request.messages.some((m) => m.role === 'assistant' && m.tool_calls?.some((call) => call.id === TOOL_CALL_ID));
				if (!called) return 'the conversation does not hold the call of the first answer';
				return messageIdIn(toolResult(request)) ? undefined : `no message ID in the tool's result: ${JSON.stringify(toolResult(request))}`;
			},
			reply: (request) => ({ answer: `Sent. WhatsApp accepted the video for ${RECIPIENT.forTool}, message ID ${messageIdIn(toolResult(request))}.` }),
		},
	];
}

async function importInto(checks: Checks, ctx: AiAgentContext, what: string, args: string[]): Promise<boolean> {
	const result = await runN8n(ctx.install, ctx.env, args);
	ctx.timings.push({ label: `n8n ${ctx.install.version} ${what}`, ms: result.ms });
	return checks.ok(`n8n ${what}`, result.code === 0, describeResult(result));
}

export async function checkAiAgent(checks: Checks, ctx: AiAgentContext): Promise<void> {
	checks.section(`[n8n ${ctx.install.version}] ${AI_AGENT_EXAMPLE.file}: an AI Agent calls Send WhatsApp Video as its tool`);
	const folder = String(ctx.env.N8N_USER_FOLDER);
	const videoUrl = `${ctx.media.origin}/files/${VIDEOS.faststart}`;
	const workflow = exampleWorkflow(videoUrl);
	const agent = workflow.nodes.find((node) => node.name === AGENT)?.parameters as unknown as AgentNodeParameters;
	const model: ChatModelServer = await startChatModel(script(agent.text, agent.options.systemMessage, videoUrl));
	try {
		const credentialsPath = join(folder, 'ai-agent-credentials.json');
		const workflowPath = join(folder, 'ai-agent-workflow.json');
		writeJson(credentialsPath, [{ ...OPENAI_CREDENTIAL, type: 'openAiApi', data: { apiKey: OPENAI_API_KEY, url: model.baseUrl } }]);
		writeJson(workflowPath, [workflow]);
		checks.equal('n8n runs without N8N_COMMUNITY_PACKAGES_ALLOW_TOOL_USAGE', ctx.env.N8N_COMMUNITY_PACKAGES_ALLOW_TOOL_USAGE, undefined);
		if (!(await importInto(checks, ctx, 'import:credentials (OpenAI, Base URL on the scripted model)', ['import:credentials', `--input=${credentialsPath}`]))) return;
		if (!(await importInto(checks, ctx, 'import:workflow (the example, its tool node CUSTOM.sendWhatsAppVideoTool)', ['import:workflow', `--input=${workflowPath}`]))) return;

		ctx.emulator.reset();
		ctx.media.requests.length = 0;
		const result = await runN8n(ctx.install, ctx.env, ['execute', `--id=${workflow.id}`, '--rawOutput']);
		ctx.timings.push({ label: `n8n ${ctx.install.version} execute "${workflow.name}"`, ms: result.ms });
		const run = parseRun(result.stdout);
		checks.ok('n8n execute exits 0 and prints the run as JSON', result.code === 0 && run !== undefined, describeResult(result));
		const runError = (run as { data?: { resultData?: { error?: unknown } } } | undefined)?.data?.resultData?.error;
		checks.equal('the run has no workflow error', runError, undefined);

		checks.equal('the model got two requests and refused none (the script ran to its end)', [model.requests.length, model.problems()], [2, []]);
		checks.ok("each request carries the OpenAI credential's API key", model.requests.every((r) => r.authorization === `Bearer ${OPENAI_API_KEY}`));
		const [first, second] = model.requests.map((r) => r.body);
		const expectedFields = fromAiFields(workflow);
		checks.equal(
			"the model is offered the tool: the node's name, the node's description, and the example's $fromAI fields with their descriptions, all required",
			first && offeredTool(first),
			{
				name: TOOL_NAME,
				description: sendNodeDescription(PROVIDERS),
				properties: expectedFields,
				required: Object.keys(expectedFields).sort(),
			},
		);
		checks.equal('the first answer calls the tool with recipient, video link and caption', model.requests[0]?.reply, {
			toolCall: { id: TOOL_CALL_ID, name: TOOL_NAME, arguments: { Recipient: RECIPIENT.forTool, Video_URL: videoUrl, Caption: CAPTION } },
		});

		const probes = ctx.media.requests.map((r) => `${r.method} ${r.path}`);
		checks.ok('Check Link Before Sending asked the video host about the link, and nothing downloaded it', probes.length > 0 && probes.every((p) => p === `HEAD /files/${VIDEOS.faststart}`), probes);
		const messages = ctx.emulator.messagesCreated('whatsappCloud');
		checks.equal("Meta got exactly one message, at the credential's Phone Number ID", messages.map((m) => `${m.method} ${m.path}`), [
			`POST /${D.metaGraphApiVersion}/${D.metaPhoneNumberId}/messages`,
		]);
		checks.equal('the message: the recipient, the link and the caption the model chose', messages[0]?.json, {
			messaging_product: 'whatsapp',
			recipient_type: 'individual',
			to: RECIPIENT.digits,
			type: 'video',
			video: { link: videoUrl, caption: CAPTION },
		});
		checks.equal('nothing else reached the providers', ctx.emulator.requests.length, messages.length);

		const wamid = (messages[0]?.responseBody as { messages?: Array<{ id: string }> } | undefined)?.messages?.[0]?.id;
		const toolRuns = (run as { data?: { resultData?: { runData?: Record<string, Array<{ data?: { ai_tool?: Array<Array<{ json: unknown }>> } }>> } } } | undefined)
			?.data?.resultData?.runData?.[TOOL_NODE];
		const toolItems = toolRuns?.[0]?.data?.ai_tool?.[0]?.map((item) => item.json);
		checks.equal('the tool node ran once, its output: provider, recipient, accepted, the wamid', [toolRuns?.length, toolItems?.map((j) => {
			const json = j as Record<string, unknown>;
			return [json.provider, json.recipient, json.status, json.messageId];
		})], [1, [['whatsappCloud', RECIPIENT.digits, 'accepted', wamid]]]);
		checks.ok("the model's second request carries the tool's output as the tool call's result", toolItems !== undefined && isDeepStrictEqual(second && toolResult(second), toolItems), {
			result: second && toolResult(second),
			toolItems,
		});

		const answer = model.requests[1]?.reply;
		checks.ok("the model's final answer quotes the wamid it read in the tool's result", !!answer && 'answer' in answer && !!wamid && answer.answer.includes(wamid), answer);
		checks.equal("the AI Agent's output is the model's final answer", nodeOutput(run, AGENT)?.map((item) => item.json), [
			{ output: answer && 'answer' in answer ? answer.answer : undefined },
		]);
	} finally {
		await model.close();
	}
}
