/**
 * Runs the provider emulator standalone, for trying the node by hand inside a local n8n:
 *   EMULATOR_PORT=4780 npx ts-node --transpile-only test/emulator/cli.ts
 *
 * Settings (environment variables):
 *   EMULATOR_PORT        port to listen on (default 4780; 0 picks a free one)
 *   EMULATOR_HOST        address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 for every
 *                        interface, so that n8n in a Docker container can reach it)
 *   EMULATOR_PUBLIC_URL  the origin printed in the base URLs, when n8n reaches the emulator under
 *                        another name (e.g. http://emulator:4780 in docker/docker-compose.yml)
 *
 * Request log lines carry method, path (no query) and status only, never header values, so the
 * credentials a client sends cannot end up in a terminal scrollback or CI log.
 */
import { isIP } from 'node:net';

import { EMULATOR_DEFAULTS, startEmulator, type Emulator } from './server';

const DEFAULT_PORT = 4780;
const DEFAULT_HOST = '127.0.0.1';
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::']);

function portFromEnv(value: string | undefined): number {
	if (value === undefined || value.trim() === '') return DEFAULT_PORT;
	const port = Number(value);
	if (!Number.isInteger(port) || port < 0 || port > 65535) {
		throw new RangeError(`EMULATOR_PORT must be an integer in 0..65535, got "${value}"`);
	}
	return port;
}

function hostFromEnv(value: string | undefined): string {
	const host = value?.trim() ?? '';
	if (host === '') return DEFAULT_HOST;
	if (isIP(host) === 0 && !/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) {
		throw new RangeError(`EMULATOR_HOST must be an IP address or a host name (127.0.0.1, or 0.0.0.0 for every interface), got "${value}"`);
	}
	return host;
}

function publicUrlFromEnv(value: string | undefined): string | undefined {
	const text = value?.trim() ?? '';
	if (text === '') return undefined;
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		throw new RangeError(`EMULATOR_PUBLIC_URL must be a URL such as http://emulator:4780, got "${value}"`);
	}
	if (url.protocol !== 'http:' || url.pathname !== '/' || url.search !== '' || url.hash !== '') {
		throw new RangeError(`EMULATOR_PUBLIC_URL must be an http:// origin without a path, such as http://emulator:4780, got "${value}"`);
	}
	return url.origin;
}

/** What to change when listening fails, by the error's code. */
function listenFailure(error: unknown, host: string, port: number): string {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	const message = error instanceof Error ? error.message : String(error);
	switch (code) {
		case 'EADDRINUSE':
			return (
				`port ${port} on ${host} is already in use (is an emulator already running?). ` +
				`Stop what uses it, or pick another port with EMULATOR_PORT, e.g. EMULATOR_PORT=${port === 65535 ? 4781 : port + 1} npm run emulator ` +
				'(then use that port in the credentials\' Base URLs).'
			);
		case 'EACCES':
			return `not allowed to listen on port ${port} on ${host} (ports below 1024 need privileges): set EMULATOR_PORT to a port from 1024 to 65535.`;
		case 'EADDRNOTAVAIL':
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return `EMULATOR_HOST=${host} is not an address of this machine (${code}): use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface, e.g. for n8n in Docker).`;
		default:
			return message;
	}
}

function banner(emulator: Emulator, publicOrigin: string | undefined): string {
	const d = EMULATOR_DEFAULTS;
	const wildcard = WILDCARD_HOSTS.has(emulator.host);
	// A wildcard address is where the emulator listens, not where anyone reaches it.
	const shownOrigin = publicOrigin ?? (wildcard ? `http://localhost:${emulator.port}` : emulator.origin);
	const shown = (url: string) => `${shownOrigin}${url.slice(emulator.origin.length)}`;
	const reach = wildcard
		? [
				`  on every interface of this machine: anyone who reaches port ${emulator.port} here can use it (its keys are public demo values).`,
				publicOrigin
					? `  Base URLs below use EMULATOR_PUBLIC_URL=${publicOrigin}.`
					: `  From n8n in a Docker container (Docker Desktop) use http://host.docker.internal:${emulator.port} in place of http://localhost:${emulator.port}.`,
			]
		: publicOrigin
			? [`  Base URLs below use EMULATOR_PUBLIC_URL=${publicOrigin}.`]
			: [];
	return [
		`WhatsApp video provider emulator listening on ${emulator.origin}`,
		...reach,
		'',
		'Lancepilot',
		`  base URL      ${shown(emulator.lancepilotBaseUrl)}`,
		`  token         ${d.lancepilotToken}   (public demo value)`,
		`  workspace id  ${d.workspaceId}  (${d.workspaceName})`,
		`  contact id    ${d.contactId}`,
		`  contact no.   ${d.contactNumber}`,
		'',
		'360dialog',
		`  base URL      ${shown(emulator.dialog360BaseUrl)}`,
		`  API key       ${d.dialog360ApiKey}   (public demo value)`,
		`  recipient     ${d.contactNumber.replace(/^\+/, '')}  (digits only, as 360dialog wants "to")`,
		`  BSUID         ${d.contactBsuid}  (or ${d.contactParentBsuid}; sent as "recipient")`,
		'',
		'WhatsApp Cloud API (Meta)',
		`  base URL      ${shown(emulator.metaBaseUrl)}`,
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
	const host = hostFromEnv(process.env.EMULATOR_HOST);
	const publicOrigin = publicUrlFromEnv(process.env.EMULATOR_PUBLIC_URL);
	let emulator: Emulator;
	try {
		emulator = await startEmulator({
			port,
			host,
			log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
		});
	} catch (error) {
		throw new Error(listenFailure(error, host, port));
	}
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
	// Only now: whoever waits for the banner may stop the emulator the moment it appears.
	process.stdout.write(`${banner(emulator, publicOrigin)}\n`);
}

main().catch((error: unknown) => {
	process.stderr.write(`emulator failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
	process.exit(1);
});
