import { rmSync } from 'node:fs';

/** Removes the run's temporary folder (see globalSetup.ts), with every test file's n8n user folder in it. */
export default function globalTeardown(): void {
	const dir = process.env.WA_VIDEO_TEST_TMP;
	if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
