/** The Template picker: the account's approved templates with a video header, searchable. */
import type { ILoadOptionsFunctions, INodeListSearchResult } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { PROVIDERS } from './providers';
import { isSendableVideoTemplate } from './templates';

const SHOWN_BODY_CHARACTERS = 60;

function shortened(text: string): string {
	const oneLine = text.replace(/\s+/g, ' ').trim();
	return oneLine.length > SHOWN_BODY_CHARACTERS ? `${oneLine.slice(0, SHOWN_BODY_CHARACTERS - 1)}…` : oneLine;
}

export async function searchTemplates(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	const providerName = this.getCurrentNodeParameter('provider') ?? PROVIDERS[0].name;
	const provider = PROVIDERS.find((candidate) => candidate.name === providerName);
	if (!provider) throw new NodeOperationError(this.getNode(), `Unknown provider "${String(providerName)}"`);
	const wanted = (filter ?? '').trim().toLowerCase();
	const templates = (await provider.listTemplates(this))
		.filter(isSendableVideoTemplate)
		.filter((template) => !wanted || `${template.name} ${template.language} ${template.bodyText}`.toLowerCase().includes(wanted))
		.sort((a, b) => a.name.localeCompare(b.name) || a.language.localeCompare(b.language));
	return {
		results: templates.map((template) => ({
			name: `${template.name} (${template.language}): ${shortened(template.bodyText)}`,
			value: template.value,
			description: template.bodyText,
		})),
	};
}
