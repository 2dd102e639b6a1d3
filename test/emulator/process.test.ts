import { D, D360_AUTH, postJson } from './helpers';
import { startEmulatorProcess, type EmulatorProcess } from './process';

const message = { messaging_product: 'whatsapp', to: D.contactNumber.slice(1), type: 'video', video: { link: 'https://cdn.example.com/clip.mp4' } };

describe('the emulator in a process of its own', () => {
	let emu: EmulatorProcess;
	beforeAll(async () => {
		emu = await startEmulatorProcess({ latencyMs: 20, rateLimits: { dialog360: 2 } });
	}, 30_000);
	afterAll(() => emu?.close());

	it('runs in another process and serves the providers with the options it was given', async () => {
		expect(emu.pid).not.toBe(process.pid);
		expect(emu.dialog360BaseUrl).toBe(`${emu.origin}/360dialog`);
		const answers = await Promise.all([1, 2, 3].map(() => postJson(`${emu.dialog360BaseUrl}/messages`, message, D360_AUTH)));
		expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 400]);
		const records = await emu.requests();
		expect(records).toHaveLength(3);
		expect(records.filter((r) => r.throttled)).toEqual([expect.objectContaining({ provider: 'dialog360', path: '/messages', status: 400 })]);
		expect(records.filter((r) => r.created?.kind === 'message')).toHaveLength(2);
		for (const record of records) {
			expect(record.finishedAt - record.startedAt).toBeGreaterThanOrEqual(15);
			// Slim records: no headers, so no credentials cross the process boundary.
			expect(record).not.toHaveProperty('headers');
		}
	});

	it('takes settings, resets to its options, and passes a refused setting back as an error', async () => {
		await emu.setRateLimit('dialog360', undefined);
		await emu.setLatency(0);
		const answers = await Promise.all([1, 2, 3].map(() => postJson(`${emu.dialog360BaseUrl}/messages`, message, D360_AUTH)));
		expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
		await emu.reset();
		expect(await emu.requests()).toEqual([]);
		const again = await Promise.all([1, 2, 3].map(() => postJson(`${emu.dialog360BaseUrl}/messages`, message, D360_AUTH)));
		expect(again.map((a) => a.status).sort()).toEqual([200, 200, 400]);
		await expect(emu.setRateLimit('dialog360', 0)).rejects.toThrow(/positive whole number/);
	});

	it('rejects when the emulator cannot start, and close() ends the process', async () => {
		await expect(startEmulatorProcess({ latencyMs: -1 })).rejects.toThrow(/Latency must be a non-negative number/);
		const other = await startEmulatorProcess();
		await other.close();
		await other.close();
		expect(() => process.kill(other.pid, 0)).toThrow();
		await expect(other.requests()).rejects.toThrow(/ended/);
	}, 30_000);
});
