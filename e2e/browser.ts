/**
 * `npm run test:browser`: the packed package in `n8n start`, driven in Debian's Chromium by
 * Playwright (playwright-core; browsers cannot be downloaded here, e2e/ensure-chromium.sh installs
 * Debian's package when it is missing).
 *
 * n8n runs on 127.0.0.1 with a fresh user folder holding the package in `.n8n/custom/`; the owner
 * account is set up through `POST /rest/owner/setup` and the browser logs in through `POST /rest/login`.
 * Then, in the editor:
 * - the node creator finds the node by searching "WhatsApp video";
 * - the node panel shows Workspace ID and Find Contact By only for Lancepilot, Phone Number without
 *   Workspace ID for 360dialog and for Meta's WhatsApp Cloud API, and the Video Source choices
 *   (Binary File / URL / Media ID) show Input Binary Field / Video URL / Media ID;
 * - each credential dialog shows the token or key as a password field, and saving it runs n8n's
 *   credential test: a wrong key fails with the credential's own message, the emulator's key succeeds
 *   (for Meta: `GET {baseUrl}/{graphApiVersion}/{phoneNumberId}` with the Bearer token);
 * - Lancepilot's Workspace ID (node version 2) is picked From List (GET /workspaces);
 * - the node, run from the editor ("Execute step") against the emulator, sends one message per
 *   provider with the values typed in the panel (Meta: by the media id of a video uploaded to the
 *   emulator first);
 * - on Meta, Message Type Template: the Template list ("From List") offers only the account's
 *   approved templates with a video header, spring_promo is picked, its body and button parameters
 *   filled in, the workflow saved (the pick is stored as a list-mode locator with its name) and the
 *   template sent with the uploaded video as its header;
 * - the WhatsApp Video Status Trigger in a new workflow: its fields for 360dialog and for Meta
 *   (picked through the credential), the Meta dashboard notice, the Verify Token as a password field,
 *   and the Production URLs under n8n's WEBHOOK_URL (https://n8n.example.com/ here);
 * - an AI Agent in a new workflow, built as the README says: an OpenAI Chat Model on its Chat Model
 *   input (its credential created through `POST /rest/credentials`), and on its Tool input "WhatsApp
 *   video" finds Send WhatsApp Video Tool; the tool's panel shows Description first, holding the
 *   node's description, and the ✨ button on Phone Number, Video URL and Caption, which makes each a
 *   `$fromAI()` expression (Phone Number with a description typed for the model), as the saved
 *   workflow shows along with the wiring;
 * - examples/ai-agent-send-video.json created through `POST /rest/workflows` and run from the editor
 *   ("Execute workflow") against a scripted OpenAI-compatible model (e2e/lib/chatModel.ts), the
 *   emulator and a video host for the tool's link check: the model is offered the tool with the
 *   node's description and calls it, one message goes out, and the AI Agent's output panel shows the
 *   model's answer with the message ID.
 * n8n chooses the provider in the editor through the credential: the node's credentials depend on
 * Provider, so n8n shows Provider as "Connect using" in the new-credential dialog and switches it
 * when a credential of the other type is picked.
 *
 * Screenshots go to docs/screenshots/ (to a temporary folder when CI=true, so CI leaves the work tree
 * alone; E2E_SCREENSHOTS=<dir> overrides). Env: E2E_BROWSER_N8N=current|old (default current),
 * N8N_E2E_CACHE, E2E_KEEP=1, E2E_SKIP_BUILD=1. A failed run keeps its folder with failure.png
 * and n8n's log.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

import { sendNodeDescription } from '../nodes/SendWhatsAppVideo/description';
import { PROVIDERS } from '../nodes/SendWhatsAppVideo/providers';
import { EMULATOR_DEFAULTS as D, startEmulator, type Emulator } from '../test/emulator/server';
import { startMediaHost, type MediaHost } from '../test/harness/mediaServer';
import { messageText, startChatModel, type ChatCompletionRequest, type ChatModelServer, type ScriptedTurn } from './lib/chatModel';
import { Checks } from './lib/checks';
import { buildAndPack, ensureN8n, log, makeUserFolder, makeWorkDir, removeDir, ROOT, type Which } from './lib/n8n';
import { OWNER, setupOwner, startN8nServer, type N8nServer } from './lib/server';
import { loadExample } from './lib/statusWorkflows';
import type { Workflow } from './lib/workflows';

/**
 * What a failed credential test says for a 401. n8n 2.8 words it itself ("Authorization failed -
 * please check your credentials") before a credential's `responseCode` rules are looked at; current
 * n8n shows the rule's message.
 */
const unauthorized = (ruleMessage: RegExp): RegExp => (process.env.E2E_BROWSER_N8N === 'old' ? /Authorization failed/ : ruleMessage);

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];
const NODE_NAME = 'Send WhatsApp Video';
const TRIGGER_NAME = 'WhatsApp Video Status Trigger';
const AGENT_NAME = 'AI Agent';
const CHAT_MODEL_NAME = 'OpenAI Chat Model';
/** n8n's tool of the node (a node marked `usableAsTool`), as the node creator lists it. */
const TOOL_ENTRY = `${NODE_NAME} Tool`;
/** The OpenAI credential, on the scripted OpenAI-compatible model (e2e/lib/chatModel.ts); the example's name for it. */
const OPENAI_CREDENTIAL = 'OpenAI account';
/** n8n's public URL in this test: the trigger panel shows its Production URL below it. */
const WEBHOOK_URL = 'https://n8n.example.com/';
/** The Meta provider's name in the Provider list, the new-credential dialog and the subtitle. */
const META = 'WhatsApp Cloud API (Meta)';
/** Parameters n8n adds to every node's Settings tab; not the node's own. */
const SETTINGS_PARAMETERS = new Set(['alwaysOutputData', 'executeOnce', 'retryOnFail', 'onError', 'notes', 'notesInFlow', 'maxTries', 'waitBetweenTries']);

/** "WhatsApp Cloud API (Meta)" as literal text in a RegExp. */
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const tid = (scope: Page | Locator, id: string): Locator => scope.locator(`[data-test-id="${id}"]`);

class Editor {
	constructor(
		readonly page: Page,
		readonly screenshotDir: string,
	) {}

	get ndv(): Locator {
		return tid(this.page, 'ndv');
	}

	get credentialModal(): Locator {
		return tid(this.page, 'editCredential-modal');
	}

	/** The node's own parameters shown in the panel, in order (n8n's Settings-tab ones left out). */
	async visibleParameters(): Promise<string[]> {
		await this.page.waitForTimeout(300);
		const ids = await this.ndv.evaluate((ndv) =>
			[...ndv.querySelectorAll('[data-test-id^="parameter-input-"]')]
				.filter((el) => (el as HTMLElement).offsetParent !== null)
				.map((el) => el.getAttribute('data-test-id') ?? ''),
		);
		return ids
			.map((id) => id.replace(/^parameter-input-/, ''))
			.filter((name) => name !== 'field' && !SETTINGS_PARAMETERS.has(name));
	}

	/** Opens an options parameter's dropdown, returns the option titles and picks one. */
	async choose(parameter: string, option: string): Promise<string[]> {
		await tid(this.ndv, `parameter-input-${parameter}`).click();
		const items = this.page.locator('.el-select-dropdown__item:visible');
		await items.first().waitFor();
		const titles = (await items.allInnerTexts()).map((t) => t.split('\n')[0].trim());
		await items.filter({ hasText: option }).first().click();
		await this.page.waitForTimeout(400);
		return titles;
	}

	async fill(parameter: string, value: string): Promise<void> {
		const field = tid(this.ndv, `parameter-input-${parameter}`).locator('input, textarea').first();
		await field.fill(value);
		await field.blur();
	}

	/** Opens a resource locator's "From List" and waits for an entry with this text; returns every entry shown. */
	async openList(parameter: string, entry: string): Promise<string[]> {
		await tid(tid(this.ndv, `resource-locator-${parameter}`), 'rlc-input').first().click();
		const items = this.page.locator('[data-test-id="rlc-item"]:visible');
		await items.filter({ hasText: entry }).first().waitFor({ timeout: 30_000 });
		return (await items.allInnerTexts()).map((t) => t.trim());
	}

	/** Picks an entry of the open list. */
	async pickFromList(entry: string): Promise<void> {
		await this.page.locator('[data-test-id="rlc-item"]:visible').filter({ hasText: entry }).first().click();
		await this.page.waitForTimeout(500);
	}

	/** What a resource locator shows in its value field after a pick. */
	async locatorText(parameter: string): Promise<string> {
		// n8n 2.41 puts the test id on the input itself; older editors on a wrapper around it.
		const field = tid(tid(this.ndv, `resource-locator-${parameter}`), 'rlc-input').first();
		const input = (await field.evaluate((el) => el.tagName === 'INPUT')) ? field : field.locator('input').first();
		return await input.inputValue();
	}

	async openNode(): Promise<void> {
		if (await this.ndv.isVisible()) return;
		await this.page.locator(`[data-test-id="canvas-node"][data-node-name="${NODE_NAME}"]`).dblclick();
		await this.ndv.waitFor();
	}

	async closeCredentialModal(): Promise<void> {
		const modal = this.credentialModal;
		// The dialog re-renders while n8n refreshes the credential: retry a click that lost its target.
		for (let attempt = 0; attempt < 5 && (await modal.isVisible()); attempt++) {
			await modal
				.locator('button[aria-label="Close this dialog"]')
				.first()
				.click({ timeout: 5_000 })
				.catch(() => undefined);
			await modal.waitFor({ state: 'hidden', timeout: 3_000 }).catch(() => undefined);
		}
		await modal.waitFor({ state: 'hidden' });
		await this.openNode();
	}

	async credentialOptions(): Promise<string[]> {
		const select = tid(this.ndv, 'node-credentials-select');
		await select.click();
		const items = this.page.locator('.el-select-dropdown__item:visible');
		await items.first().waitFor();
		const texts = (await items.allInnerTexts()).map((t) => t.replace(/\s*\n\s*/g, ' / ').trim());
		// Escape would close the whole panel in newer n8n: click the select again instead.
		await select.click();
		await items.first().waitFor({ state: 'hidden' }).catch(() => undefined);
		return texts;
	}

	async pickCredential(name: string): Promise<void> {
		await tid(this.ndv, 'node-credentials-select').click();
		const items = this.page.locator('.el-select-dropdown__item:visible');
		await items.first().waitFor();
		await items.filter({ hasText: name }).first().click();
		await this.page.waitForTimeout(500);
	}

	/** n8n 2.41 shows a "Connect to …" button while no credential exists; 2.8 a select with "Create new credential". */
	async newCredential(): Promise<void> {
		const emptyState = tid(this.ndv, 'node-credentials-empty-state');
		if (await emptyState.isVisible()) {
			await emptyState.locator('button').first().click();
		} else {
			await tid(this.ndv, 'node-credentials-select').click();
			await tid(this.page, 'node-credentials-select-item-new').click();
		}
		await this.credentialModal.waitFor();
	}

	/** The credential types the new-credential dialog offers (n8n 2.8: radio buttons; 2.41: a menu). */
	async authChoices(): Promise<string[]> {
		const radios = tid(this.credentialModal, 'node-auth-type-selector');
		if (await radios.isVisible()) {
			return (await radios.innerText()).split('\n').map((t) => t.trim()).filter((t) => t && !t.startsWith('Connect using'));
		}
		const trigger = tid(this.credentialModal, 'credential-mode-dropdown-trigger');
		await trigger.click();
		const items = this.page.locator('[role="menuitem"]:visible').filter({ hasNotText: /^(Connection|Sharing|Details)$/ });
		await items.first().waitFor();
		const texts = (await items.allInnerTexts()).map((t) => t.trim()).filter(Boolean);
		await trigger.click();
		return texts;
	}

	async chooseAuthType(label: string): Promise<void> {
		const radios = tid(this.credentialModal, 'node-auth-type-selector');
		if (await radios.isVisible()) {
			await radios.getByText(label, { exact: true }).click();
		} else {
			await tid(this.credentialModal, 'credential-mode-dropdown-trigger').click();
			const exact = new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`);
			await this.page.locator('[role="menuitem"]:visible').filter({ hasText: exact }).first().click();
		}
		await this.page.waitForTimeout(400);
	}

	credentialField(label: string): Locator {
		return tid(this.credentialModal, 'credential-connection-parameter').filter({ hasText: label }).locator('input').first();
	}

	/** Reopens the node's current credential (the pencil next to it) when n8n closed the dialog itself. */
	async ensureCredentialOpen(): Promise<void> {
		if (await this.credentialModal.isVisible()) return;
		await tid(this.ndv, 'credential-edit-button').click();
		await this.credentialModal.waitFor();
		// Opening a saved credential runs its test again; wait for the banner.
		await tid(this.credentialModal, 'credentials-config-container-test-success').waitFor({ timeout: 20_000 }).catch(() => undefined);
	}

	async renameCredential(name: string): Promise<void> {
		const title = tid(this.credentialModal, 'credential-name');
		await title.click();
		const input = title.locator('input');
		await input.fill(name);
		await input.press('Enter');
		await this.page.waitForTimeout(300);
	}

	/**
	 * Save runs n8n's credential test. The verdict banner of an earlier test may still be on screen,
	 * so wait for the test request to reach the emulator first, then for the banner to settle.
	 */
	async saveCredential(emulator: Emulator): Promise<'success' | 'failure' | 'no test request'> {
		emulator.reset();
		await tid(this.credentialModal, 'credential-save-button').click();
		const deadline = Date.now() + 30_000;
		while (emulator.requests.length === 0 && Date.now() < deadline) await this.page.waitForTimeout(100);
		if (emulator.requests.length === 0) return 'no test request';
		const success = tid(this.credentialModal, 'credentials-config-container-test-success');
		const failure = this.credentialModal.getByText('Couldn’t connect with these settings');
		const answeredAt = Date.now();
		while (Date.now() - answeredAt < 15_000) {
			if (await success.isVisible()) return 'success';
			// n8n 2.41 closes the dialog by itself once the test passed.
			if (!(await this.credentialModal.isVisible())) return emulator.requests.every((r) => r.status === 200) ? 'success' : 'failure';
			if (Date.now() - answeredAt > 2_000 && (await failure.isVisible())) return 'failure';
			await this.page.waitForTimeout(200);
		}
		return 'failure';
	}

	/** The canvas around its nodes, with room for the names and subtitles n8n writes below them. */
	async screenshotNodes(name: string): Promise<string> {
		await this.tidyForScreenshot();
		const boxes = (await Promise.all((await this.page.locator('[data-test-id="canvas-node"]').all()).map(async (node) => await node.boundingBox()))).filter((b) => b !== null);
		const left = Math.max(0, Math.min(...boxes.map((b) => b.x)) - 60);
		const top = Math.max(0, Math.min(...boxes.map((b) => b.y)) - 40);
		const right = Math.max(...boxes.map((b) => b.x + b.width)) + 90;
		const bottom = Math.max(...boxes.map((b) => b.y + b.height)) + 80;
		const path = join(this.screenshotDir, name);
		await this.page.screenshot({ path, clip: { x: left, y: top, width: right - left, height: bottom - top } });
		log(`screenshot ${path}`);
		return path;
	}

	/** Toasts ("Credential saved", "Node executed successfully") and hover toolbars stay out of screenshots. */
	async tidyForScreenshot(): Promise<void> {
		const closeButtons = this.page.locator('.el-notification__closeBtn:visible');
		for (let i = await closeButtons.count(); i > 0; i--) {
			await closeButtons.first().click({ timeout: 2_000 }).catch(() => undefined);
		}
		await this.page.locator('.el-notification:visible').first().waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
		await this.page.mouse.move(1, 1);
		await this.page.waitForTimeout(300);
	}

	/** `maxHeight` crops a tall, mostly empty element (the node creator) to its top. */
	async screenshot(name: string, target?: Locator, maxHeight?: number): Promise<string> {
		await this.tidyForScreenshot();
		const path = join(this.screenshotDir, name);
		const box = maxHeight && target ? await target.boundingBox() : null;
		if (box && maxHeight) await this.page.screenshot({ path, clip: { ...box, height: Math.min(box.height, maxHeight) } });
		else if (target) await target.screenshot({ path });
		else await this.page.screenshot({ path });
		log(`screenshot ${path}`);
		return path;
	}
}

/**
 * Uploads a fixture video to the emulator's Meta API as a client of Meta would (multipart
 * `POST /{version}/{phone-number-id}/media`), so the editor has a real media id to send.
 */
async function uploadToMeta(emulator: Emulator): Promise<string> {
	const bytes = readFileSync(join(ROOT, 'test', 'fixtures', 'videos', 'baseline-aac-faststart.mp4'));
	const form = new FormData();
	form.append('messaging_product', 'whatsapp');
	form.append('type', 'video/mp4');
	form.append('file', new Blob([bytes], { type: 'video/mp4' }), 'welcome.mp4');
	const response = await fetch(`${emulator.metaBaseUrl}/${D.metaGraphApiVersion}/${D.metaPhoneNumberId}/media`, {
		method: 'POST',
		headers: { authorization: `Bearer ${D.metaAccessToken}` },
		body: form,
	});
	const body = (await response.json()) as { id?: unknown };
	return typeof body.id === 'string' ? body.id : `(HTTP ${response.status}: ${JSON.stringify(body)})`;
}

async function waitFor(page: Page, condition: () => boolean, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition() && Date.now() < deadline) await page.waitForTimeout(250);
}

/** At least one entry, all equal to `expected` (n8n may run a credential test more than once per save). */
function sameEach(values: string[], expected: string): boolean {
	return values.length > 0 && values.every((v) => v === expected);
}

async function dismissPopups(page: Page): Promise<void> {
	// Whatever n8n may show a new owner first (surveys, announcements) must not cover the canvas.
	for (const selector of ['[data-test-id="nps-survey-modal"] button[aria-label="Close"]', '.el-dialog__headerbtn:visible']) {
		const button = page.locator(selector).first();
		if (await button.isVisible().catch(() => false)) await button.click().catch(() => undefined);
	}
}

/** A node as `GET /rest/workflows/:id` returns it. */
interface SavedNode {
	name: string;
	type: string;
	parameters: Record<string, unknown>;
}

/** A saved workflow's connections: source node -> connection type -> per output, the targets. */
type SavedConnections = Record<string, Record<string, Array<Array<{ node: string; type: string; index: number }> | null>>>;

/** Ctrl+S saves through the REST API (POST for a new workflow, PATCH after that); reads back what it stored. */
async function saveWithShortcut(page: Page, server: N8nServer): Promise<{ request: string; nodes?: SavedNode[]; connections?: SavedConnections }> {
	const saving = page
		.waitForResponse((r) => /\/rest\/workflows(\/[^/]+)?$/.test(new URL(r.url()).pathname) && ['POST', 'PATCH'].includes(r.request().method()), { timeout: 15_000 })
		.catch(() => undefined);
	// Out of the text fields, so the shortcut reaches the editor.
	await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
	await page.keyboard.press('Control+s');
	const answer = await saving;
	if (!answer) return { request: 'no save request' };
	const request = `${answer.request().method()} ${answer.url()} ${answer.status()}`;
	const workflowId = answer.ok() ? ((await answer.json()) as { data?: { id?: string } }).data?.id : undefined;
	const saved = workflowId ? await page.request.get(`${server.url}/rest/workflows/${workflowId}`) : undefined;
	if (!saved?.ok()) return { request };
	const { data } = (await saved.json()) as { data: { nodes: SavedNode[]; connections: SavedConnections } };
	return { request, nodes: data.nodes, connections: data.connections };
}

/** spring_promo as the Template list shows it (and the editor saves it as `cachedResultName`). */
const SPRING_PROMO_LISTED = 'spring_promo (en_US): Hi {{1}}, our spring sale gives you {{2}} off.';

/**
 * On the Meta node: Message Type Template, spring_promo from the Template list (only approved
 * templates with a video header are offered), its two body parameters and the URL button's, and
 * Execute step sending it with the uploaded video as the header. Saving the workflow shows how the
 * editor stores the pick, which the e2e workflows and the example copy.
 */
async function exerciseTemplate(checks: Checks, editor: Editor, emulator: Emulator, server: N8nServer, mediaId: string): Promise<void> {
	const { page } = editor;
	checks.section('Meta: a template message with the video as its header (Message Type: Template, Template From List)');
	await editor.choose('messageType', 'Template');
	checks.equal(
		'Template shows Template, Body Parameters (no entries yet) and Button Parameter instead of Caption',
		[await editor.visibleParameters(), await tid(editor.ndv, 'fixed-collection-bodyParameters').isVisible()],
		[['recipient', 'messageType', 'template', 'source', 'mediaId', 'buttonParameter'], true],
	);
	await editor.tidyForScreenshot();
	// No emulator.reset() from here on: it would drop the uploaded video the template sends by its media id.
	let seen = emulator.requests.length;
	const listing = `GET /${D.metaGraphApiVersion}/${D.metaBusinessAccountId}/message_templates`;
	const templates = await editor.openList('template', SPRING_PROMO_LISTED);
	checks.equal('the Template list shows the approved templates with a video header, by name, language and text (no image header, pending, paused or text-header ones)', templates, [
		'product_tour (en_US): Here is the product tour you asked for.',
		'spring_promo (de_DE): Hallo {{1}}, im Frühlingsverkauf sparst du {{2}}.',
		SPRING_PROMO_LISTED,
		"weekly_digest (en_US): Hi {{1}}, this week's video is here.",
	]);
	const reads = emulator.requests.slice(seen).map((r) => `${r.method} ${r.path} ${r.status} ${String(r.headers.authorization)}`);
	checks.ok(`read from the business account's ${listing} with the Bearer token`, sameEach(reads, `${listing} 200 Bearer ${D.metaAccessToken}`), reads);
	await editor.screenshot('node-template-list.png', editor.ndv);
	await editor.pickFromList(SPRING_PROMO_LISTED);
	checks.equal('the pick shows the template by its list entry', await editor.locatorText('template'), SPRING_PROMO_LISTED);

	const add = tid(editor.ndv, 'fixed-collection-bodyParameters').getByText('Add parameter').first();
	await add.click();
	await add.click();
	const texts = tid(editor.ndv, 'parameter-input-text').locator('input, textarea');
	checks.equal('Add parameter twice: two Text fields, for {{1}} and {{2}}', await texts.count(), 2);
	for (const [index, value] of ['Ada', '20%'].entries()) {
		await texts.nth(index).fill(value);
		await texts.nth(index).blur();
	}
	await editor.fill('buttonParameter', 'SPRING-ADA');

	const save = await saveWithShortcut(page, server);
	const savedNode = save.nodes?.find((n) => n.name === NODE_NAME);
	checks.ok('Ctrl+S saved the workflow (POST or PATCH /rest/workflows answered 200)', save.nodes !== undefined, save.request);
	checks.equal(
		'saved (Ctrl+S), the workflow holds the pick as a list-mode locator with the entry\'s name, and the parameters in order',
		[savedNode?.parameters.template, savedNode?.parameters.bodyParameters, savedNode?.parameters.buttonParameter],
		[
			{ __rl: true, value: 'spring_promo|en_US', mode: 'list', cachedResultName: SPRING_PROMO_LISTED },
			{ parameter: [{ text: 'Ada' }, { text: '20%' }] },
			'SPRING-ADA',
		],
	);

	checks.section('Meta: the template sent from the editor (Execute step)');
	seen = emulator.requests.length;
	const messagesBefore = emulator.messagesCreated('whatsappCloud').length;
	await tid(editor.ndv, 'node-execute-button').first().click();
	await waitFor(page, () => emulator.requests.slice(seen).some((r) => r.method === 'POST'), 60_000);
	const sends = emulator.requests.slice(seen).filter((r) => r.method === 'POST');
	checks.equal('one POST …/messages reached the emulator (the video was already uploaded)', sends.map((r) => `${r.method} ${r.path} ${r.status}`), [
		`POST /${D.metaGraphApiVersion}/${D.metaPhoneNumberId}/messages 200`,
	]);
	checks.equal('a template message: spring_promo in en_US, the media id as the header video, Ada and 20% in the body, the coupon in the URL button', sends[0]?.json, {
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		to: '4915123456789',
		type: 'template',
		template: {
			name: 'spring_promo',
			language: { code: 'en_US' },
			components: [
				{ type: 'header', parameters: [{ type: 'video', video: { id: mediaId } }] },
				{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }, { type: 'text', text: '20%' }] },
				{ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'SPRING-ADA' }] },
			],
		},
	});
	checks.equal('one message created at Meta', emulator.messagesCreated('whatsappCloud').length - messagesBefore, 1);
	const created = sends[0]?.created;
	checks.equal('the emulator created it as spring_promo with those values', created?.kind === 'message' ? created.template : undefined, {
		name: 'spring_promo',
		language: 'en_US',
		bodyParameters: ['Ada', '20%'],
		buttonParameter: 'SPRING-ADA',
	});
	const outputPanel = tid(editor.ndv, 'output-panel');
	await outputPanel.getByText('spring_promo').first().waitFor({ timeout: 15_000 }).catch(() => undefined);
	const output = await outputPanel.innerText().catch(() => '');
	checks.ok('the output panel shows status "accepted" and the template', output.includes('accepted') && output.includes('spring_promo'), output.slice(0, 400));
}

/**
 * A new workflow with the WhatsApp Video Status Trigger: found by searching "WhatsApp video status";
 * with the 360dialog credential it shows Statuses and Replace Existing Webhook; picking the Meta
 * credential switches the provider and shows the dashboard notice and the Verify Token (a password
 * field); Webhook URLs shows the Production URL for POST (statuses) and GET (Meta's verification)
 * under n8n's WEBHOOK_URL. Screenshot trigger-panel.png.
 */
async function exerciseTrigger(checks: Checks, editor: Editor, server: N8nServer): Promise<void> {
	const { page } = editor;
	checks.section('WhatsApp Video Status Trigger panel');
	await openNodeCreatorInNewWorkflow(page, server);
	const names = await searchNodeCreator(page, 'WhatsApp video status', TRIGGER_NAME);
	checks.ok('searching "WhatsApp video status" finds the trigger', names.includes(TRIGGER_NAME), names);
	await addFromNodeCreator(editor, TRIGGER_NAME, true);
	const ndvText = async () => await editor.ndv.innerText().catch(() => '');
	checks.ok('its panel says what it emits and what it ignores', (await ndvText()).includes('Incoming customer messages and other webhook events are ignored'), (await ndvText()).slice(0, 600));
	const credentials = await editor.credentialOptions();
	checks.ok(
		'"Credential" offers the 360dialog and the Meta credential (no Lancepilot: it has no status webhooks)',
		credentials.some((t) => t.startsWith('360dialog (emulator)')) && credentials.some((t) => t.startsWith('Meta (emulator)')) && !credentials.some((t) => t.startsWith('Lancepilot')),
		credentials,
	);
	// n8n preselects one of them (the last one used); Provider follows the credential picked.
	await editor.pickCredential('360dialog (emulator)');
	checks.equal('with the 360dialog credential: Statuses and Replace Existing Webhook', await editor.visibleParameters(), ['statuses', 'replaceExistingWebhook']);
	await editor.pickCredential('Meta (emulator)');
	checks.equal('with the Meta credential: Statuses and Verify Token', await editor.visibleParameters(), ['statuses', 'verifyToken']);
	checks.ok("the notice says where to paste the Production URL and the token in Meta's app", /WhatsApp → Configuration → Webhook/.test(await ndvText()), (await ndvText()).slice(0, 900));
	const token = tid(editor.ndv, 'parameter-input-verifyToken').locator('input').first();
	checks.equal('Verify Token is a password field', await token.getAttribute('type'), 'password');
	await token.fill('my-verify-token');
	await token.blur();
	await editor.ndv.getByText('Webhook URLs').first().click();
	await tid(editor.ndv, 'radio-button-production').click();
	await page.waitForTimeout(300);
	const text = await ndvText();
	const urls = [...text.matchAll(/\b(POST|GET)\s+(https?:\/\/\S+)/g)].map((m) => `${m[1]} ${m[2]}`);
	const production = /^(POST|GET) https:\/\/n8n\.example\.com\/webhook\/[0-9a-f-]{36}\/status$/;
	checks.ok(
		`Webhook URLs → Production URL: POST and GET on ${WEBHOOK_URL}webhook/<webhookId>/status`,
		urls.length === 2 && urls[0].startsWith('POST') && urls[1].startsWith('GET') && urls.every((u) => production.test(u)) && urls[0].slice(5) === urls[1].slice(4),
		urls,
	);
	await editor.screenshot('trigger-panel.png', editor.ndv);
}

/** The canvas node of this name. */
const canvasNode = (page: Page, name: string): Locator => page.locator(`[data-test-id="canvas-node"][data-node-name="${name}"]`);

/** The + on a node's input of this connection type (`ai_languageModel`, `ai_tool`) on the canvas. */
const inputPlus = (page: Page, node: string, type: string): Locator =>
	page.locator(`[data-test-id="canvas-node-input-handle"][data-node-name="${node}"][data-connection-type="${type}"]`).locator('[data-test-id="canvas-handle-plus"]');

/** Searches the open node creator, waits for the entry and returns every entry it shows then. */
async function searchNodeCreator(page: Page, search: string, entry: string): Promise<string[]> {
	await tid(page, 'node-creator-search-bar').fill(search);
	await tid(page, 'node-creator-item-name').filter({ hasText: entry }).first().waitFor({ timeout: 15_000 }).catch(() => undefined);
	return (await tid(page, 'node-creator-item-name').allInnerTexts()).map((t) => t.trim());
}

/** A new, empty workflow with its node creator open (leaving the page first, if n8n asks). */
async function openNodeCreatorInNewWorkflow(page: Page, server: N8nServer): Promise<void> {
	page.once('dialog', (dialog) => void dialog.accept().catch(() => undefined));
	await page.goto(`${server.url}/workflow/new`);
	await tid(page, 'node-creator-plus-button').waitFor({ timeout: 60_000 });
	await dismissPopups(page);
	await tid(page, 'node-creator-plus-button').click();
}

/** Adds the node creator's entry of exactly this name; n8n opens the new node's panel, which is closed again unless `keepOpen`. */
async function addFromNodeCreator(editor: Editor, name: string, keepOpen = false): Promise<void> {
	await tid(editor.page, 'node-creator-item-name').filter({ hasText: new RegExp(`^\\s*${escapeRegExp(name)}\\s*$`) }).first().click();
	await editor.ndv.waitFor({ timeout: 15_000 });
	if (keepOpen) return;
	await editor.page.keyboard.press('Escape');
	await editor.ndv.waitFor({ state: 'hidden' });
}

/** The `$fromAI` fields the tool panel gets from the ✨ button, by parameter name and label. */
const MODEL_FIELDS = [
	{ name: 'recipient', label: 'Phone Number' },
	{ name: 'videoUrl', label: 'Video URL' },
	{ name: 'caption', label: 'Caption' },
] as const;

/** The description typed for the model's Phone Number input, as in the README and the example. */
const RECIPIENT_HINT = 'WhatsApp phone number of the recipient in international format: + and the country code, then the number, digits only, e.g. +4915123456789';

/**
 * A new workflow built as the README's "As an AI Agent's tool" says: an AI Agent, an OpenAI Chat
 * Model on its Chat Model input, and on its Tool input "WhatsApp video" searched and Send WhatsApp
 * Video Tool added. The tool's panel: Description first, holding the node's description (what the
 * model reads about the tool), and the ✨ button ("let the model define this") on Phone Number, Video
 * URL and Caption, which turns each into a `$fromAI()` expression, as saving the workflow shows.
 * Screenshots ai-agent-tool.png (the canvas) and ai-agent-tool-panel.png.
 */
async function exerciseAiAgent(checks: Checks, editor: Editor, server: N8nServer, model: ChatModelServer): Promise<void> {
	const { page } = editor;
	checks.section('AI Agent with Send WhatsApp Video Tool on its Tool input');
	// An OpenAI credential on the scripted model exists first, so n8n gives it to the new OpenAI Chat Model and the canvas shows no warning.
	const openAi = await page.request.post(`${server.url}/rest/credentials`, {
		data: { name: OPENAI_CREDENTIAL, type: 'openAiApi', data: { apiKey: 'sk-browser-test-key', url: model.baseUrl } },
	});
	checks.ok('an OpenAI credential created through POST /rest/credentials', openAi.ok(), openAi.status());
	await openNodeCreatorInNewWorkflow(page, server);
	const agents = await searchNodeCreator(page, AGENT_NAME, AGENT_NAME);
	checks.ok(`searching "${AGENT_NAME}" finds the AI Agent`, agents.includes(AGENT_NAME), agents);
	await addFromNodeCreator(editor, AGENT_NAME);
	await canvasNode(page, AGENT_NAME).waitFor();

	await inputPlus(page, AGENT_NAME, 'ai_languageModel').click();
	const models = await searchNodeCreator(page, CHAT_MODEL_NAME, CHAT_MODEL_NAME);
	checks.ok(`the agent's Chat Model input offers ${CHAT_MODEL_NAME}`, models.includes(CHAT_MODEL_NAME), models);
	await addFromNodeCreator(editor, CHAT_MODEL_NAME);
	await canvasNode(page, CHAT_MODEL_NAME).waitFor();

	await inputPlus(page, AGENT_NAME, 'ai_tool').click();
	const tools = await searchNodeCreator(page, 'WhatsApp video', TOOL_ENTRY);
	checks.ok(`the agent's Tool input, searched for "WhatsApp video", offers ${TOOL_ENTRY} (n8n's tool of the node)`, tools.includes(TOOL_ENTRY), tools);
	checks.ok('and not the send node itself or the trigger (neither is a tool)', !tools.includes(NODE_NAME) && !tools.includes(TRIGGER_NAME), tools);
	await addFromNodeCreator(editor, TOOL_ENTRY, true);

	checks.section('Send WhatsApp Video Tool panel');
	await editor.pickCredential('Meta (emulator)');
	await editor.choose('source', 'URL');
	const fields = await editor.visibleParameters();
	checks.equal('Description comes first, then the fields of the Meta credential\'s provider with Video Source URL', fields, ['toolDescription', 'recipient', 'messageType', 'source', 'videoUrl', 'caption']);
	const description = await tid(editor.ndv, 'parameter-input-toolDescription').locator('textarea, input').first().inputValue();
	checks.equal('Description (what the model reads about the tool) holds the node\'s description', description, sendNodeDescription(PROVIDERS));
	const overridden = editor.ndv.getByText('Defined automatically by the model');
	for (const [index, field] of MODEL_FIELDS.entries()) {
		const item = tid(editor.ndv, 'parameter-item').filter({ has: tid(page, `parameter-input-${field.name}`) }).first();
		await item.hover();
		const button = tid(item, 'from-ai-override-button');
		await button.waitFor({ timeout: 5_000 }).catch(() => undefined);
		checks.ok(`${field.label} has the ✨ button ("Let the model define this parameter")`, await button.isVisible());
		await button.click().catch(() => undefined);
		await overridden.nth(index).waitFor({ timeout: 5_000 }).catch(() => undefined);
		checks.equal(`after a click, ${field.label} says "Defined automatically by the model"`, await overridden.count(), index + 1);
	}
	// The ✨ leaves the model's hint empty; the README asks for one saying what a correct value looks like.
	await editor.ndv.getByText('Add a description').first().click();
	const hint = tid(editor.ndv, 'parameter-input-description').locator('textarea, input').first();
	await hint.fill(RECIPIENT_HINT);
	await hint.blur();
	await editor.screenshot('ai-agent-tool-panel.png', editor.ndv);

	const save = await saveWithShortcut(page, server);
	checks.ok('Ctrl+S saved the workflow', save.nodes !== undefined, save.request);
	const tool = save.nodes?.find((n) => n.type.endsWith('.sendWhatsAppVideoTool'));
	checks.ok('saved as CUSTOM.sendWhatsAppVideoTool (n8n-nodes-whatsapp-video.sendWhatsAppVideoTool once installed from npm)', tool?.type === 'CUSTOM.sendWhatsAppVideoTool', save.nodes?.map((n) => `${n.name}: ${n.type}`));
	const links = Object.entries(save.connections ?? {}).flatMap(([source, byType]) =>
		Object.entries(byType).flatMap(([type, outputs]) => outputs.flatMap((targets) => (targets ?? []).map((t) => `${source} -${type}-> ${t.node}`))),
	);
	checks.ok(
		`wired: ${CHAT_MODEL_NAME} to the agent's Chat Model input, ${NODE_NAME} to its Tool input`,
		links.includes(`${CHAT_MODEL_NAME} -ai_languageModel-> ${AGENT_NAME}`) && links.includes(`${tool?.name ?? TOOL_ENTRY} -ai_tool-> ${AGENT_NAME}`),
		links,
	);
	// n8n names each input after the field's label and marks the expression as the button's (2.41: a leading comment).
	const fromAi = (label: string, hint: string): RegExp => new RegExp(`^=\\{\\{ (/\\*[\\w-]+\\*/ )?\\$fromAI\\('${label.replace(/ /g, '_')}', \`${escapeRegExp(hint)}\`, 'string'\\) \\}\\}$`);
	const values = MODEL_FIELDS.map((field) => tool?.parameters[field.name]);
	checks.ok(
		'saved as $fromAI() expressions named Phone_Number, Video_URL and Caption; Phone Number with the description typed, the others with none',
		MODEL_FIELDS.every((field, i) => typeof values[i] === 'string' && fromAi(field.label, field.name === 'recipient' ? RECIPIENT_HINT : '').test(values[i] as string)),
		values,
	);

	await page.keyboard.press('Escape');
	await editor.ndv.waitFor({ state: 'hidden' });
	await tid(page, 'zoom-to-fit').click().catch(() => undefined);
	await editor.screenshotNodes('ai-agent-tool.png');
}

/** The example, and what the scripted model reads out of its prompt, as a model would fill the tool's fields. */
const EXAMPLE = {
	file: 'ai-agent-send-video.json',
	link: 'https://example.com/videos/spring-sale.mp4',
	recipient: { asTyped: '+49 151 23456789', forTool: '+4915123456789', digits: '4915123456789' },
	caption: 'Spring sale: 20% off everything until Sunday!',
} as const;
/** n8n's tool name for the example's tool node (named as the node): every run of other characters than [A-Za-z0-9_-] as `_`. */
const EXAMPLE_TOOL_NAME = NODE_NAME.replace(/[^a-zA-Z0-9_-]+/g, '_');
const TOOL_CALL_ID = 'call_browser_send_video_1';

/** The wamid in the tool's result, as the model got it in the message answering its call. */
function wamidInToolResult(request: ChatCompletionRequest): string | undefined {
	const message = request.messages.find((m) => m.role === 'tool' && m.tool_call_id === TOOL_CALL_ID);
	return message ? /wamid\.[\w+/=-]+/.exec(messageText(message))?.[0] : undefined;
}

/** The model's two turns: it calls the tool with what the prompt says, then reports the message ID it got back. */
function exampleScript(link: string): ScriptedTurn[] {
	return [
		{
			check: (request) => {
				const tool = request.tools?.find((t) => t.function.name === EXAMPLE_TOOL_NAME)?.function;
				if (!tool) return `no tool named ${EXAMPLE_TOOL_NAME} among ${JSON.stringify(request.tools?.map((t) => t.function.name) ?? [])}`;
				if (tool.description !== sendNodeDescription(PROVIDERS)) return `the tool's description is ${JSON.stringify(tool.description)}`;
				const prompt = messageText(request.messages.find((m) => m.role === 'user'));
				return [EXAMPLE.recipient.asTyped, link, EXAMPLE.caption].every((part) => prompt.includes(part)) ? undefined : `the prompt lacks the recipient, link or caption: ${prompt}`;
			},
			reply: () => ({ toolCall: { id: TOOL_CALL_ID, name: EXAMPLE_TOOL_NAME, arguments: { Recipient: EXAMPLE.recipient.forTool, Video_URL: link, Caption: EXAMPLE.caption } } }),
		},
		{
			check: (request) => (wamidInToolResult(request) ? undefined : 'the tool\'s result holds no message ID'),
			reply: (request) => ({ answer: `Sent: status accepted, message ID ${wamidInToolResult(request) ?? ''}.` }),
		},
	];
}

/**
 * `examples/ai-agent-send-video.json` created through `POST /rest/workflows` (its tool under its
 * `CUSTOM.` name, the credentials of this run, the prompt's link on the test's video host, which the
 * tool's link check asks), opened in the editor and run with "Execute workflow": the scripted model
 * is offered the tool with the node's description and calls it, one message reaches the emulator's
 * Meta API, and the AI Agent's output panel shows the model's answer with the message ID.
 */
async function exerciseExampleRun(checks: Checks, editor: Editor, server: N8nServer, emulator: Emulator, model: ChatModelServer, media: MediaHost): Promise<void> {
	const { page } = editor;
	checks.section(`examples/${EXAMPLE.file} imported through the REST API and run from the editor`);
	const listed = await page.request.get(`${server.url}/rest/credentials`);
	const credentials = listed.ok() ? ((await listed.json()) as { data: Array<{ id: string; name: string; type: string }> }).data : [];
	const credentialFor = (type: string, name: string) => credentials.find((c) => c.type === type && c.name === name);
	const link = `${media.origin}/files/baseline-aac-faststart.mp4`;
	const example = loadExample(EXAMPLE.file);
	const nodes = example.nodes.map((original) => {
		const node = JSON.parse(JSON.stringify(original)) as Workflow['nodes'][number];
		node.type = node.type.replace(/^n8n-nodes-whatsapp-video\./, 'CUSTOM.');
		if (node.credentials?.whatsAppCloudApi) node.credentials = { whatsAppCloudApi: { id: credentialFor('whatsAppCloudApi', 'Meta (emulator)')?.id ?? '', name: 'Meta (emulator)' } };
		if (node.credentials?.openAiApi) node.credentials = { openAiApi: { id: credentialFor('openAiApi', OPENAI_CREDENTIAL)?.id ?? '', name: OPENAI_CREDENTIAL } };
		if (node.name === AGENT_NAME) {
			const parameters = node.parameters as { text: string };
			parameters.text = parameters.text.replace(EXAMPLE.link, link);
		}
		return node;
	});
	const created = await page.request.post(`${server.url}/rest/workflows`, { data: { name: example.name, nodes, connections: example.connections, settings: { executionOrder: 'v1' }, active: false } });
	const workflowId = created.ok() ? ((await created.json()) as { data: { id: string } }).data.id : undefined;
	if (!checks.ok('POST /rest/workflows creates it', workflowId !== undefined, `${created.status()} ${(await created.text()).slice(0, 300)}`)) return;

	page.once('dialog', (dialog) => void dialog.accept().catch(() => undefined));
	await page.goto(`${server.url}/workflow/${workflowId}`);
	await canvasNode(page, NODE_NAME).waitFor({ timeout: 60_000 });
	await dismissPopups(page);
	emulator.reset();
	model.play(exampleScript(link));
	await tid(page, 'execute-workflow-button').first().click();
	await waitFor(page, () => model.requests.length >= 2 || model.problems().length > 0, 90_000);
	checks.equal('the model got two requests and refused none (offered the tool with the node\'s description, then its result)', [model.requests.length, model.problems()], [2, []]);
	const sends = emulator.requests.filter((r) => r.method === 'POST');
	checks.equal('one message reached the emulator\'s Meta API', sends.map((r) => `${r.method} ${r.path} ${r.status}`), [`POST /${D.metaGraphApiVersion}/${D.metaPhoneNumberId}/messages 200`]);
	checks.equal('with the recipient, link and caption the model gave the tool', sends[0]?.json, {
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		to: EXAMPLE.recipient.digits,
		type: 'video',
		video: { link, caption: EXAMPLE.caption },
	});
	checks.ok('the tool\'s link check asked the video host first', media.requests.some((r) => r.path === '/files/baseline-aac-faststart.mp4'), media.requests.map((r) => `${r.method} ${r.path}`));
	const reply = model.requests[1]?.reply;
	const answer = reply && 'answer' in reply ? reply.answer : '(no answer)';
	const created0 = sends[0]?.created;
	checks.ok('the model got the message ID of the message created', created0?.kind === 'message' && created0.messageId !== undefined && answer.includes(created0.messageId), { answer, created: created0 });

	await canvasNode(page, AGENT_NAME).dblclick();
	await editor.ndv.waitFor();
	const output = tid(editor.ndv, 'output-panel');
	await output.getByText(answer).first().waitFor({ timeout: 15_000 }).catch(() => undefined);
	checks.ok('the AI Agent\'s output panel shows the model\'s answer', (await output.innerText().catch(() => '')).includes(answer), (await output.innerText().catch(() => '')).slice(0, 400));
	await page.keyboard.press('Escape');
}

async function exercise(checks: Checks, editor: Editor, emulator: Emulator, server: N8nServer, model: ChatModelServer, media: MediaHost): Promise<void> {
	const { page } = editor;

	checks.section('Owner account and login through the REST API');
	const login = await page.request.post(`${server.url}/rest/login`, {
		data: { emailOrLdapLoginId: OWNER.email, password: OWNER.password },
	});
	checks.equal('POST /rest/login answers 200', login.status(), 200);

	checks.section('Node creator');
	await openNodeCreatorInNewWorkflow(page, server);
	const names = await searchNodeCreator(page, 'WhatsApp video', NODE_NAME);
	checks.ok('searching "WhatsApp video" finds Send WhatsApp Video', names.includes(NODE_NAME), names);
	await editor.screenshot('node-creator-search.png', tid(page, 'node-creator'), 240);
	await addFromNodeCreator(editor, NODE_NAME, true);
	checks.ok('adding it opens its panel', await editor.ndv.isVisible());

	checks.section('Lancepilot (the default provider)');
	checks.equal('Lancepilot panel fields', await editor.visibleParameters(), ['workspaceId', 'contactBy', 'recipient', 'messageType', 'source', 'binaryPropertyName', 'caption']);
	const lpSources = await editor.choose('source', 'URL');
	checks.equal('Video Source offers Binary File and URL (no Media ID)', lpSources, ['Binary File', 'URL']);
	checks.equal('URL shows Video URL instead of Input Binary Field', await editor.visibleParameters(), ['workspaceId', 'contactBy', 'recipient', 'messageType', 'source', 'videoUrl', 'caption']);
	await editor.choose('source', 'Binary File');
	checks.equal('Binary File shows Input Binary Field again', await editor.visibleParameters(), ['workspaceId', 'contactBy', 'recipient', 'messageType', 'source', 'binaryPropertyName', 'caption']);
	await editor.choose('contactBy', 'Contact ID');
	checks.equal('Find Contact By = Contact ID shows Contact ID instead of Phone Number', await editor.visibleParameters(), ['workspaceId', 'contactBy', 'contactId', 'messageType', 'source', 'binaryPropertyName', 'caption']);
	await editor.choose('contactBy', 'Phone Number');

	checks.section('Lancepilot credential dialog');
	await editor.newCredential();
	const modal = editor.credentialModal;
	const authChoices = await editor.authChoices();
	checks.ok(
		`the dialog offers Lancepilot, 360dialog and ${META} (n8n shows Provider here, as "Connect using")`,
		authChoices.includes('Lancepilot') && authChoices.includes('360dialog') && authChoices.includes(META),
		authChoices,
	);
	checks.equal('API Token is a password field', await editor.credentialField('API Token').getAttribute('type'), 'password');
	await editor.renameCredential('Lancepilot (emulator)');
	await editor.credentialField('Base URL').fill(emulator.lancepilotBaseUrl);
	await editor.credentialField('API Token').fill('lp_wrong_token_typed_in_the_browser');
	checks.equal('Save with a wrong token: the test fails', await editor.saveCredential(emulator), 'failure');
	await modal.getByText('More details').click().catch(() => undefined);
	const failureText = await tid(modal, 'credential-edit-dialog').innerText();
	checks.ok('and says why (the credential\'s 401 rule)', unauthorized(/did not accept this API token/).test(failureText), failureText.slice(0, 400));
	checks.ok('the emulator got GET /workspaces and answered 401', sameEach(emulator.requests.map((r) => `${r.method} ${r.path} ${r.status}`), 'GET /workspaces 401'), emulator.requests.map((r) => `${r.method} ${r.path} ${r.status}`));
	await editor.screenshot('credential-lancepilot-wrong-token.png', modal);
	await editor.credentialField('API Token').fill(D.lancepilotToken);
	checks.equal('Save with the emulator token: "Connection tested successfully"', await editor.saveCredential(emulator), 'success');
	const lpTests = emulator.requests.map((r) => `${r.method} ${r.path} ${r.status} ${String(r.headers.authorization)}`);
	checks.ok('the emulator got GET /workspaces with the Bearer token and answered 200', sameEach(lpTests, `GET /workspaces 200 Bearer ${D.lancepilotToken}`), lpTests);
	await editor.ensureCredentialOpen();
	checks.ok('the saved credential shows "Connection tested successfully"', await tid(modal, 'credentials-config-container-test-success').isVisible());
	checks.equal('the token field is still a password field', await editor.credentialField('API Token').getAttribute('type'), 'password');
	await editor.screenshot('credential-lancepilot.png', modal);
	await editor.closeCredentialModal();

	checks.section('Lancepilot Workspace ID from its list (node version 2)');
	emulator.reset();
	const workspaces = await editor.openList('workspaceId', D.workspaceName);
	checks.equal('From List shows the workspaces the token can use', workspaces, [D.workspaceName]);
	checks.ok('read with GET /workspaces and the Bearer token', sameEach(emulator.requests.map((r) => `${r.method} ${r.path} ${r.status} ${String(r.headers.authorization)}`), `GET /workspaces 200 Bearer ${D.lancepilotToken}`), emulator.requests.map((r) => `${r.method} ${r.path} ${r.status}`));
	await editor.pickFromList(D.workspaceName);
	checks.equal('the pick shows the workspace by its name', await editor.locatorText('workspaceId'), D.workspaceName);
	await editor.fill('recipient', '+49 151 23456789');
	await editor.choose('source', 'URL');
	await editor.fill('videoUrl', 'https://example.com/videos/welcome.mp4');
	await editor.fill('caption', 'Your weekly update');
	emulator.reset();
	await tid(editor.ndv, 'node-execute-button').first().click();
	await waitFor(page, () => emulator.messagesCreated('lancepilot').length > 0, 60_000);
	checks.equal('Execute step: one POST reached Lancepilot, by number', emulator.requests.map((r) => `${r.method} ${r.path} ${r.status}`), [
		`POST /workspaces/${D.workspaceId}/contacts/number/%2B4915123456789/messages/video 201`,
	]);
	checks.equal('with the values typed in the panel', emulator.requests[0]?.json, { file: 'https://example.com/videos/welcome.mp4', caption: 'Your weekly update' });
	await tid(editor.ndv, 'output-panel').getByText('created').first().waitFor({ timeout: 15_000 }).catch(() => undefined);
	checks.ok('the output panel shows status "created"', (await tid(editor.ndv, 'output-panel').innerText().catch(() => '')).includes('created'));
	await editor.screenshot('node-lancepilot.png', editor.ndv);

	checks.section('360dialog credential dialog');
	await editor.newCredential();
	await editor.chooseAuthType('360dialog');
	await editor.credentialField('API Key').waitFor();
	checks.equal('API Key is a password field', await editor.credentialField('API Key').getAttribute('type'), 'password');
	await editor.renameCredential('360dialog (emulator)');
	await editor.credentialField('Base URL').fill(emulator.dialog360BaseUrl);
	await editor.credentialField('API Key').fill('d360_wrong_key_typed_in_the_browser');
	checks.equal('Save with a wrong key: the test fails', await editor.saveCredential(emulator), 'failure');
	await modal.getByText('More details').click().catch(() => undefined);
	const failure360 = await tid(modal, 'credential-edit-dialog').innerText();
	checks.ok('and says why (the credential\'s 401 rule)', unauthorized(/did not accept this API key/).test(failure360), failure360.slice(0, 400));
	checks.ok('the emulator got GET /whatsapp_business_profile and answered 401', sameEach(emulator.requests.map((r) => `${r.method} ${r.path} ${r.status}`), 'GET /whatsapp_business_profile 401'), emulator.requests.map((r) => `${r.method} ${r.path} ${r.status}`));
	await editor.credentialField('API Key').fill(D.dialog360ApiKey);
	checks.equal('Save with the emulator key: "Connection tested successfully"', await editor.saveCredential(emulator), 'success');
	const d360Tests = emulator.requests.map((r) => `${r.method} ${r.path} ${r.status} ${String(r.headers['d360-api-key'])}`);
	checks.ok('the emulator got the profile request with D360-API-KEY and answered 200', sameEach(d360Tests, `GET /whatsapp_business_profile 200 ${D.dialog360ApiKey}`), d360Tests);
	await editor.ensureCredentialOpen();
	checks.ok('the saved credential shows "Connection tested successfully"', await tid(modal, 'credentials-config-container-test-success').isVisible());
	checks.equal('the key field is still a password field', await editor.credentialField('API Key').getAttribute('type'), 'password');
	await editor.screenshot('credential-360dialog.png', modal);
	await editor.closeCredentialModal();

	checks.section('360dialog (chosen through its credential)');
	checks.ok('the node now runs via 360dialog (subtitle)', (await page.locator(`[data-test-id="canvas-node"][data-node-name="${NODE_NAME}"]`).innerText().catch(() => '')).includes('via 360dialog'));
	const params360 = await editor.visibleParameters();
	checks.ok('360dialog panel: Phone Number, no Workspace ID or Find Contact By', params360.includes('recipient') && !params360.includes('workspaceId') && !params360.includes('contactBy'), params360);
	const d360Sources = await editor.choose('source', 'Media ID');
	checks.equal('Video Source offers Binary File, URL and Media ID', d360Sources, ['Binary File', 'URL', 'Media ID']);
	checks.equal('Media ID shows Media ID', await editor.visibleParameters(), ['recipient', 'messageType', 'source', 'mediaId', 'caption']);
	await editor.choose('source', 'Binary File');
	checks.equal('Binary File shows Input Binary Field', await editor.visibleParameters(), ['recipient', 'messageType', 'source', 'binaryPropertyName', 'caption']);
	await editor.choose('source', 'URL');
	checks.equal('URL shows Video URL', await editor.visibleParameters(), ['recipient', 'messageType', 'source', 'videoUrl', 'caption']);
	const credentialList = await editor.credentialOptions();
	checks.ok('"Credential to connect with" lists both credentials', credentialList.some((t) => t.startsWith('Lancepilot (emulator)')) && credentialList.some((t) => t.startsWith('360dialog (emulator)')), credentialList);
	await editor.fill('videoUrl', 'https://example.com/videos/welcome.mp4');
	await editor.fill('caption', 'Sent from the n8n editor');

	checks.section('360dialog: run from the editor (Execute step) against the emulator');
	emulator.reset();
	await tid(editor.ndv, 'node-execute-button').first().click();
	await waitFor(page, () => emulator.messagesCreated('dialog360').length > 0, 60_000);
	checks.equal('one POST /messages reached the emulator', emulator.requests.map((r) => `${r.method} ${r.path} ${r.status}`), ['POST /messages 200']);
	checks.equal('with the values typed in the panel', emulator.requests[0]?.json, {
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		to: '4915123456789',
		type: 'video',
		video: { link: 'https://example.com/videos/welcome.mp4', caption: 'Sent from the n8n editor' },
	});
	const outputPanel = tid(editor.ndv, 'output-panel');
	await outputPanel.getByText('accepted').first().waitFor({ timeout: 15_000 }).catch(() => undefined);
	checks.ok('the output panel shows status "accepted"', (await outputPanel.innerText().catch(() => '')).includes('accepted'));
	await editor.screenshot('node-360dialog.png', editor.ndv);

	checks.section('Meta WhatsApp Cloud API credential dialog');
	await editor.newCredential();
	await editor.chooseAuthType(META);
	await editor.credentialField('Access Token').waitFor();
	checks.equal('Access Token is a password field', await editor.credentialField('Access Token').getAttribute('type'), 'password');
	checks.equal('App Secret is a password field', await editor.credentialField('App Secret').getAttribute('type'), 'password');
	const metaFields = (await tid(modal, 'credential-connection-parameter').allInnerTexts()).map((t) => t.split('\n')[0].trim());
	checks.ok(
		'the dialog shows Access Token, Phone Number ID, WhatsApp Business Account ID, App Secret, Graph API Version, Base URL',
		['Access Token', 'Phone Number ID', 'WhatsApp Business Account ID', 'App Secret', 'Graph API Version', 'Base URL'].every((label) => metaFields.some((t) => t.startsWith(label))),
		metaFields,
	);
	await editor.renameCredential('Meta (emulator)');
	await editor.credentialField('Base URL').fill(emulator.metaBaseUrl);
	await editor.credentialField('Graph API Version').fill(D.metaGraphApiVersion);
	await editor.credentialField('Phone Number ID').fill(D.metaPhoneNumberId);
	await editor.credentialField('WhatsApp Business Account ID').fill(D.metaBusinessAccountId);
	await editor.credentialField('Access Token').fill('meta_wrong_token_typed_in_the_browser');
	const metaTestRequest = `GET /${D.metaGraphApiVersion}/${D.metaPhoneNumberId}`;
	checks.equal('Save with a wrong token: the test fails', await editor.saveCredential(emulator), 'failure');
	await modal.getByText('More details').click().catch(() => undefined);
	const failureMeta = await tid(modal, 'credential-edit-dialog').innerText();
	checks.ok('and says why (the credential\'s 401 rule)', unauthorized(/did not accept this access token/).test(failureMeta), failureMeta.slice(0, 400));
	checks.ok(`the emulator got ${metaTestRequest} and answered 401`, sameEach(emulator.requests.map((r) => `${r.method} ${r.path} ${r.status}`), `${metaTestRequest} 401`), emulator.requests.map((r) => `${r.method} ${r.path} ${r.status}`));
	await editor.credentialField('Access Token').fill(D.metaAccessToken);
	checks.equal('Save with the emulator token: "Connection tested successfully"', await editor.saveCredential(emulator), 'success');
	const metaTests = emulator.requests.map((r) => `${r.method} ${r.path} ${r.status} ${String(r.headers.authorization)}`);
	checks.ok('the emulator got the phone number request with the Bearer token and answered 200', sameEach(metaTests, `${metaTestRequest} 200 Bearer ${D.metaAccessToken}`), metaTests);
	await editor.ensureCredentialOpen();
	checks.ok('the saved credential shows "Connection tested successfully"', await tid(modal, 'credentials-config-container-test-success').isVisible());
	checks.equal('the token field is still a password field', await editor.credentialField('Access Token').getAttribute('type'), 'password');
	await editor.screenshot('credential-meta.png', modal);
	await editor.closeCredentialModal();

	checks.section('Meta WhatsApp Cloud API (chosen through its credential)');
	checks.ok(`the node now runs via ${META} (subtitle)`, (await page.locator(`[data-test-id="canvas-node"][data-node-name="${NODE_NAME}"]`).innerText().catch(() => '')).includes(`via ${META}`));
	const paramsMeta = await editor.visibleParameters();
	checks.ok('Meta panel: Phone Number, no Workspace ID or Find Contact By', paramsMeta.includes('recipient') && !paramsMeta.includes('workspaceId') && !paramsMeta.includes('contactBy'), paramsMeta);
	const metaSources = await editor.choose('source', 'Media ID');
	checks.equal('Video Source offers Binary File, URL and Media ID', metaSources, ['Binary File', 'URL', 'Media ID']);
	checks.equal('Media ID shows Media ID', await editor.visibleParameters(), ['recipient', 'messageType', 'source', 'mediaId', 'caption']);
	const allCredentials = await editor.credentialOptions();
	checks.ok(
		'"Credential to connect with" lists all three credentials',
		['Lancepilot (emulator)', '360dialog (emulator)', 'Meta (emulator)'].every((name) => allCredentials.some((t) => t.startsWith(name))),
		allCredentials,
	);

	checks.section('Meta: a video uploaded to the emulator, sent by Media ID from the editor (Execute step)');
	emulator.reset();
	const mediaId = await uploadToMeta(emulator);
	checks.ok('the emulator stored the upload and returned its media id', /^\d+$/.test(mediaId), mediaId);
	await editor.fill('mediaId', mediaId);
	await editor.fill('caption', 'Sent through Meta from the n8n editor');
	const before = emulator.requests.length;
	await tid(editor.ndv, 'node-execute-button').first().click();
	await waitFor(page, () => emulator.messagesCreated('whatsappCloud').length > 0, 60_000);
	const metaRun = emulator.requests.slice(before);
	checks.equal('one POST …/messages reached the emulator, below the version and phone number id', metaRun.map((r) => `${r.method} ${r.path} ${r.status}`), [
		`POST /${D.metaGraphApiVersion}/${D.metaPhoneNumberId}/messages 200`,
	]);
	checks.equal('with the Bearer token', metaRun[0]?.headers.authorization, `Bearer ${D.metaAccessToken}`);
	checks.equal('with the values typed in the panel', metaRun[0]?.json, {
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		to: '4915123456789',
		type: 'video',
		video: { id: mediaId, caption: 'Sent through Meta from the n8n editor' },
	});
	await outputPanel.getByText(mediaId).first().waitFor({ timeout: 15_000 }).catch(() => undefined);
	const metaOutput = await outputPanel.innerText().catch(() => '');
	checks.ok('the output panel shows status "accepted" and the media id', metaOutput.includes('accepted') && metaOutput.includes(mediaId), metaOutput.slice(0, 400));
	await editor.screenshot('node-meta.png', editor.ndv);

	await exerciseTemplate(checks, editor, emulator, server, mediaId);

	checks.section('Back to Lancepilot by picking its credential');
	await editor.pickCredential('Lancepilot (emulator)');
	const paramsBack = await editor.visibleParameters();
	checks.ok('Workspace ID and Find Contact By are back', paramsBack.includes('workspaceId') && paramsBack.includes('contactBy'), paramsBack);

	await exerciseTrigger(checks, editor, server);
	await exerciseAiAgent(checks, editor, server, model);
	await exerciseExampleRun(checks, editor, server, emulator, model, media);
}

async function main(): Promise<number> {
	const which = (process.env.E2E_BROWSER_N8N ?? 'current') as Which;
	if (which !== 'old' && which !== 'current') throw new Error(`E2E_BROWSER_N8N: unknown "${which}"`);
	const screenshotDir = process.env.E2E_SCREENSHOTS ?? (process.env.CI === 'true' ? '' : join(ROOT, 'docs', 'screenshots'));
	const checks = new Checks();
	const workDir = makeWorkDir('wa-video-browser-');
	const shots = screenshotDir || join(workDir, 'screenshots');
	mkdirSync(shots, { recursive: true });
	// The README's emulator port when it is free, so the screenshots show the documented URLs.
	const emulator = await startEmulator({ host: '127.0.0.1', port: (await portIsFree(4780)) ? 4780 : 0 });
	const model = await startChatModel();
	const media = await startMediaHost();
	let server: N8nServer | undefined;
	let browser: Browser | undefined;
	let page: Page | undefined;
	const started = Date.now();
	let tested = '';
	try {
		const pkg = buildAndPack(workDir, { build: process.env.E2E_SKIP_BUILD !== '1' });
		const install = await ensureN8n(which);
		tested = `n8n ${install.version} on Node ${install.nodeVersion}, ${await chromiumVersion()}`;
		const userFolder = makeUserFolder(workDir, pkg, `browser-${which}`);
		server = await startN8nServer(install, userFolder, 180_000, { WEBHOOK_URL });
		await setupOwner(server.url);
		browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
		const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
		page = await context.newPage();
		page.setDefaultTimeout(30_000);
		await exercise(checks, new Editor(page, shots), emulator, server, model, media);
	} catch (error) {
		checks.ok('the browser test ran to the end', false, error instanceof Error ? error.message : String(error));
		if (page) await page.screenshot({ path: join(workDir, 'failure.png') }).catch(() => undefined);
		if (server) log(`n8n log: ${server.logFile}`);
		log(`kept ${workDir} for the failure screenshot and n8n's log`);
		process.env.E2E_KEEP = '1';
	} finally {
		await browser?.close().catch(() => undefined);
		await server?.stop();
		await emulator.close();
		await model.close();
		await media.close();
		if (process.env.E2E_KEEP === '1') log(`kept ${workDir}`);
		else removeDir(workDir);
	}
	process.stdout.write(`\nTested: ${tested || 'nothing'} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
	process.stdout.write(`Screenshots: ${screenshotDir || '(temporary folder, removed)'}\n`);
	return checks.summary();
}

async function portIsFree(port: number): Promise<boolean> {
	const { createServer } = await import('node:net');
	return new Promise((resolve) => {
		const server = createServer();
		server.once('error', () => resolve(false));
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
	});
}

async function chromiumVersion(): Promise<string> {
	const { execFileSync } = await import('node:child_process');
	try {
		return execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).trim();
	} catch {
		return 'chromium';
	}
}


if (require.main === module) {
	main().then(
		(code) => process.exit(code),
		(error: unknown) => {
			process.stderr.write(`browser test failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
			process.exit(1);
		},
	);
}
