import { fork } from 'node:child_process';
import { join } from 'node:path';

export type EmulatorCommand =
	| { id: number; type: 'reset'; latencyMs: number }
	| { id: number; type: 'starts' }
	| { id: number; type: 'close' };

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface EmulatorReply {
	id: number;
	lancepilotBaseUrl?: string;
	dialog360BaseUrl?: string;
	starts?: Array<{ startedAt: number }>;
}

export interface RemoteEmulator {
	lancepilotBaseUrl: string;
	dialog360BaseUrl: string;
	/** Forgets recorded requests and sets the latency every answer waits for. */
	reset(latencyMs: number): Promise<void>;
	/** When each recorded request started, on the emulator's clock. */
	starts(): Promise<Array<{ startedAt: number }>>;
	close(): Promise<void>;
}

/** Starts the emulator in a child process (see bench-emulator-child.ts for why). */
export async function startRemoteEmulator(): Promise<RemoteEmulator> {
	const child = fork(join(__dirname, 'bench-emulator-child.ts'), [], {
		execArgv: ['-r', 'ts-node/register/transpile-only'],
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
	const waiting = new Map<number, (reply: EmulatorReply) => void>();
	child.on('message', (reply: EmulatorReply) => {
		waiting.get(reply.id)?.(reply);
		waiting.delete(reply.id);
	});
	let nextId = 1;
	const ask = (command: WithoutId<EmulatorCommand>) =>
		new Promise<EmulatorReply>((resolve) => {
			const id = nextId++;
			waiting.set(id, resolve);
			child.send({ ...command, id });
		});
	const ready = await new Promise<EmulatorReply>((resolve, reject) => {
		waiting.set(0, resolve);
		child.once('exit', (code) => reject(new Error(`the emulator process exited (${code}) before it was ready`)));
	});
	return {
		lancepilotBaseUrl: ready.lancepilotBaseUrl ?? '',
		dialog360BaseUrl: ready.dialog360BaseUrl ?? '',
		reset: async (latencyMs) => void (await ask({ type: 'reset', latencyMs })),
		starts: async () => (await ask({ type: 'starts' })).starts ?? [],
		close: async () => void (await ask({ type: 'close' })),
	};
}
