import type { INodeParameters, NodeParameterValueType } from 'n8n-workflow';

import { SendWhatsAppVideo } from '../../../../nodes/SendWhatsAppVideo/SendWhatsAppVideo.node';
import { runWorkflow, searchList } from '../../../harness/engine';
import { D, emulatorCredentials, useEmulator } from '../../../harness/setup';

const SECOND_WORKSPACE = { id: 'b6a1e9f0-2c3d-4e5f-8a9b-0c1d2e3f4a5b', name: 'Agency clients', contacts: [] };
const emulator = useEmulator({
	workspaces: [{ id: D.workspaceId, name: D.workspaceName, contacts: [{ id: D.contactId, number: D.contactNumber }] }, SECOND_WORKSPACE],
});

const workspaceParameters = (workspaceId: NodeParameterValueType): INodeParameters => ({
	provider: 'lancepilot',
	workspaceId,
	contactBy: 'number',
	recipient: '+49 151 2345 6789',
	source: 'url',
	videoUrl: 'https://cdn.example.com/promo.mp4',
});

describe('Lancepilot Workspace ID: a text field in version 1, a picker in version 2', () => {
	test('new nodes are version 2, whose Workspace ID is a resource locator; version 1 keeps its text field', () => {
		const { description } = new SendWhatsAppVideo();
		const workspaceFields = description.properties.filter((property) => property.name === 'workspaceId');

		expect([description.version, description.defaultVersion]).toEqual([[1, 2], 2]);
		expect(workspaceFields.map((field) => [field.type, field.displayOptions?.show?.['@version']])).toEqual([
			['string', [1]],
			['resourceLocator', [{ _cnd: { gte: 2 } }]],
		]);
	});

	test('the picker lists the workspaces the token can use, by name, and filters by what is typed', async () => {
		const credentials = emulatorCredentials(emulator());

		const all = await searchList({ method: 'searchLancepilotWorkspaces', parameters: { provider: 'lancepilot' }, credentials });
		const filtered = await searchList({ method: 'searchLancepilotWorkspaces', parameters: { provider: 'lancepilot' }, credentials, filter: 'agency' });

		expect(all.results).toEqual([
			{ name: 'Agency clients', value: SECOND_WORKSPACE.id },
			{ name: D.workspaceName, value: D.workspaceId },
		]);
		expect(filtered.results).toEqual([{ name: 'Agency clients', value: SECOND_WORKSPACE.id }]);
	});

	test('a wrong token in the picker shows Lancepilot\'s refusal, not the token', async () => {
		const error = await searchList({
			method: 'searchLancepilotWorkspaces',
			parameters: { provider: 'lancepilot' },
			credentials: emulatorCredentials(emulator(), { apiToken: 'lp_wrong_token_42' }),
		}).catch((caught: Error) => caught);

		expect((error as Error).message).toContain('Lancepilot rejected the API token');
		expect(JSON.stringify(error)).not.toContain('lp_wrong_token_42');
	});

	test.each([
		['picked from the list', { __rl: true, mode: 'list', value: SECOND_WORKSPACE.id, cachedResultName: 'Agency clients' }],
		['typed by ID', { __rl: true, mode: 'id', value: ` ${SECOND_WORKSPACE.id.toUpperCase()} ` }],
	])('version 2 sends to the workspace %s', async (_how, workspaceId) => {
		const result = await runWorkflow({
			parameters: workspaceParameters(workspaceId),
			items: [{ json: {} }],
			credentials: emulatorCredentials(emulator()),
			typeVersion: 2,
		});

		expect(result.error).toBeUndefined();
		expect(emulator().messagesCreated('lancepilot').map((request) => request.path)).toEqual([
			`/workspaces/${SECOND_WORKSPACE.id}/contacts/number/%2B4915123456789/messages/video`,
		]);
	});

	test('version 2: n8n itself refuses to run a typed ID that is not a UUID, so nothing is sent', async () => {
		await expect(
			runWorkflow({
				parameters: workspaceParameters({ __rl: true, mode: 'id', value: 'my workspace' }),
				items: [{ json: {} }],
				credentials: emulatorCredentials(emulator()),
				typeVersion: 2,
			}),
		).rejects.toThrow(/has issues/);
		expect(emulator().requests).toEqual([]);
	});

	test('version 2 refuses an expression that resolves to something other than a UUID, naming the field and item', async () => {
		const result = await runWorkflow({
			parameters: workspaceParameters({ __rl: true, mode: 'id', value: '={{ $json.workspace }}' }),
			items: [{ json: { workspace: 'my workspace' } }],
			credentials: emulatorCredentials(emulator()),
			typeVersion: 2,
		});

		expect(result.error?.message).toBe('Invalid "Workspace ID" in item 0: "my workspace" is not a UUID');
		expect(emulator().requests).toEqual([]);
	});

	test('a saved version-1 workflow with the ID as text sends as before', async () => {
		const result = await runWorkflow({
			parameters: workspaceParameters(D.workspaceId),
			items: [{ json: {} }],
			credentials: emulatorCredentials(emulator()),
			typeVersion: 1,
		});

		expect(result.error).toBeUndefined();
		expect(emulator().messagesCreated('lancepilot')[0].path).toBe(`/workspaces/${D.workspaceId}/contacts/number/%2B4915123456789/messages/video`);
	});
});
