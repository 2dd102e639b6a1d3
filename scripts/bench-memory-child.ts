/**
 * Runs N items of 5 MB through the built node in filesystem binary mode and prints the process's
 * peak RSS. A child process of `npm run bench`, so each measurement starts from a fresh heap and
 * the emulator's own memory (in the parent) is not counted.
 *
 * Usage: ts-node --transpile-only scripts/bench-memory-child.ts <items> <lancepilotBaseUrl>
 */
import { join } from 'node:path';

import type { InputItem } from '../test/harness/engine';

process.env.N8N_LOG_LEVEL = 'silent';
const ROOT = join(__dirname, '..');
/* eslint-disable @typescript-eslint/no-require-imports */
const engine = require('../test/harness/engine') as typeof import('../test/harness/engine');
const { EMULATOR_DEFAULTS: D } = require('../test/emulator/server') as typeof import('../test/emulator/server');
const { SendWhatsAppVideo } = require(join(ROOT, 'dist/nodes/SendWhatsAppVideo/SendWhatsAppVideo.node.js'));
const { LancepilotApi } = require(join(ROOT, 'dist/credentials/LancepilotApi.credentials.js'));
/* eslint-enable @typescript-eslint/no-require-imports */

const FIVE_MB = 5 * 1024 * 1024;
const { paddedMp4 } = require('./bench-videos') as typeof import('./bench-videos');

/** A distinct 5 MB MP4 per item, made only when the upstream node emits that item. */
function videoBytes(index: number): Buffer {
	return paddedMp4(FIVE_MB, index);
}

async function main(): Promise<void> {
	const [count, baseUrl] = [Number(process.argv[2]), process.argv[3]];
	const items: InputItem[] = Array.from({ length: count }, (_, index) => ({
		json: { phone: `+49151${String(index).padStart(8, '0')}` },
		binary: { data: { bytes: () => videoBytes(index), fileName: `video-${index}.mp4`, mimeType: 'video/mp4' } },
	}));
	const result = await engine.runWorkflow({
		parameters: {
			provider: 'lancepilot',
			workspaceId: D.workspaceId,
			contactBy: 'number',
			recipient: '={{ $json.phone }}',
			source: 'binary',
			options: { messagesPerSecond: 1000 },
		},
		items,
		binaryMode: 'filesystem',
		credentials: { lancepilotApi: { apiToken: D.lancepilotToken, baseUrl } },
		nodeType: new SendWhatsAppVideo(),
		credentialTypes: [new LancepilotApi()],
	});
	const sent = result.items.filter((item) => item.json.status === 'created').length;
	if (sent !== count) throw new Error(`only ${sent} of ${count} items were sent: ${result.error?.message ?? ''}`);
	console.log(`peakRssBytes=${process.resourceUsage().maxRSS * 1024}`);
}

main().then(
	() => process.exit(0),
	(error: unknown) => {
		console.error(error);
		process.exit(1);
	},
);
