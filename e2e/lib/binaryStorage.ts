/**
 * Where n8n keeps binary data, and reading it back from there. n8n 3.0 removes the in-memory mode:
 * a node meets `filesystem` (the default) or `database` (the default in queue mode), both of which
 * hold only a reference in the item (`binary.id` = `<mode>:<file id>`) and the bytes elsewhere.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { nodeScriptJson, type N8nInstall } from './n8n';

export type BinaryMode = 'filesystem' | 'database';

/** N8N_DEFAULT_BINARY_DATA_MODE for each pass of the `n8n execute` workflows. */
export const BINARY_MODES: BinaryMode[] = ['filesystem', 'database'];

/** The prefix n8n gives a binary's id in each mode. */
export const ID_PREFIX: Record<BinaryMode, string> = { filesystem: 'filesystem-v2:', database: 'database:' };

/** n8n's storage folder in a fresh user folder (N8N_STORAGE_PATH unset; `.n8n/binaryData` only on upgraded installs). */
function storagePath(userFolder: string): string {
	return join(userFolder, '.n8n', 'storage');
}

/**
 * The bytes n8n stored under a binary id, read where its mode keeps them: a file below the storage
 * folder, or a row of the `binary_data` table in the user folder's SQLite database (read with the
 * install's own sqlite3 module, on the install's own Node). Undefined when nothing is there.
 */
export async function readStoredBinary(install: N8nInstall, userFolder: string, id: string): Promise<Buffer | undefined> {
	if (id.startsWith(ID_PREFIX.filesystem)) {
		const path = join(storagePath(userFolder), id.slice(ID_PREFIX.filesystem.length));
		return existsSync(path) ? readFileSync(path) : undefined;
	}
	if (id.startsWith(ID_PREFIX.database)) return await readDatabaseRow(install, join(userFolder, '.n8n', 'database.sqlite'), id.slice(ID_PREFIX.database.length));
	return undefined;
}

/** How many rows the `binary_data` table holds. */
export async function countDatabaseRows(install: N8nInstall, userFolder: string): Promise<number> {
	const out = await sqlite(install, join(userFolder, '.n8n', 'database.sqlite'), 'SELECT COUNT(*) AS n FROM binary_data', []);
	return Number((out[0] as { n?: number } | undefined)?.n ?? 0);
}

async function readDatabaseRow(install: N8nInstall, dbPath: string, fileId: string): Promise<Buffer | undefined> {
	const rows = await sqlite(install, dbPath, "SELECT hex(data) AS hex FROM binary_data WHERE fileId = ?", [fileId]);
	const hex = (rows[0] as { hex?: string } | undefined)?.hex;
	return hex === undefined ? undefined : Buffer.from(hex, 'hex');
}

function sqlite(install: N8nInstall, dbPath: string, query: string, params: string[]): Promise<unknown[]> {
	const script = `
const sqlite3 = require(require.resolve('sqlite3', { paths: [process.argv[1]] }));
const db = new sqlite3.Database(process.argv[2], sqlite3.OPEN_READONLY, (error) => {
	if (error) { process.stderr.write(String(error)); process.exit(1); }
	db.all(process.argv[3], JSON.parse(process.argv[4]), (error, rows) => {
		if (error) { process.stderr.write(String(error)); process.exit(1); }
		process.stdout.write(JSON.stringify(rows));
		db.close();
	});
});
`;
	return nodeScriptJson<unknown[]>(install, script, [join(install.dir, 'node_modules', 'n8n'), dbPath, query, JSON.stringify(params)], `reading ${dbPath} with the install's sqlite3`);
}
