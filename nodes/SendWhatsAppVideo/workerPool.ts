/**
 * Runs jobs in order with at most `concurrency()` in flight, asking again each time a job ends,
 * so the limit can follow what the run learns (how fast the provider answers). Once `stopped()`
 * turns true no new job starts; jobs already running finish.
 */
export async function runPool<T>(
	jobs: readonly T[],
	concurrency: () => number,
	run: (job: T) => Promise<void>,
	stopped: () => boolean,
): Promise<void> {
	const queue = [...jobs];
	let active = 0;
	await new Promise<void>((resolve, reject) => {
		const fill = () => {
			while (queue.length > 0 && !stopped() && active < Math.max(1, concurrency())) {
				const job = queue.shift() as T;
				active++;
				run(job).then(() => {
					active--;
					fill();
				}, reject);
			}
			if (active === 0) resolve();
		};
		fill();
	});
}
