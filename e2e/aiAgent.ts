/**
 * Send WhatsApp Video as an AI Agent's tool in a real n8n: `examples/ai-agent-send-video.json` run
 * with `n8n execute`. The AI Agent's OpenAI Chat Model talks to a scripted OpenAI-compatible server
 * (e2e/lib/chatModel.ts) through the Base URL of an imported OpenAI credential; the tool sends
 * through the emulator's Meta WhatsApp Cloud API.
 *
 * Two runs of the example, each with its own script. The first request must offer the tool as
 * n8n builds it from the node (its name, the node's description, the example's `$fromAI` fields);
 * the model calls it with a recipient, the link from the prompt and a caption. The second request
 * must carry the tool's result, which the model's answer quotes. With a video link: one message at
 * the emulator with exactly that recipient, link and caption (after the node's link check), and the
 * message ID back at the model. With a web page's link: the link check refuses it, nothing reaches
 * the provider, and the node's error goes back to the model. In both, the agent's output is the
 * model's answer.
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

const AI_AGENT_EXAMPLE = { file: 'ai-agent-send-video.json', id: 'e2eAiAgentTool01' } as const;

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
function exampleWorkflow(id: string, videoUrl: string): Workflow {
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
	return { id, name: example.name, nodes, connections: example.connections, active: false, settings: { executionOrder: 'v1' }, pinData: {} };
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

function errorIn(result: unknown): string | undefined {
	const first = Array.isArray(result) ? (result[0] as { error?: unknown } | undefined) : undefined;
	return typeof first?.error === 'string' ? first.error : undefined;
}

/** The first turn: the model reads recipient, link and caption out of the prompt and calls the tool. */
function callTheTool(prompt: string, systemMessage: string, videoUrl: string): ScriptedTurn {
	return {
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
	};
}

/** The second turn: the conversation holds the call, and the tool's result is what `read` finds in it. */
function answerFromResult(read: (result: unknown) => string | undefined, answer: (found: string) => string): ScriptedTurn {
	return {
		check: (request) => {
			const called = request.messages.some((m) => m.role === 'assistant' && m.tool_calls?.some((call) => call.id === TOOL_CALL_ID));
			if (!called) return 'the conversation does not hold the call of the first answer';
			return read(toolResult(request)) ? undefined : `the tool's result is not what this run expects: ${JSON.stringify(toolResult(request))}`;
		},
		reply: (request) => ({ answer: answer(read(toolResult(request)) ?? '') }),
	};
}

/** The example's runs: the model passes on the link it was given, once a video file, once a web page. */
const RUNS = {
	sends: { id: AI_AGENT_EXAMPLE.id, path: `/files/${VIDEOS.faststart}` },
	refusesPage: { id: 'e2eAiAgentTool02', path: '/page' },
} as const;

interface AgentRun {
	workflow: Workflow;
	link: string;
	run?: Record<string, unknown>;
	/** The tool node's output items, as n8n recorded its one run. */
	toolItems?: unknown[];
	toolRuns?: number;
}

async function importInto(checks: Checks, ctx: AiAgentContext, what: string, args: string[]): Promise<boolean> {
	const result = await runN8n(ctx.install, ctx.env, args);
	ctx.timings.push({ label: `n8n ${ctx.install.version} ${what}`, ms: result.ms });
	return checks.ok(`n8n ${what}`, result.code === 0, describeResult(result));
}

/** `n8n execute` of one run with the model playing `script`; the common checks of every run. */
async function execute(checks: Checks, ctx: AiAgentContext, model: ChatModelServer, agentRun: AgentRun, script: ScriptedTurn[]): Promise<void> {
	ctx.emulator.reset();
	ctx.media.requests.length = 0;
	model.play(script);
	const result = await runN8n(ctx.install, ctx.env, ['execute', `--id=${agentRun.workflow.id}`, '--rawOutput']);
	ctx.timings.push({ label: `n8n ${ctx.install.version} execute "${agentRun.workflow.name}" (${agentRun.workflow.id})`, ms: result.ms });
	const run = parseRun(result.stdout);
	agentRun.run = run;
	checks.ok('n8n execute exits 0 and prints the run as JSON', result.code === 0 && run !== undefined, describeResult(result));
	const runError = (run as { data?: { resultData?: { error?: unknown } } } | undefined)?.data?.resultData?.error;
	checks.equal('the run has no workflow error', runError, undefined);
	checks.equal('the model got two requests and refused none (the script ran to its end)', [model.requests.length, model.problems()], [2, []]);
	checks.ok("each request carries the OpenAI credential's API key", model.requests.every((r) => r.authorization === `Bearer ${OPENAI_API_KEY}`));
	checks.equal('the first answer calls the tool with recipient, video link and caption', model.requests[0]?.reply, {
		toolCall: { id: TOOL_CALL_ID, name: TOOL_NAME, arguments: { Recipient: RECIPIENT.forTool, Video_URL: agentRun.link, Caption: CAPTION } },
	});
	const toolRuns = (run as { data?: { resultData?: { runData?: Record<string, Array<{ data?: { ai_tool?: Array<Array<{ json: unknown }>> } }>> } } } | undefined)
		?.data?.resultData?.runData?.[TOOL_NODE];
	agentRun.toolRuns = toolRuns?.length;
	agentRun.toolItems = toolRuns?.[0]?.data?.ai_tool?.[0]?.map((item) => item.json);
	const result2 = model.requests[1]?.body && toolResult(model.requests[1].body);
	checks.ok("the model's second request carries the tool's output as the tool call's result", agentRun.toolItems !== undefined && isDeepStrictEqual(result2, agentRun.toolItems), {
		result: result2,
		toolItems: agentRun.toolItems,
	});
	const answer = model.requests[1]?.reply;
	checks.equal("the AI Agent's output is the model's final answer", nodeOutput(run, AGENT)?.map((item) => item.json), [
		{ output: answer && 'answer' in answer ? answer.answer : undefined },
	]);
}

export async function checkAiAgent(checks: Checks, ctx: AiAgentContext): Promise<void> {
	checks.section(`[n8n ${ctx.install.version}] ${AI_AGENT_EXAMPLE.file}: import`);
	const folder = String(ctx.env.N8N_USER_FOLDER);
	const runs = Object.fromEntries(
		Object.entries(RUNS).map(([key, { id, path }]) => {
			const link = `${ctx.media.origin}${path}`;
			return [key, { workflow: exampleWorkflow(id, link), link }];
		}),
	) as Record<keyof typeof RUNS, AgentRun>;
	const model = await startChatModel();
	try {
		const credentialsPath = join(folder, 'ai-agent-credentials.json');
		const workflowPath = join(folder, 'ai-agent-workflows.json');
		writeJson(credentialsPath, [{ ...OPENAI_CREDENTIAL, type: 'openAiApi', data: { apiKey: OPENAI_API_KEY, url: model.baseUrl } }]);
		writeJson(workflowPath, Object.values(runs).map((r) => r.workflow));
		checks.equal('n8n runs without N8N_COMMUNITY_PACKAGES_ALLOW_TOOL_USAGE', ctx.env.N8N_COMMUNITY_PACKAGES_ALLOW_TOOL_USAGE, undefined);
		if (!(await importInto(checks, ctx, 'import:credentials (OpenAI, Base URL on the scripted model)', ['import:credentials', `--input=${credentialsPath}`]))) return;
		if (!(await importInto(checks, ctx, 'import:workflow (the example, its tool node CUSTOM.sendWhatsAppVideoTool)', ['import:workflow', `--input=${workflowPath}`]))) return;
		await checkSends(checks, ctx, model, runs.sends);
		await checkRefusesPage(checks, ctx, model, runs.refusesPage);
	} finally {
		await model.close();
	}
}

function agentParameters(workflow: Workflow): AgentNodeParameters {
	return workflow.nodes.find((node) => node.name === AGENT)?.parameters as unknown as AgentNodeParameters;
}

/** The model is given a video link: one message goes out, and the model reads its ID in the tool's result. */
async function checkSends(checks: Checks, ctx: AiAgentContext, model: ChatModelServer, agentRun: AgentRun): Promise<void> {
	checks.section(`[n8n ${ctx.install.version}] ${AI_AGENT_EXAMPLE.file}: the AI Agent sends a video with Send WhatsApp Video as its tool`);
	const agent = agentParameters(agentRun.workflow);
	await execute(checks, ctx, model, agentRun, [
		callTheTool(agent.text, agent.options.systemMessage, agentRun.link),
		answerFromResult(messageIdIn, (messageId) => `Sent. WhatsApp accepted the video for ${RECIPIENT.forTool}, message ID ${messageId}.`),
	]);
	const first = model.requests[0]?.body;
	const expectedFields = fromAiFields(agentRun.workflow);
	checks.equal(
		"the model is offered the tool: the node's name, the node's description, and the example's $fromAI fields with their descriptions, all required",
		first && offeredTool(first),
		{ name: TOOL_NAME, description: sendNodeDescription(PROVIDERS), properties: expectedFields, required: Object.keys(expectedFields).sort() },
	);
	const probes = ctx.media.requests.map((r) => `${r.method} ${r.path}`);
	checks.ok('Check Link Before Sending asked the video host about the link, and nothing downloaded it', probes.length > 0 && probes.every((p) => p === `HEAD ${RUNS.sends.path}`), probes);
	const messages = ctx.emulator.messagesCreated('whatsappCloud');
	checks.equal("Meta got exactly one message, at the credential's Phone Number ID", messages.map((m) => `${m.method} ${m.path}`), [
		`POST /${D.metaGraphApiVersion}/${D.metaPhoneNumberId}/messages`,
	]);
	checks.equal('the message: the recipient, the link and the caption the model chose', messages[0]?.json, {
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		to: RECIPIENT.digits,
		type: 'video',
		video: { link: agentRun.link, caption: CAPTION },
	});
	checks.equal('nothing else reached the providers', ctx.emulator.requests.length, messages.length);
	const wamid = (messages[0]?.responseBody as { messages?: Array<{ id: string }> } | undefined)?.messages?.[0]?.id;
	checks.equal('the tool node ran once, its output: provider, recipient, accepted, the wamid', [agentRun.toolRuns, agentRun.toolItems?.map((j) => {
		const json = j as Record<string, unknown>;
		return [json.provider, json.recipient, json.status, json.messageId];
	})], [1, [['whatsappCloud', RECIPIENT.digits, 'accepted', wamid]]]);
	const answer = model.requests[1]?.reply;
	checks.ok("the model's final answer quotes the wamid it read in the tool's result", !!answer && 'answer' in answer && !!wamid && answer.answer.includes(wamid), answer);
}

/**
 * The model is given a link to a web page: the node's link check refuses it before WhatsApp gets
 * anything, and the model reads the node's error in the tool's result.
 */
async function checkRefusesPage(checks: Checks, ctx: AiAgentContext, model: ChatModelServer, agentRun: AgentRun): Promise<void> {
	checks.section(`[n8n ${ctx.install.version}] ${AI_AGENT_EXAMPLE.file}: given a web page's link, the tool refuses it and the model learns why`);
	const agent = agentParameters(agentRun.workflow);
	await execute(checks, ctx, model, agentRun, [
		callTheTool(agent.text, agent.options.systemMessage, agentRun.link),
		answerFromResult(errorIn, (error) => `I could not send the video: ${error}`),
	]);
	const probes = ctx.media.requests.map((r) => `${r.method} ${r.path}`);
	checks.ok('the link check asked the host about the page, and nothing downloaded it', probes.length > 0 && probes.every((p) => p === `HEAD ${RUNS.refusesPage.path}`), probes);
	checks.equal('nothing reached the providers', ctx.emulator.requests.map((r) => `${r.method} ${r.path}`), []);
	// On Error: Continue on the tool node makes the node return its error item instead of failing the run.
	const [item] = (agentRun.toolItems ?? []) as Array<{ error?: string; description?: string }>;
	checks.ok(
		"the tool ran once and its result is the node's error item: Video URL is a web page, and the fix (the direct link to the file)",
		agentRun.toolRuns === 1 && agentRun.toolItems?.length === 1 && !!item.error?.includes('"Video URL"') && item.error.includes('web page') && !!item.description?.includes('direct link'),
		agentRun.toolItems,
	);
}
