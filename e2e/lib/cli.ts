/** Reading what `n8n execute --rawOutput` printed. */
import type { CliResult } from './n8n';

export interface OutputItem {
	json: Record<string, unknown>;
	pairedItem?: unknown;
	binary?: unknown;
}

/** `n8n execute --rawOutput` prints the run as pretty JSON: the block from a lone `{` to the last lone `}`. */
export function parseRun(stdout: string): Record<string, unknown> | undefined {
	const lines = stdout.split('\n');
	const start = lines.findIndex((line) => line === '{');
	let end = -1;
	for (let i = lines.length - 1; i >= 0; i--) {
		if (lines[i] === '}') {
			end = i;
			break;
		}
	}
	if (start === -1 || end < start) return undefined;
	try {
		return JSON.parse(lines.slice(start, end + 1).join('\n')) as Record<string, unknown>;
	} catch {
		return undefined;
	}
}

/** The first output of a node in a parsed run. */
export function nodeOutput(run: Record<string, unknown> | undefined, nodeName: string): OutputItem[] | undefined {
	const runData = (run as { data?: { resultData?: { runData?: Record<string, unknown> } } } | undefined)?.data?.resultData
		?.runData;
	const taskData = runData?.[nodeName] as Array<{ data?: { main?: OutputItem[][] } }> | undefined;
	return taskData?.[0]?.data?.main?.[0];
}

export function describeResult(result: CliResult): string {
	const tail = (text: string): string => text.split('\n').slice(-25).join('\n');
	return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}${result.timedOut ? ' TIMED OUT' : ''} after ${result.ms} ms\n--- stdout (tail)\n${tail(result.stdout)}\n--- stderr (tail)\n${tail(result.stderr)}`;
}
