import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import type { Emulator } from '../emulator/server';
import { EMULATOR_DEFAULTS } from '../emulator/server';

export const FIXTURES_DIR = join(__dirname, '..', 'fixtures', 'videos');

export function fixture(name: string): Buffer {
	return readFileSync(join(FIXTURES_DIR, name));
}

/** Credentials of both providers pointing at the emulator, with the keys it accepts. */
export function emulatorCredentials(
	emulator: Emulator,
	overrides: { apiToken?: string; apiKey?: string } = {},
): Record<string, ICredentialDataDecryptedObject> {
	return {
		lancepilotApi: {
			apiToken: overrides.apiToken ?? EMULATOR_DEFAULTS.lancepilotToken,
			baseUrl: emulator.lancepilotBaseUrl,
		},
		dialog360Api: {
			apiKey: overrides.apiKey ?? EMULATOR_DEFAULTS.dialog360ApiKey,
			baseUrl: emulator.dialog360BaseUrl,
		},
	};
}
