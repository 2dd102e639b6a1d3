/**
 * Runs the provider emulator standalone, for trying the node by hand inside a local n8n:
 *   EMULATOR_PORT=4780 npx ts-node --transpile-only test/emulator/cli.ts
 * Request log lines carry method, path (no query) and status only, never header values, so the
 * credentials a client sends cannot end up in a terminal scrollback or CI log.
 */
import { EMULATOR_DEFAULTS, startEmulator, type Emulator } from './server';

const DEFAULT_PORT = 4780;

function portFromEnv(value: string | undefined): number {
	if (value === undefined || value.trim() === '') return DEFAULT_PORT;
	const port = Number(value);
	if (!Number.isInteger(port) || port < 0 || port > 65535) {
		throw new RangeError(`EMULATOR_PORT must be an integer in 0..65535, got "${value}"`);
	}
	return port;
}

function banner(emulator: Emulator): string {
	const d = EMULATOR_DEFAULTS;
	return [
		`WhatsApp video provider emulator listening on ${emulator.origin}`,
		'',
		'Lancepilot',
		`  base URL      ${emulator.lancepilotBaseUrl}`,
		`  token         ${d.lancepilotToken}   (public demo value)`,
		`  workspace id  ${d.workspaceId}  (${d.workspaceName})`,
		`  contact id    ${d.contactId}`,
		`  contact no.   ${d.contactNumber}`,
		'',
		'360dialog',
		`  base URL      ${emulator.dialog360BaseUrl}`,
		`  API key       ${d.dialog360ApiKey}   (public demo value)`,
		`  recipient     ${d.contactNumber.replace(/^\+/, '')}  (digits only, as 360dialog wants "to")`,
		`  BSUID         ${d.contactBsuid}  (or ${d.contactParentBsuid}; sent as "recipient")`,
		'',
		'WhatsApp Cloud API (Meta)',
		`  base URL      ${emulator.metaBaseUrl}`,
		`  access token  ${d.metaAccessToken}   (public demo value)`,
		`  phone no. id  ${d.metaPhoneNumberId}`,
		`  business id   ${d.metaBusinessAccountId}`,
		`  API version   ${d.metaGraphApiVersion}`,
		`  recipient     ${d.contactNumber.replace(/^\+/, '')} or ${d.contactBsuid}`,
		'',
		'Requests (method path -> status):',
	].join('\n');
}

async function main(): Promise<void> {
	const port = portFromEnv(process.env.EMULATOR_PORT);
	const emulator = await startEmulator({
		port,
		host: '127.0.0.1',
		log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
	});
	process.stdout.write(`${banner(emulator)}\n`);

	let stopping = false;
	const stop = (signal: NodeJS.Signals): void => {
		if (stopping) {
			// A second Ctrl-C means "now": do not wait for in-flight requests.
			process.exit(130);
		}
		stopping = true;
		process.stdout.write(`\n${signal} received, closing the emulator\n`);
		emulator.close().then(
			() => process.exit(0),
			(error: unknown) => {
				process.stderr.write(`error while closing: ${error instanceof Error ? error.message : String(error)}\n`);
				process.exit(1);
			},
		);
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
	process.stderr.write(`emulator failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
	process.exit(1);
});
