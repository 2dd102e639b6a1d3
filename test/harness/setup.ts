import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ICredentialDataDecryptedObject, INodeParameters } from 'n8n-workflow';

import type { Emulator, EmulatorOptions } from '../emulator/server';
import { EMULATOR_DEFAULTS, startEmulator } from '../emulator/server';
import type { InputItem } from './engine';
import { runWorkflow } from './engine';

export const FIXTURES_DIR = join(__dirname, '..', 'fixtures', 'videos');

export function fixture(name: string): Buffer {
	return readFileSync(join(FIXTURES_DIR, name));
}

/** Credentials of every provider pointing at the emulator, with the keys it accepts. */
export function emulatorCredentials(
	emulator: Emulator,
	overrides: { apiToken?: string; apiKey?: string; accessToken?: string; phoneNumberId?: string } = {},
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
		whatsAppCloudApi: {
			accessToken: overrides.accessToken ?? EMULATOR_DEFAULTS.metaAccessToken,
			phoneNumberId: overrides.phoneNumberId ?? EMULATOR_DEFAULTS.metaPhoneNumberId,
			businessAccountId: EMULATOR_DEFAULTS.metaBusinessAccountId,
			appSecret: '',
			graphApiVersion: EMULATOR_DEFAULTS.metaGraphApiVersion,
			baseUrl: emulator.metaBaseUrl,
		},
	};
}

/** Starts one emulator for the test file and clears its records and faults before each test. */
export function useEmulator(options: EmulatorOptions = {}): () => Emulator {
	let emulator: Emulator | undefined;
	beforeAll(async () => {
		emulator = await startEmulator(options);
	});
	afterAll(async () => {
		await emulator?.close();
	});
	beforeEach(() => emulator?.reset());
	return () => {
		if (!emulator) throw new Error('The emulator has not started');
		return emulator;
	};
}

export const D = EMULATOR_DEFAULTS;

/** An item carrying a fixture video the way an upstream node that does not know the type would. */
export function videoItem(name = 'baseline-aac-faststart.mp4', mimeType = 'application/octet-stream', property = 'data'): InputItem {
	return { binary: { [property]: { bytes: fixture(name), fileName: name, mimeType } } };
}

/** A distinct valid mobile number per index, for recipient lists. */
export const phone = (index: number) => `+49151000${String(index).padStart(5, '0')}`;

/** One item per recipient, each with its number in `json.phone`. */
export const byPhone = (count: number): InputItem[] => Array.from({ length: count }, (_, index) => ({ json: { phone: phone(index) } }));

/** Parameters that send the same video link to each item's `json.phone`. */
export const URL_TO_EACH_PHONE = {
	lancepilot: {
		provider: 'lancepilot',
		workspaceId: D.workspaceId,
		contactBy: 'number',
		recipient: '={{ $json.phone }}',
		source: 'url',
		videoUrl: 'https://cdn.example.com/promo.mp4',
	},
	dialog360: { provider: 'dialog360', recipient: '={{ $json.phone }}', source: 'url', videoUrl: 'https://cdn.example.com/promo.mp4' },
} satisfies Record<string, INodeParameters>;

export function sha256(bytes: Buffer): string {
	return createHash('sha256').update(bytes).digest('hex');
}

/** Runs one item expecting the provider to refuse it; returns the NodeApiError the run stopped with. */
export async function providerFailure(
	emulator: Emulator,
	parameters: INodeParameters,
	overrides: Parameters<typeof emulatorCredentials>[1] = {},
): Promise<{ name: string; message: string; description?: string; httpCode?: string }> {
	const result = await runWorkflow({ parameters, items: [{ json: {} }], credentials: emulatorCredentials(emulator, overrides) });
	expect(result.items).toEqual([]);
	const error = result.error as unknown as { name: string; message: string; description?: string; httpCode?: string };
	expect(error.name).toBe('NodeApiError');
	return error;
}
