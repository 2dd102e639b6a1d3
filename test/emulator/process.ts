/**
 * The emulator in a process of its own, driven over IPC, for measurements on the provider's clock.
 * In the client's process the emulator shares one event loop with the client: its CPU time delays
 * the client's requests, and a busy client delays the moment the emulator stamps as an arrival, as
 * no provider on another machine does. Only what can cross a process boundary is offered: options
 * without functions, settings, and a slim copy of the records.
 *
 * This file is both sides: `startEmulatorProcess()` forks it, and run as the child it starts the
 * emulator and answers every command with the command's `id`.
 */
import { fork } from 'node:child_process';

import type { RateLimits } from './rateLimit';
import type { Emulator, ProviderName, RecordedRequest } from './types';

/** The options of startEmulator() that can be sent to another process. */
export interface EmulatorProcessOptions {
	latencyMs?: number;
	rateLimits?: RateLimits;
}

/** What a record says about timing and outcome; no headers (credentials) and no bodies. */
export type ProcessRecord = Pick<
	RecordedRequest,
	'id' | 'provider' | 'method' | 'path' | 'status' | 'responseSent' | 'startedAt' | 'finishedAt' | 'throttled' | 'fault' | 'clientAborted' | 'created'
>;

export interface EmulatorProcess {
	readonly origin: string;
	readonly lancepilotBaseUrl: string;
	readonly dialog360BaseUrl: string;
	readonly metaBaseUrl: string;
	/** The child's process id. */
	readonly pid: number;
	/** As Emulator.reset(): back to the options' latency and rate limits, records and state cleared. */
	reset(): Promise<void>;
	setLatency(ms: number): Promise<void>;
	setRateLimit(provider: ProviderName, perSecond: number | undefined): Promise<void>;
	/** The records so far, in completion order; `startedAt` and `finishedAt` are on the child's clock. */
	requests(): Promise<ProcessRecord[]>;
	/** Closes the emulator and ends the child. */
	close(): Promise<void>;
}

type Command =
	| { type: 'reset' }
	| { type: 'setLatency'; ms: number }
	| { type: 'setRateLimit'; provider: ProviderName; perSecond: number | null }
	| { type: 'requests' }
	| { type: 'close' };

interface Reply {
	id: number;
	error?: string;
	ready?: Pick<EmulatorProcess, 'origin' | 'lancepilotBaseUrl' | 'dialog360BaseUrl' | 'metaBaseUrl'>;
	requests?: ProcessRecord[];
}

const slim = (record: RecordedRequest): ProcessRecord => ({
	id: record.id,
	provider: record.provider,
	method: record.method,
	path: record.path,
	status: record.status,
	responseSent: record.responseSent,
	startedAt: record.startedAt,
	finishedAt: record.finishedAt,
	...(record.throttled ? { throttled: record.throttled } : {}),
	...(record.fault !== undefined ? { fault: record.fault } : {}),
	...(record.clientAborted ? { clientAborted: record.clientAborted } : {}),
	...(record.created ? { created: record.created } : {}),
});

/** Forks the emulator; resolves once it listens, rejects if it fails to start. */
export async function startEmulatorProcess(options: EmulatorProcessOptions = {}): Promise<EmulatorProcess> {
	const child = fork(__filename, [JSON.stringify(options)], {
		execArgv: __filename.endsWith('.ts') ? ['-r', 'ts-node/register/transpile-only'] : [],
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
	const waiting = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
	const failAll = (error: Error) => {
		for (const { reject } of waiting.values()) reject(error);
		waiting.clear();
	};
	child.on('message', (reply: Reply) => {
		const pending = waiting.get(reply.id);
		waiting.delete(reply.id);
		if (reply.error !== undefined) pending?.reject(new Error(reply.error));
		else pending?.resolve(reply);
	});
	child.on('exit', (code, signal) => failAll(new Error(`the emulator process ended (${signal ?? code})`)));
	child.on('error', (error) => failAll(error));
	const ready = await new Promise<Reply>((resolve, reject) => waiting.set(0, { resolve, reject }));
	let nextId = 1;
	const ask = (command: Command) =>
		new Promise<Reply>((resolve, reject) => {
			if (!child.connected) {
				reject(new Error('the emulator process has ended'));
				return;
			}
			const id = nextId++;
			waiting.set(id, { resolve, reject });
			child.send({ ...command, id });
		});
	let closed: Promise<void> | undefined;
	return {
		...(ready.ready as NonNullable<Reply['ready']>),
		pid: child.pid ?? 0,
		reset: async () => void (await ask({ type: 'reset' })),
		setLatency: async (ms) => void (await ask({ type: 'setLatency', ms })),
		setRateLimit: async (provider, perSecond) => void (await ask({ type: 'setRateLimit', provider, perSecond: perSecond ?? null })),
		requests: async () => (await ask({ type: 'requests' })).requests ?? [],
		close: () => {
			closed ??= child.exitCode !== null || child.signalCode !== null
				? Promise.resolve()
				: new Promise<void>((resolve) => {
						child.once('exit', () => resolve());
						ask({ type: 'close' }).catch(() => undefined);
					});
			return closed;
		},
	};
}

/** The child: start the emulator, then obey the parent until told to close or the parent goes. */
async function serve(): Promise<void> {
	const send = (reply: Reply) => process.send?.(reply);
	let emulator: Emulator;
	try {
		const options = JSON.parse(process.argv[2] ?? '{}') as EmulatorProcessOptions;
		// Required here, not imported above: the parent's side never loads the server.
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const { startEmulator } = require('./server') as typeof import('./server');
		emulator = await startEmulator(options);
	} catch (error) {
		send({ id: 0, error: error instanceof Error ? error.message : String(error) });
		process.disconnect?.();
		return;
	}
	const { origin, lancepilotBaseUrl, dialog360BaseUrl, metaBaseUrl } = emulator;
	process.on('disconnect', () => void emulator.close().then(() => process.exit(0)));
	process.on('message', (command: Command & { id: number }) => {
		const { id } = command;
		try {
			switch (command.type) {
				case 'reset':
					emulator.reset();
					send({ id });
					break;
				case 'setLatency':
					emulator.setLatency(command.ms);
					send({ id });
					break;
				case 'setRateLimit':
					emulator.setRateLimit(command.provider, command.perSecond ?? undefined);
					send({ id });
					break;
				case 'requests':
					send({ id, requests: emulator.requests.map(slim) });
					break;
				case 'close':
					void emulator.close().then(() => process.send?.({ id }, () => process.exit(0)));
					break;
			}
		} catch (error) {
			send({ id, error: error instanceof Error ? error.message : String(error) });
		}
	});
	send({ id: 0, ready: { origin, lancepilotBaseUrl, dialog360BaseUrl, metaBaseUrl } });
}

if (require.main === module) void serve();
