import { sleep } from 'n8n-workflow';

/** Waits `ms` for a reason of the job's own, letting other jobs use its place meanwhile. */
export type StandAside = (ms: number) => Promise<void>;

/** The jobs of one lane, by position in the list given, and which of them is due next. */
interface Lane {
	positions: number[];
	next: number;
}

/** Positions of jobs ready to start, smallest first: the earliest job given starts first. */
class PositionHeap {
	private readonly heap: number[] = [];

	get size(): number {
		return this.heap.length;
	}

	push(position: number): void {
		const { heap } = this;
		let at = heap.push(position) - 1;
		while (at > 0) {
			const parent = (at - 1) >> 1;
			if (heap[parent] <= position) break;
			heap[at] = heap[parent];
			at = parent;
		}
		heap[at] = position;
	}

	pop(): number {
		const { heap } = this;
		const top = heap[0];
		const last = heap.pop() as number;
		if (heap.length === 0) return top;
		let at = 0;
		for (;;) {
			let child = 2 * at + 1;
			if (child >= heap.length) break;
			if (child + 1 < heap.length && heap[child + 1] < heap[child]) child++;
			if (heap[child] >= last) break;
			heap[at] = heap[child];
			at = child;
		}
		heap[at] = last;
		return top;
	}
}

/**
 * Runs jobs with at most `concurrency()` in flight, asking again each time a job ends, so the
 * limit can follow what the run learns (how fast the provider answers). Jobs of one lane (asked
 * once per job, before any starts) run one at a time in the order given: the next starts once the
 * previous has ended. Of the jobs free to start, the earliest given starts first. Once `stopped()`
 * turns true no new job starts; jobs already running finish.
 *
 * A job that stands aside gives its place to other jobs while it waits, and has it back before any
 * new job starts; it keeps its lane. At most `concurrency()` jobs stand aside at once (beyond that a
 * job waits in its place), so what unfinished jobs hold in memory stays bounded.
 */
export async function runPool<T>(
	jobs: readonly T[],
	concurrency: () => number,
	laneOf: (job: T) => string,
	run: (job: T, standAside: StandAside) => Promise<void>,
	stopped: () => boolean,
): Promise<void> {
	const lanes = new Map<string, Lane>();
	const ready = new PositionHeap();
	const laneAt = jobs.map((job, position) => {
		const key = laneOf(job);
		let lane = lanes.get(key);
		if (!lane) {
			lane = { positions: [], next: 0 };
			lanes.set(key, lane);
			ready.push(position);
		}
		lane.positions.push(position);
		return lane;
	});
	const limit = () => Math.max(1, concurrency());
	let running = 0;
	let standingAside = 0;
	/** Jobs back from standing aside, waiting for a place. */
	const returning: Array<() => void> = [];

	await new Promise<void>((resolve, reject) => {
		const fill = () => {
			while (returning.length > 0 && running < limit()) {
				running++;
				(returning.shift() as () => void)();
			}
			while (returning.length === 0 && ready.size > 0 && !stopped() && running < limit()) {
				const position = ready.pop();
				running++;
				run(jobs[position], standAside).then(() => {
					running--;
					const lane = laneAt[position];
					if (++lane.next < lane.positions.length) ready.push(lane.positions[lane.next]);
					fill();
				}, reject);
			}
			if (running === 0 && standingAside === 0 && returning.length === 0) resolve();
		};
		const standAside: StandAside = async (ms) => {
			if (standingAside >= limit()) {
				await sleep(ms);
				return;
			}
			standingAside++;
			running--;
			fill();
			await sleep(ms);
			standingAside--;
			await new Promise<void>((back) => {
				returning.push(back);
				fill();
			});
		};
		fill();
	});
}
