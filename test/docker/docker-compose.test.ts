/**
 * docker/docker-compose.yml cannot run here (no Docker in CI): check what can go stale without
 * Docker noticing until a user runs it. The emulator's EMULATOR_HOST and EMULATOR_PUBLIC_URL are
 * tested by test/emulator/cli.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const DOCKER = join(ROOT, 'docker');
const compose = readFileSync(join(DOCKER, 'docker-compose.yml'), 'utf8');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const versions = readFileSync(join(ROOT, 'e2e', 'versions.env'), 'utf8');
const cli = readFileSync(join(ROOT, 'test', 'emulator', 'cli.ts'), 'utf8');

/** The lines of one top-level service, by its two-space-indented name. */
function service(name: string): string {
	const match = new RegExp(`^  ${name}:\\n((?:    .*\\n|\\s*\\n)+)`, 'm').exec(compose);
	if (!match) throw new Error(`no service ${name} in docker-compose.yml`);
	return match[1];
}

const version = (text: string) => text.split('.').map(Number);
const atLeast = (a: number[], b: number[]) => a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] >= b[2];

describe('docker/docker-compose.yml', () => {
	it('uses only spaces for indentation (YAML refuses tabs)', () => {
		expect(compose).not.toMatch(/^\t/m);
	});

	it('runs n8n from the official image at a pinned 2.x release the README supports', () => {
		const image = /^    image: docker\.n8n\.io\/n8nio\/n8n:(\d+\.\d+\.\d+)$/m.exec(service('n8n'))?.[1];
		expect(image).toBeDefined();
		const oldest = /^N8N_OLD=(\S+)/m.exec(versions)![1];
		expect(version(image!)[0]).toBe(2);
		expect(atLeast(version(image!), version(oldest))).toBe(true);
	});

	it("mounts the package folder where n8n loads community packages, the folder the README's commands fill", () => {
		expect(service('n8n')).toContain('      - ./nodes:/home/node/.n8n/nodes\n');
		expect(readme).toContain('mkdir -p docker/nodes/node_modules/n8n-nodes-whatsapp-video');
		expect(readme).toContain('-C docker/nodes/node_modules/n8n-nodes-whatsapp-video');
		expect(readFileSync(join(DOCKER, '.gitignore'), 'utf8')).toContain('nodes/');
	});

	it('runs the emulator CLI from the mounted repository with settings the CLI reads', () => {
		const emulator = service('emulator');
		expect(emulator).toMatch(/^    image: node:20$/m);
		expect(emulator).toContain('      - ..:/repo:ro\n');
		expect(emulator).toMatch(/^    working_dir: \/repo$/m);
		const command = JSON.parse(/^    command: (\[.*\])$/m.exec(emulator)![1]) as string[];
		expect(command[0]).toBe('node');
		for (const file of command.slice(1).filter((arg) => !arg.startsWith('-'))) expect(existsSync(join(ROOT, file))).toBe(true);
		expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.emulator).toContain(command.slice(2).join(' '));
		const env = Object.fromEntries([...emulator.matchAll(/^      - (EMULATOR_\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
		expect(env).toEqual({ EMULATOR_HOST: '0.0.0.0', EMULATOR_PORT: '4780', EMULATOR_PUBLIC_URL: 'http://emulator:4780' });
		for (const name of Object.keys(env)) expect(cli).toContain(`process.env.${name}`);
	});
});
