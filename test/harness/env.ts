import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// n8n-core reads these when its services are first constructed: give every test process its own
// user folder (instance settings, filesystem binary data) and keep n8n offline and quiet.
process.env.N8N_USER_FOLDER ??= mkdtempSync(join(tmpdir(), 'wa-video-n8n-'));
process.env.N8N_ENCRYPTION_KEY ??= 'whatsapp-video-test-encryption-key';
process.env.N8N_DIAGNOSTICS_ENABLED = 'false';
process.env.N8N_VERSION_NOTIFICATIONS_ENABLED = 'false';
process.env.N8N_LOG_LEVEL ??= 'silent';
