/**
 * What a test run started, undone last-in first-out at the end or on SIGINT/SIGTERM. Something
 * started after an interruption began is undone at once, so no process outlives the run.
 */
import { log } from './n8n';

export class Cleanup {
	private readonly undos: Array<() => Promise<void>> = [];
	private closing = false;
	private running: Promise<void> | undefined;

	add(undo: () => Promise<void>): void {
		if (this.closing) void undo().catch((error: unknown) => log(`clean-up: ${String(error)}`));
		else this.undos.push(undo);
	}

	/** Every caller (the end of the run, a signal) waits for the same one pass. */
	run(): Promise<void> {
		this.closing = true;
		this.running ??= (async () => {
			while (this.undos.length) {
				const undo = this.undos.pop();
				await undo?.().catch((error: unknown) => log(`clean-up: ${String(error)}`));
			}
		})();
		return this.running;
	}

	/** On SIGINT or SIGTERM: undo everything, then exit with 130. */
	onSignals(): void {
		for (const signal of ['SIGINT', 'SIGTERM'] as const) {
			process.once(signal, () => {
				log(`${signal}: stopping everything this run started`);
				void this.run().then(() => process.exit(130));
			});
		}
	}
}
