/**
 * Redis and PostgreSQL for the queue-mode test, from Debian's packages. When one is missing and
 * this runs as root on a machine with apt-get (a fresh CI machine), it installs them, saying so;
 * otherwise it stops with the command to run.
 */
import { spawnSync } from 'node:child_process';
import { userInfo } from 'node:os';

import { log } from './n8n';
import { postgresBinDir } from './postgres';
import { redisInstalled } from './redis';

const PACKAGES = ['redis-server', 'postgresql'];

function missing(): string[] {
	return [...(redisInstalled() ? [] : ['redis-server']), ...(postgresBinDir() ? [] : ['postgresql'])];
}

export function ensureDebianPackages(): void {
	const absent = missing();
	if (absent.length === 0) return;
	const command = `apt-get update && apt-get install -y --no-install-recommends ${PACKAGES.join(' ')}`;
	const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
	if (userInfo().uid !== 0 || !hasApt) {
		throw new Error(`the queue-mode test needs ${absent.join(' and ')}: run \`${command}\` as root (or with sudo) first`);
	}
	log(`${absent.join(' and ')} missing: running ${command}`);
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...PACKAGES]]) {
		const result = spawnSync('apt-get', args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
		if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (${result.status})`);
	}
	const still = missing();
	if (still.length) throw new Error(`apt-get installed ${PACKAGES.join(' ')}, yet ${still.join(' and ')} is still not found`);
}
