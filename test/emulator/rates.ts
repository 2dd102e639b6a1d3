import type { RecordedRequest } from './types';

/** The most requests that started within any one second of the emulator's own clock. */
export function busiestSecond(requests: Array<Pick<RecordedRequest, 'startedAt'>>): number {
	const starts = requests.map((request) => request.startedAt).sort((a, b) => a - b);
	let busiest = 0;
	for (let first = 0, last = 0; last < starts.length; last++) {
		while (starts[last] - starts[first] >= 1000) first++;
		busiest = Math.max(busiest, last - first + 1);
	}
	return busiest;
}
