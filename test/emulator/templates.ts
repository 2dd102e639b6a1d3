/**
 * The message templates every provider of the emulator serves: one provider-neutral registry and the
 * converters to each provider's listing shape (Cloud API template objects for 360dialog and Meta,
 * Lancepilot's own objects). Sends are validated against the same registry, so a template that a
 * listing shows is exactly the template a send is checked against.
 *
 * Seed: seven hand-written templates (video headers in two languages, one without variables, one
 * with a static URL and a quick reply, an image header, a pending and a paused one) and sixty
 * approved text-header fillers, so that every provider's listing needs more than one page.
 */

export type TemplateStatus = 'APPROVED' | 'PENDING' | 'REJECTED' | 'PAUSED' | 'DISABLED';
export type TemplateCategory = 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
export type TemplateHeader = { format: 'VIDEO' | 'IMAGE' } | { format: 'TEXT'; text: string };
export type TemplateButton =
	| {
			type: 'URL';
			text: string;
			url: string;
			/** The example value of the URL's `{{1}}`; only for a URL with a variable. */
			example?: string;
	  }
	| { type: 'QUICK_REPLY'; text: string };

export interface EmulatorTemplate {
	/** Cloud API id (360dialog and Meta): a numeric string. */
	readonly cloudId: string;
	/** Lancepilot's integer id (`template_id`). */
	readonly lancepilotId: number;
	readonly name: string;
	readonly language: string;
	readonly status: TemplateStatus;
	readonly category: TemplateCategory;
	readonly header: TemplateHeader;
	/** With `{{1}}`, `{{2}}`… placeholders. */
	readonly body: string;
	/** Example values, one per distinct placeholder of the body, in placeholder order. */
	readonly bodyExamples: readonly string[];
	readonly buttons: readonly TemplateButton[];
}

/** Lancepilot ids of the hand-written templates (the fillers are 101–160). */
export const TEMPLATE_IDS = {
	springPromoEn: 41,
	springPromoDe: 42,
	productTour: 43,
	weeklyDigest: 44,
	photoOffer: 45,
	autumnTeaser: 46,
	winterRecap: 47,
} as const;

export const TEMPLATE_NAMES = {
	springPromo: 'spring_promo',
	productTour: 'product_tour',
	weeklyDigest: 'weekly_digest',
	photoOffer: 'photo_offer',
	autumnTeaser: 'autumn_teaser',
	winterRecap: 'winter_recap',
} as const;

export const FILLER_TEMPLATE_COUNT = 60;
/** Lancepilot id of `order_update_01`; `order_update_NN` has id 100 + NN. */
export const FILLER_FIRST_LANCEPILOT_ID = 101;
const FIRST_CLOUD_ID = 9000000000001;

type SeedEntry = Omit<EmulatorTemplate, 'cloudId'>;

const HAND_WRITTEN: readonly SeedEntry[] = [
	{
		lancepilotId: TEMPLATE_IDS.springPromoEn,
		name: 'spring_promo',
		language: 'en_US',
		status: 'APPROVED',
		category: 'MARKETING',
		header: { format: 'VIDEO' },
		body: 'Hi {{1}}, our spring sale gives you {{2}} off.',
		bodyExamples: ['Ada', '20%'],
		buttons: [{ type: 'URL', text: 'Shop now', url: 'https://shop.example.com/spring/{{1}}', example: 'SPRING' }],
	},
	{
		lancepilotId: TEMPLATE_IDS.springPromoDe,
		name: 'spring_promo',
		language: 'de_DE',
		status: 'APPROVED',
		category: 'MARKETING',
		header: { format: 'VIDEO' },
		body: 'Hallo {{1}}, im Frühlingsverkauf sparst du {{2}}.',
		bodyExamples: ['Ada', '20 %'],
		buttons: [{ type: 'URL', text: 'Jetzt einkaufen', url: 'https://shop.example.com/fruehling/{{1}}', example: 'FRUEHLING' }],
	},
	{
		lancepilotId: TEMPLATE_IDS.productTour,
		name: 'product_tour',
		language: 'en_US',
		status: 'APPROVED',
		category: 'UTILITY',
		header: { format: 'VIDEO' },
		body: 'Here is the product tour you asked for.',
		bodyExamples: [],
		buttons: [],
	},
	{
		lancepilotId: TEMPLATE_IDS.weeklyDigest,
		name: 'weekly_digest',
		language: 'en_US',
		status: 'APPROVED',
		category: 'MARKETING',
		header: { format: 'VIDEO' },
		body: "Hi {{1}}, this week's video is here.",
		bodyExamples: ['Ada'],
		buttons: [
			{ type: 'URL', text: 'Read the digest', url: 'https://shop.example.com/digest' },
			{ type: 'QUICK_REPLY', text: 'Stop' },
		],
	},
	{
		lancepilotId: TEMPLATE_IDS.photoOffer,
		name: 'photo_offer',
		language: 'en_US',
		status: 'APPROVED',
		category: 'MARKETING',
		header: { format: 'IMAGE' },
		body: 'Hi {{1}}, see our offer.',
		bodyExamples: ['Ada'],
		buttons: [],
	},
	{
		lancepilotId: TEMPLATE_IDS.autumnTeaser,
		name: 'autumn_teaser',
		language: 'en_US',
		status: 'PENDING',
		category: 'MARKETING',
		header: { format: 'VIDEO' },
		body: 'Autumn is coming, {{1}}.',
		bodyExamples: ['Ada'],
		buttons: [],
	},
	{
		lancepilotId: TEMPLATE_IDS.winterRecap,
		name: 'winter_recap',
		language: 'en_US',
		status: 'PAUSED',
		category: 'MARKETING',
		header: { format: 'VIDEO' },
		body: 'Thanks for a great winter, {{1}}.',
		bodyExamples: ['Ada'],
		buttons: [],
	},
];

function filler(n: number): SeedEntry {
	return {
		lancepilotId: FILLER_FIRST_LANCEPILOT_ID - 1 + n,
		name: `order_update_${String(n).padStart(2, '0')}`,
		language: 'en_US',
		status: 'APPROVED',
		category: 'UTILITY',
		header: { format: 'TEXT', text: 'Order update' },
		body: 'Your order {{1}} has shipped.',
		bodyExamples: [`A-${1000 + n}`],
		buttons: [],
	};
}

/** The seed, in listing order: the hand-written templates, then order_update_01 … order_update_60. */
export const EMULATOR_TEMPLATES: readonly EmulatorTemplate[] = Object.freeze(
	[...HAND_WRITTEN, ...Array.from({ length: FILLER_TEMPLATE_COUNT }, (_, i) => filler(i + 1))].map((entry, index) =>
		Object.freeze({ ...entry, cloudId: String(FIRST_CLOUD_ID + index) }),
	),
);

const PLACEHOLDER_RE = /\{\{(\d+)\}\}/g;

/** The distinct `{{n}}` placeholders of a text, as numbers in ascending order. */
export function placeholders(text: string): number[] {
	return [...new Set([...text.matchAll(PLACEHOLDER_RE)].map((m) => Number(m[1])))].sort((a, b) => a - b);
}

/** How many body parameters a send must carry. */
export function bodyParameterCount(template: EmulatorTemplate): number {
	return placeholders(template.body).length;
}

/** The template's first URL button and its index among the buttons, if it has one. */
export function firstUrlButton(template: EmulatorTemplate): { index: number; button: Extract<TemplateButton, { type: 'URL' }> } | undefined {
	const index = template.buttons.findIndex((b) => b.type === 'URL');
	if (index === -1) return undefined;
	return { index, button: template.buttons[index] as Extract<TemplateButton, { type: 'URL' }> };
}

/** True when the template's first URL button has a `{{1}}`, so a send must fill it. */
export function urlButtonHasVariable(template: EmulatorTemplate): boolean {
	const url = firstUrlButton(template);
	return url !== undefined && placeholders(url.button.url).length > 0;
}

export function findTemplate(
	name: string,
	language: string,
	registry: readonly EmulatorTemplate[] = EMULATOR_TEMPLATES,
): EmulatorTemplate | undefined {
	return registry.find((t) => t.name === name && t.language === language);
}

export function findTemplateByLancepilotId(id: number): EmulatorTemplate | undefined {
	return EMULATOR_TEMPLATES.find((t) => t.lancepilotId === id);
}

/** The body with its placeholders replaced, as WhatsApp renders it. */
export function renderBody(template: EmulatorTemplate, parameters: readonly string[]): string {
	return template.body.replace(PLACEHOLDER_RE, (whole, n: string) => parameters[Number(n) - 1] ?? whole);
}

// ---- Cloud API (360dialog and Meta) ----

export interface CloudApiTemplateComponent {
	type: 'HEADER' | 'BODY' | 'BUTTONS';
	format?: 'VIDEO' | 'IMAGE' | 'TEXT';
	text?: string;
	example?: Record<string, unknown>;
	buttons?: Array<{ type: 'URL' | 'QUICK_REPLY'; text: string; url?: string; example?: string[] }>;
}

export interface CloudApiTemplate {
	id: string;
	name: string;
	language: string;
	status: TemplateStatus;
	category: TemplateCategory;
	components: CloudApiTemplateComponent[];
}

/** Example media handles, shaped like the `4::…` handles of Meta's resumable upload. */
function exampleHandle(template: EmulatorTemplate): string {
	const extension = template.header.format === 'IMAGE' ? 'jpg' : 'mp4';
	return `4::${Buffer.from(`${template.name}_${template.language}.${extension}`).toString('base64')}`;
}

/** The template as Graph API (and 360dialog's `waba_templates`) describes it. */
export function toCloudApiTemplate(template: EmulatorTemplate): CloudApiTemplate {
	const { header } = template;
	const components: CloudApiTemplateComponent[] = [
		header.format === 'TEXT'
			? { type: 'HEADER', format: 'TEXT', text: header.text }
			: { type: 'HEADER', format: header.format, example: { header_handle: [exampleHandle(template)] } },
		{
			type: 'BODY',
			text: template.body,
			...(template.bodyExamples.length > 0 ? { example: { body_text: [[...template.bodyExamples]] } } : {}),
		},
	];
	if (template.buttons.length > 0) {
		components.push({
			type: 'BUTTONS',
			buttons: template.buttons.map((b) =>
				b.type === 'URL'
					? {
							type: 'URL',
							text: b.text,
							url: b.url,
							...(b.example !== undefined ? { example: [b.url.replace('{{1}}', b.example)] } : {}),
						}
					: { type: 'QUICK_REPLY', text: b.text },
			),
		});
	}
	return {
		id: template.cloudId,
		name: template.name,
		language: template.language,
		status: template.status,
		category: template.category,
		components,
	};
}

// ---- Lancepilot ----

export interface LancepilotTemplate {
	id: number;
	name: string;
	language: string;
	category: TemplateCategory;
	status: TemplateStatus;
	components: {
		header: { type: 'media'; media: { type: 'video' | 'image'; handle: string } } | { type: 'text'; text: string };
		body: { text: string; variables: string[] };
		footer: null;
		buttons: Array<{ type: 'URL'; text: string; url: string; variables?: string[] } | { type: 'QUICK_REPLY'; text: string }>;
	};
}

export function toLancepilotTemplate(template: EmulatorTemplate): LancepilotTemplate {
	const { header } = template;
	return {
		id: template.lancepilotId,
		name: template.name,
		language: template.language,
		category: template.category,
		status: template.status,
		components: {
			header:
				header.format === 'TEXT'
					? { type: 'text', text: header.text }
					: { type: 'media', media: { type: header.format === 'VIDEO' ? 'video' : 'image', handle: exampleHandle(template) } },
			body: { text: template.body, variables: [...template.bodyExamples] },
			footer: null,
			buttons: template.buttons.map((b) =>
				b.type === 'URL'
					? { type: 'URL', text: b.text, url: b.url, ...(b.example !== undefined ? { variables: [b.example] } : {}) }
					: { type: 'QUICK_REPLY', text: b.text },
			),
		},
	};
}
