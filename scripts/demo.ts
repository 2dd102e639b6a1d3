/**
 * `npm run demo`: runs sample workflows through n8n-core's real WorkflowExecute against the bundled
 * provider emulator and prints, for each, what the emulator received and what the node output.
 *
 * It runs the BUILT package (dist/), the same files n8n loads, so `npm run demo` builds first.
 * No network and no provider account: the emulator listens on 127.0.0.1 on a free port.
 * Exits 1 when a sample did not behave as expected.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ICredentialType, IDataObject, INodeExecutionData, INodeParameters, INodeType } from 'n8n-workflow';

import type { Emulator, RecordedRequest } from '../test/emulator/server';
import type { BinaryMode, InputItem, RunResult } from '../test/harness/engine';

const ROOT = join(__dirname, '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'videos');

// n8n-core reads its user folder (instance settings, filesystem binary data) when its services are
// first built: give the demo a temporary one, removed at the end, before the engine is loaded.
const userFolder = mkdtempSync(join(tmpdir(), 'wa-video-demo-'));
process.env.N8N_USER_FOLDER = userFolder;

/* eslint-disable @typescript-eslint/no-require-imports */
const engine = require('../test/harness/engine') as typeof import('../test/harness/engine');
const emulatorModule = require('../test/emulator/server') as typeof import('../test/emulator/server');
const { EMULATOR_DEFAULTS: D } = emulatorModule;

/** The built node and credentials, loaded the way n8n loads them: from dist/. */
function loadBuiltPackage(): { nodeType: INodeType; credentialTypes: ICredentialType[] } {
	const dist = join(ROOT, 'dist');
	try {
		const { SendWhatsAppVideo } = require(join(dist, 'nodes/SendWhatsAppVideo/SendWhatsAppVideo.node.js'));
		const { LancepilotApi } = require(join(dist, 'credentials/LancepilotApi.credentials.js'));
		const { Dialog360Api } = require(join(dist, 'credentials/Dialog360Api.credentials.js'));
		const { WhatsAppCloudApi } = require(join(dist, 'credentials/WhatsAppCloudApi.credentials.js'));
		return { nodeType: new SendWhatsAppVideo(), credentialTypes: [new LancepilotApi(), new Dialog360Api(), new WhatsAppCloudApi()] };
	} catch (error) {
		throw new Error(`Cannot load the built package from dist/ (run "npm run build" first): ${(error as Error).message}`);
	}
}
/* eslint-enable @typescript-eslint/no-require-imports */

interface Sample {
	title: string;
	items: InputItem[];
	parameters: INodeParameters;
	binaryMode: BinaryMode;
	continueOnFail?: boolean;
	/** 'sent': every item becomes a message; 'rejected': every item fails locally, nothing is sent. */
	expect: 'sent' | 'rejected';
}

function video(file: string, fileName: string, mimeType: string): InputItem['binary'] {
	return { data: { bytes: readFileSync(join(FIXTURES, file)), fileName, mimeType } };
}

const SAMPLES: Sample[] = [
	{
		title: 'Lancepilot, binary file (upstream says application/octet-stream)',
		binaryMode: 'memory',
		items: [{ binary: video('baseline-aac-faststart.mp4', 'weekly-update.bin', 'application/octet-stream') }],
		parameters: {
			provider: 'lancepilot',
			workspaceId: D.workspaceId,
			contactBy: 'number',
			recipient: '+49 151 23456789',
			source: 'binary',
			binaryPropertyName: 'data',
			caption: 'Your weekly update',
		},
		expect: 'sent',
	},
	{
		title: 'Lancepilot, video URL, contact by ID',
		binaryMode: 'memory',
		items: [{ json: {} }],
		parameters: {
			provider: 'lancepilot',
			workspaceId: D.workspaceId,
			contactBy: 'id',
			contactId: D.contactId,
			source: 'url',
			videoUrl: 'https://cdn.example.com/videos/launch.mp4',
			caption: 'We are live!',
		},
		expect: 'sent',
	},
	{
		title: '360dialog, binary file (upload, then send by media ID), filesystem binary mode',
		binaryMode: 'filesystem',
		items: [{ binary: video('h264.3gp', 'site-visit.3gp', 'video/3gpp') }],
		parameters: {
			provider: 'dialog360',
			recipient: '0049 151 23456789',
			source: 'binary',
			binaryPropertyName: 'data',
			caption: 'Site visit, 2 seconds',
			options: { callbackData: 'ticket-4711' },
		},
		expect: 'sent',
	},
	{
		title: '360dialog, video URL, as a reply',
		binaryMode: 'memory',
		items: [{ json: {} }],
		parameters: {
			provider: 'dialog360',
			recipient: '+1 (415) 555-0123',
			source: 'url',
			videoUrl: 'https://cdn.example.com/videos/launch.mp4',
			options: { replyToMessageId: 'wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI' },
		},
		expect: 'sent',
	},
	{
		title: "Meta's WhatsApp Cloud API, one binary video for two recipients (uploaded once, sent by media ID)",
		binaryMode: 'filesystem',
		items: ['+49 151 23456789', '+49 151 98765432'].map((phone) => ({
			json: { phone },
			binary: video('baseline-aac-faststart.mp4', 'open-day.mp4', 'video/mp4'),
		})),
		parameters: {
			provider: 'whatsappCloud',
			recipient: '={{ $json.phone }}',
			source: 'binary',
			binaryPropertyName: 'data',
			caption: 'Open day on Saturday',
		},
		expect: 'sent',
	},
	{
		title: '360dialog, template spring_promo with the video as its header, for two customers (reaches them outside the 24-hour window)',
		binaryMode: 'memory',
		items: [
			{ json: { phone: '+49 151 23456789', name: 'Ada', coupon: 'SPRING-ADA' } },
			{ json: { phone: '+49 151 98765432', name: 'Grace', coupon: 'SPRING-GRACE' } },
		],
		parameters: {
			provider: 'dialog360',
			messageType: 'template',
			template: { __rl: true, mode: 'id', value: 'spring_promo|en_US' },
			recipient: '={{ $json.phone }}',
			bodyParameters: { parameter: [{ text: '={{ $json.name }}' }, { text: '20%' }] },
			buttonParameter: '={{ $json.coupon }}',
			source: 'url',
			videoUrl: 'https://cdn.example.com/videos/spring.mp4',
		},
		expect: 'sent',
	},
	{
		title: 'Local rejection with Continue On Fail (a PNG named .mp4; a bad phone number)',
		binaryMode: 'memory',
		continueOnFail: true,
		items: [
			{ json: { phone: '+49 151 23456789' }, binary: video('png-named.mp4', 'promo.mp4', 'video/mp4') },
			{ json: { phone: '12345' }, binary: video('baseline-aac-faststart.mp4', 'promo.mp4', 'video/mp4') },
		],
		parameters: {
			provider: 'lancepilot',
			workspaceId: D.workspaceId,
			contactBy: 'number',
			recipient: '={{ $json.phone }}',
			source: 'binary',
			binaryPropertyName: 'data',
		},
		expect: 'rejected',
	},
];

// ---------------------------------------------------------------------------------------------
// Printing

const PROVIDER_NAMES: Record<string, string> = { lancepilot: 'Lancepilot', dialog360: '360dialog', whatsappCloud: 'Meta', unknown: '?' };

function show(value: unknown): string {
	return typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value ?? null);
}

function shorten(text: string, max = 110): string {
	return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/**
 * An error's description in full, line by line: it carries the fix, often a command to copy (the
 * ffmpeg line for a video WhatsApp cannot play), so it is never cut.
 */
function indented(text: unknown, indent: string): string[] {
	if (text === undefined || text === null || text === '') return [];
	return String(text)
		.split('\n')
		.map((line) => `${indent}${line}`);
}

function describeItems(items: InputItem[]): string {
	const described = items.map((item, index) => {
		const parts: string[] = [];
		if (item.json && Object.keys(item.json).length) parts.push(JSON.stringify(item.json));
		for (const [property, binary] of Object.entries(item.binary ?? {})) {
			parts.push(`${property}=${binary.fileName ?? '(no name)'} (${binary.mimeType ?? '?'}, ${binary.bytes.length} B)`);
		}
		return `${items.length > 1 ? `#${index} ` : ''}${parts.join(' ') || '{}'}`;
	});
	return `${items.length} item${items.length === 1 ? '' : 's'}: ${described.join('; ')}`;
}

function describeParameters(parameters: INodeParameters): string {
	return Object.entries(parameters)
		.map(([name, value]) => `${name}=${typeof value === 'object' ? JSON.stringify(value) : show(value)}`)
		.join(' ');
}

function describeWorkflow(sample: Sample): string {
	const flags = [`${sample.binaryMode} binary mode`, ...(sample.continueOnFail ? ['Continue On Fail'] : [])];
	return `Input Items [${describeItems(sample.items)}] -> Send WhatsApp Video {${describeParameters(sample.parameters)}} (${flags.join(', ')})`;
}

/** Method, path, content type and body of one recorded request; never any header value. */
function describeRequest(record: RecordedRequest): string[] {
	const mediaType = record.contentType?.split(';')[0].trim() ?? 'no body';
	const lines = [`${PROVIDER_NAMES[record.provider]} ${record.method} ${record.path} (${mediaType}) -> ${record.status}`];
	if (record.multipart) {
		for (const part of record.multipart) {
			lines.push(
				part.filename !== undefined
					? `    part "${part.name}": file "${part.filename}", ${part.contentType ?? 'no content type'}, ${part.size} bytes`
					: `    part "${part.name}": ${show(part.value)}`,
			);
		}
	} else if (record.json !== undefined) {
		lines.push(`    body ${JSON.stringify(record.json)}`);
	}
	return lines;
}

function describeOutput(item: INodeExecutionData, index: number): string[] {
	const json = item.json;
	if (json.error !== undefined) {
		return [`item ${index}: ERROR ${String(json.error)}`, ...indented(json.description, '        ')];
	}
	return [
		`item ${index}: provider=${json.provider} recipient=${json.recipient} status=${json.status} ` +
			`messageId=${shorten(String(json.messageId), 40)} mediaId=${json.mediaId}`,
	];
}

// ---------------------------------------------------------------------------------------------
// Checking

function check(sample: Sample, result: RunResult, requests: RecordedRequest[]): string[] {
	const problems: string[] = [];
	if (result.error) problems.push(`the workflow stopped: ${result.error.message}`);
	if (result.items.length !== sample.items.length) {
		problems.push(`expected ${sample.items.length} output item(s), got ${result.items.length}`);
	}
	result.items.forEach((item, index) => {
		const paired = item.pairedItem as { item?: number } | undefined;
		if (paired?.item !== index) problems.push(`item ${index} has pairedItem ${JSON.stringify(item.pairedItem)}`);
	});
	const created = requests.filter((r) => r.created?.kind === 'message');
	if (sample.expect === 'sent') {
		for (const [index, item] of result.items.entries()) {
			const json = item.json as IDataObject;
			if (json.error !== undefined) problems.push(`item ${index} failed: ${String(json.error)}`);
			else if (json.status !== (sample.parameters.provider === 'lancepilot' ? 'created' : 'accepted')) {
				problems.push(`item ${index} has status ${show(json.status)}`);
			}
		}
		const uploaded = requests.flatMap((r) => (r.created?.kind === 'media' ? [r.created.mediaId] : []));
		if (sample.parameters.provider !== 'lancepilot' && sample.parameters.source === 'binary') {
			// One upload per distinct video, however many recipients share it.
			const mediaIds = result.items.map((item) => item.json.mediaId);
			if (JSON.stringify([...new Set(mediaIds)]) !== JSON.stringify(uploaded)) {
				problems.push(`output media IDs ${JSON.stringify(mediaIds)} differ from the uploads ${JSON.stringify(uploaded)}`);
			}
		}
		if (sample.parameters.messageType === 'template') {
			for (const [index, record] of created.entries()) {
				if (record.created?.kind !== 'message' || !record.created.template) problems.push(`message ${index} is not a template message`);
			}
		}
		if (created.length !== sample.items.length) {
			problems.push(`the emulator created ${created.length} message(s), expected ${sample.items.length}`);
		}
		const ids = new Set(created.map((r) => r.created?.kind === 'message' && r.created.messageId));
		for (const [index, item] of result.items.entries()) {
			if (item.json.messageId && !ids.has(item.json.messageId as string)) {
				problems.push(`item ${index}'s messageId is not one the emulator issued`);
			}
		}
	} else {
		for (const [index, item] of result.items.entries()) {
			if (item.json.error === undefined) problems.push(`item ${index} was not rejected`);
		}
		if (requests.length) problems.push(`${requests.length} request(s) reached the emulator; expected none`);
	}
	return problems;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
	const started = Date.now();
	const { nodeType, credentialTypes } = loadBuiltPackage();
	const emulator: Emulator = await emulatorModule.startEmulator();
	const credentials = {
		lancepilotApi: { apiToken: D.lancepilotToken, baseUrl: emulator.lancepilotBaseUrl },
		dialog360Api: { apiKey: D.dialog360ApiKey, baseUrl: emulator.dialog360BaseUrl },
		whatsAppCloudApi: {
			accessToken: D.metaAccessToken,
			phoneNumberId: D.metaPhoneNumberId,
			businessAccountId: D.metaBusinessAccountId,
			appSecret: '',
			graphApiVersion: D.metaGraphApiVersion,
			baseUrl: emulator.metaBaseUrl,
		},
	};
	console.log('Send WhatsApp Video: demo workflows through n8n-core WorkflowExecute, using the built node in dist/');
	console.log(`Provider emulator on ${emulator.origin} (Lancepilot under /lancepilot/api/v3, 360dialog under /360dialog, Meta under /meta)`);

	let failed = 0;
	let rejectedItems = 0;
	try {
		for (const [index, sample] of SAMPLES.entries()) {
			// Described before the run: the harness adds an `index` field to each item's json.
			const workflowLine = describeWorkflow(sample);
			const before = emulator.requests.length;
			const t0 = Date.now();
			const result = await engine.runWorkflow({
				parameters: sample.parameters,
				items: sample.items,
				binaryMode: sample.binaryMode,
				continueOnFail: sample.continueOnFail,
				credentials,
				nodeType,
				credentialTypes,
			});
			const ms = Date.now() - t0;
			const requests = emulator.requests.slice(before);

			console.log(`\n[${index + 1}/${SAMPLES.length}] ${sample.title}`);
			console.log(`  workflow  ${workflowLine}`);
			console.log('  emulator received:');
			if (requests.length === 0) console.log('    nothing (no request was made)');
			for (const record of requests) for (const line of describeRequest(record)) console.log(`    ${line}`);
			console.log('  node output:');
			for (const [i, item] of result.items.entries()) for (const line of describeOutput(item, i)) console.log(`    ${line}`);
			if (result.error) {
				console.log(`    workflow error: ${result.error.message}`);
				for (const line of indented(result.error.description, '        ')) console.log(line);
			}

			rejectedItems += result.items.filter((item) => item.json.error !== undefined).length;
			const problems = check(sample, result, requests);
			if (problems.length) {
				failed++;
				console.log(`  FAILED (${ms} ms): ${problems.join('; ')}`);
			} else {
				console.log(`  ok (${ms} ms): ${sample.expect === 'sent' ? 'sent as expected' : 'rejected locally as expected, nothing sent'}`);
			}
		}
	} finally {
		await emulator.close();
	}

	const messages = emulator.messagesCreated();
	const byProvider = (p: 'lancepilot' | 'dialog360' | 'whatsappCloud') => messages.filter((r) => r.provider === p).length;
	const seconds = ((Date.now() - started) / 1000).toFixed(1);
	console.log(
		`\n${SAMPLES.length} workflows, ${messages.length} messages created at the emulator ` +
			`(Lancepilot ${byProvider('lancepilot')}, 360dialog ${byProvider('dialog360')}, Meta ${byProvider('whatsappCloud')}), ` +
			`${emulator.uploads().length} media upload${emulator.uploads().length === 1 ? '' : 's'}, ` +
			`${rejectedItems} items rejected locally, ` +
			`${failed === 0 ? 'all as expected' : `${failed} FAILED`} (${seconds} s).`,
	);
	return failed === 0 ? 0 : 1;
}

main()
	.catch((error: unknown) => {
		console.error(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
		return 1;
	})
	.then((code) => {
		rmSync(userFolder, { recursive: true, force: true });
		// n8n-core's services keep timers alive; the demo is done, so leave explicitly.
		process.exit(code);
	});
