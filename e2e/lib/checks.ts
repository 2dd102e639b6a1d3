/** A tiny assertion collector: every check is counted, failures are listed, the run goes on. */
import { isDeepStrictEqual, inspect } from 'node:util';

export class Checks {
	passed = 0;
	readonly failures: string[] = [];
	private scope = '';

	section(title: string): void {
		this.scope = title;
		process.stdout.write(`\n${title}\n`);
	}

	ok(name: string, condition: boolean, detail?: unknown): boolean {
		if (condition) {
			this.passed += 1;
			process.stdout.write(`  ok    ${name}\n`);
		} else {
			const text = detail === undefined ? '' : `\n        ${inspect(detail, { depth: 6, breakLength: 120 }).replace(/\n/g, '\n        ')}`;
			this.failures.push(`${this.scope}: ${name}`);
			process.stdout.write(`  FAIL  ${name}${text}\n`);
		}
		return condition;
	}

	equal(name: string, actual: unknown, expected: unknown): boolean {
		return this.ok(name, isDeepStrictEqual(actual, expected), { actual, expected });
	}

	summary(): number {
		process.stdout.write('\n');
		for (const failure of this.failures) process.stdout.write(`failed: ${failure}\n`);
		process.stdout.write(`e2e: ${this.passed} passed, ${this.failures.length} failed\n`);
		return this.failures.length === 0 ? 0 : 1;
	}
}
