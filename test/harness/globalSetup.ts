import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * One temporary folder for the whole jest run: env.ts puts each test file's n8n user folder in it,
 * and globalTeardown.ts removes it, so a run leaves the temp directory as it found it. Set here, in
 * jest's main process, before the workers start: they inherit it.
 */
export default function globalSetup(): void {
	process.env.WA_VIDEO_TEST_TMP = mkdtempSync(join(tmpdir(), 'wa-video-test-'));
	// ts-node (the emulator CLI the tests start) otherwise keeps a compile cache in the temp directory.
	process.env.DISABLE_V8_COMPILE_CACHE ??= '1';
}
