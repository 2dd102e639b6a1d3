/**
 * The emulator in a process of its own, for the concurrency measurement. Inside the bench's process
 * the emulator's work would share one event loop with the node's, so ten requests in flight would
 * queue behind the provider's CPU time as no remote provider makes them. Driven over IPC; every
 * message is answered with the same `id` once done.
 */
import type { EmulatorCommand, EmulatorReply } from './bench-emulator';
import { startEmulator } from '../test/emulator/server';

async function main(): Promise<void> {
	const emulator = await startEmulator();
	const send = (reply: EmulatorReply) => process.send?.(reply);
	process.on('message', (command: EmulatorCommand) => {
		switch (command.type) {
			case 'reset':
				emulator.reset();
				emulator.setLatency(command.latencyMs);
				send({ id: command.id });
				break;
			case 'starts':
				send({ id: command.id, starts: emulator.requests.map((request) => ({ startedAt: request.startedAt })) });
				break;
			case 'close':
				void emulator.close().then(() => {
					send({ id: command.id });
					process.exit(0);
				});
				break;
		}
	});
	send({ id: 0, lancepilotBaseUrl: emulator.lancepilotBaseUrl, dialog360BaseUrl: emulator.dialog360BaseUrl });
}

void main();
