/**
 * Runs jobs with at most `concurrency` in flight, taking them in order. Once `stopped()` turns
 * true no new job starts; jobs already running finish.
 */
export async function runPool<T>(
	jobs: readonly T[],
	concurrency: number,
	run: (job: T) => Promise<void>,
	stopped: () => boolean,
): Promise<void> {
	const queue = [...jobs];
	const worker = async () => {
		for (let job = queue.shift(); job !== undefined && !stopped(); job = queue.shift()) await run(job);
	};
	await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
}
