import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { D, D360_AUTH, LP_AUTH, META_AUTH, http, waitFor } from './helpers';

const ROOT = join(__dirname, '..', '..');
const TS_NODE = join(ROOT, 'node_modules', '.bin', 'ts-node');

interface Running {
	child: ChildProcessWithoutNullStreams;
	output: () => string;
	exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function runCli(env: Record<string, string>): Running {
	const child = spawn(TS_NODE, ['--transpile-only', 'test/emulator/cli.ts'], {
		cwd: ROOT,
		env: { ...process.env, ...env },
	});
	let output = '';
	child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
	child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
	const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
		child.on('exit', (code, signal) => resolve({ code, signal })),
	);
	return { child, output: () => output, exit };
}

async function started(run: Running): Promise<{ lancepilot: string; dialog360: string; meta: string }> {
	await waitFor(() => run.output().includes('Requests (method path -> status):'), 20_000);
	const lancepilot = /base URL\s+(http:\/\/127\.0\.0\.1:\d+\/lancepilot\/api\/v3)/.exec(run.output())?.[1];
	const dialog360 = /base URL\s+(http:\/\/127\.0\.0\.1:\d+\/360dialog)/.exec(run.output())?.[1];
	const meta = /base URL\s+(http:\/\/127\.0\.0\.1:\d+\/meta)\n/.exec(run.output())?.[1];
	if (!lancepilot || !dialog360 || !meta) throw new Error(`no base URLs in banner:\n${run.output()}`);
	return { lancepilot, dialog360, meta };
}

describe('cli', () => {
	jest.setTimeout(40_000);

	it.each<NodeJS.Signals>(['SIGTERM', 'SIGINT'])('prints the banner, logs requests without secrets and exits cleanly on %s', async (signal) => {
		const run = runCli({ EMULATOR_PORT: '0' });
		try {
			const urls = await started(run);
			const banner = run.output();
			for (const value of [
				D.lancepilotToken,
				D.dialog360ApiKey,
				D.workspaceId,
				D.contactId,
				D.contactNumber,
				D.contactBsuid,
				D.metaAccessToken,
				D.metaPhoneNumberId,
				D.metaBusinessAccountId,
				D.metaGraphApiVersion,
			]) {
				expect(banner).toContain(value);
			}

			expect((await http(`${urls.lancepilot}/workspaces?api_token=${D.lancepilotToken}`, { headers: LP_AUTH })).status).toBe(200);
			expect((await http(`${urls.dialog360}/whatsapp_business_profile?fields=about`, { headers: D360_AUTH })).status).toBe(200);
			expect((await http(`${urls.dialog360}/messages`, { method: 'POST', headers: { 'D360-API-KEY': 'wrong-key' } })).status).toBe(401);
			const phoneNumber = `${urls.meta}/${D.metaGraphApiVersion}/${D.metaPhoneNumberId}`;
			expect((await http(phoneNumber, { headers: META_AUTH })).status).toBe(200);
			expect((await http(`${phoneNumber}/messages`, { method: 'POST', headers: { Authorization: 'Bearer wrong-token' } })).status).toBe(401);
			await waitFor(() => run.output().includes(`POST /meta/${D.metaGraphApiVersion}/${D.metaPhoneNumberId}/messages -> 401`), 5000);

			const requestLog = run.output().slice(banner.length);
			expect(requestLog).toMatch(/GET \/lancepilot\/api\/v3\/workspaces -> 200/);
			expect(requestLog).toMatch(/GET \/360dialog\/whatsapp_business_profile -> 200/);
			expect(requestLog).toContain(`GET /meta/${D.metaGraphApiVersion}/${D.metaPhoneNumberId} -> 200`);
			expect(requestLog).not.toContain(D.metaAccessToken);
			expect(requestLog).not.toContain('wrong-token');
			expect(requestLog).not.toContain(D.lancepilotToken);
			expect(requestLog).not.toContain(D.dialog360ApiKey);
			expect(requestLog).not.toContain('wrong-key');

			run.child.kill(signal);
			expect(await run.exit).toEqual({ code: 0, signal: null });
			expect(run.output()).toContain(`${signal} received`);
		} finally {
			if (run.child.exitCode === null) run.child.kill('SIGKILL');
		}
	});

	it('refuses an invalid EMULATOR_PORT', async () => {
		const run = runCli({ EMULATOR_PORT: 'eighty' });
		const { code } = await run.exit;
		expect(code).toBe(1);
		expect(run.output()).toContain('EMULATOR_PORT must be an integer');
	});

	it('listens on every interface with EMULATOR_HOST=0.0.0.0 and prints URLs a client can use', async () => {
		const run = runCli({ EMULATOR_PORT: '0', EMULATOR_HOST: '0.0.0.0' });
		try {
			await waitFor(() => run.output().includes('Requests (method path -> status):'), 20_000);
			const port = /listening on http:\/\/0\.0\.0\.0:(\d+)\n/.exec(run.output())?.[1];
			expect(port).toBeDefined();
			expect(run.output()).toContain(`use http://host.docker.internal:${port} in place of http://localhost:${port}`);
			expect(run.output()).toContain(`base URL      http://localhost:${port}/lancepilot/api/v3\n`);
			expect(run.output()).not.toMatch(/base URL\s+http:\/\/0\.0\.0\.0/);
			// Reached through an address other than the one it printed: it listens on all of them.
			expect((await http(`http://127.0.0.1:${port}/lancepilot/api/v3/workspaces`, { headers: LP_AUTH })).status).toBe(200);
			run.child.kill('SIGTERM');
			expect(await run.exit).toEqual({ code: 0, signal: null });
		} finally {
			if (run.child.exitCode === null) run.child.kill('SIGKILL');
		}
	});

	it('prints the base URLs under EMULATOR_PUBLIC_URL, as n8n in docker/docker-compose.yml reaches it', async () => {
		const run = runCli({ EMULATOR_PORT: '0', EMULATOR_HOST: '0.0.0.0', EMULATOR_PUBLIC_URL: 'http://emulator:4780/' });
		try {
			await waitFor(() => run.output().includes('Requests (method path -> status):'), 20_000);
			expect(run.output()).toContain('Base URLs below use EMULATOR_PUBLIC_URL=http://emulator:4780.');
			expect(run.output()).toContain('base URL      http://emulator:4780/lancepilot/api/v3\n');
			expect(run.output()).toContain('base URL      http://emulator:4780/360dialog\n');
			expect(run.output()).toContain('base URL      http://emulator:4780/meta\n');
			run.child.kill('SIGTERM');
			expect(await run.exit).toEqual({ code: 0, signal: null });
		} finally {
			if (run.child.exitCode === null) run.child.kill('SIGKILL');
		}
	});

	it('names the setting to change when the port is taken', async () => {
		const taken = createServer();
		await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
		const port = (taken.address() as AddressInfo).port;
		try {
			const run = runCli({ EMULATOR_PORT: String(port) });
			expect((await run.exit).code).toBe(1);
			expect(run.output()).toContain(`emulator failed to start: port ${port} on 127.0.0.1 is already in use`);
			expect(run.output()).toContain(`pick another port with EMULATOR_PORT, e.g. EMULATOR_PORT=${port + 1} npm run emulator`);
		} finally {
			await new Promise((resolve) => taken.close(resolve));
		}
	});

	// A documentation address (RFC 5737) that none of this machine's interfaces has.
	const local = new Set(Object.values(networkInterfaces()).flatMap((addresses) => (addresses ?? []).map((a) => a.address)));
	const foreign = ['203.0.113.1', '198.51.100.1', '192.0.2.1'].find((address) => !local.has(address)) ?? '203.0.113.1';

	it.each([
		[{ EMULATOR_HOST: 'not a host!' }, 'EMULATOR_HOST must be an IP address or a host name'],
		[{ EMULATOR_HOST: foreign }, `EMULATOR_HOST=${foreign} is not an address of this machine`],
		[{ EMULATOR_PUBLIC_URL: 'http://emulator:4780/lancepilot' }, 'EMULATOR_PUBLIC_URL must be an http:// origin without a path'],
	])('refuses %j, naming the setting', async (env, message) => {
		const run = runCli({ EMULATOR_PORT: '0', ...env });
		expect((await run.exit).code).toBe(1);
		expect(run.output()).toContain(message);
	});
});
