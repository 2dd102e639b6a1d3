import { Container } from '@n8n/di';
// Not re-exported by n8n-core's index; the n8n server stops it on shutdown, a test process must too.
import { SSHClientsManager } from 'n8n-core/dist/execution-engine/ssh-clients-manager';

/**
 * Stops the engine's background timers so the test process can exit on its own: executing any
 * node creates n8n-core's SSH tunnel manager, whose cleanup interval otherwise keeps jest alive.
 */
afterAll(() => {
	if (Container.has(SSHClientsManager)) Container.get(SSHClientsManager).onShutdown();
});
