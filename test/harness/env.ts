import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// n8n-core reads these when its services are first constructed: give every test file its own
// user folder (instance settings, filesystem binary data) and keep n8n offline and quiet. The folders
// go into the run's temporary folder (globalSetup.ts), which globalTeardown.ts removes at the end.
process.env.N8N_USER_FOLDER ??= mkdtempSync(join(process.env.WA_VIDEO_TEST_TMP ?? tmpdir(), 'wa-video-n8n-'));
process.env.N8N_ENCRYPTION_KEY ??= 'whatsapp-video-test-encryption-key';
process.env.N8N_DIAGNOSTICS_ENABLED = 'false';
process.env.N8N_VERSION_NOTIFICATIONS_ENABLED = 'false';
process.env.N8N_LOG_LEVEL ??= 'silent';

// `npm run test:compat` maps the engine's packages to an n8n installation (jest.config.js): stop
// right here if any of them would still come from this repository's node_modules.
const compatDir = process.env.N8N_COMPAT_DIR;
if (compatDir) {
	const root = realpathSync(compatDir);
	for (const name of ['n8n-workflow', 'n8n-core', '@n8n/di', '@n8n/backend-common']) {
		const resolved = require.resolve(name);
		if (!resolved.startsWith(`${root}/`)) throw new Error(`test:compat: ${name} resolves to ${resolved}, not into ${root}`);
	}
}
