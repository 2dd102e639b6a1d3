/**
 * Dry run: the providers build every request exactly as for a real send, and the transport hands
 * the ones that would upload or send to this log instead of to n8n. So what a dry run shows cannot
 * drift from what a real run sends.
 */
import { createHash } from 'node:crypto';

import type { IDataObject, IHttpRequestMethods } from 'n8n-workflow';

import type { SendOutcome } from './providers/types';

/** One request a real run would have sent, as a user reads it: no bytes, no credential. */
export interface DryRunRequest extends IDataObject {
	method: IHttpRequestMethods;
	url: string;
	bodyType: 'json' | 'multipart';
	/** The JSON body, or the multipart fields with each file described instead of its bytes. */
	body: IDataObject;
}

/** What a dry run puts on the output item instead of a send's outcome. */
export interface DryRunOutcome extends IDataObject {
	provider: string;
	recipient: string;
	status: 'dryRun';
	requests: DryRunRequest[];
}

/**
 * Stands where a real upload's media ID goes: the message after it uses the ID of an upload that
 * never happened. Items carrying the same video share one upload in a real run, so the item whose
 * output lists that upload is named.
 */
export function dryRunMediaId(itemIndex: number): string {
	return `<media id of the upload in item ${itemIndex}>`;
}

async function describeFile(file: File): Promise<IDataObject> {
	const bytes = Buffer.from(await file.arrayBuffer());
	return { name: file.name, type: file.type, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

async function describeForm(form: FormData): Promise<IDataObject> {
	// forEach, not entries(): the package's DOM typings come without the iterable part.
	const entries: Array<[string, FormDataEntryValue]> = [];
	form.forEach((value, name) => entries.push([name, value]));
	const fields: IDataObject = {};
	for (const [name, value] of entries) fields[name] = typeof value === 'string' ? value : await describeFile(value);
	return fields;
}

/** A request as a dry run shows it: the JSON body as it is, a multipart body as its fields. */
export async function describeRequest(method: IHttpRequestMethods, url: string, body: { json?: IDataObject; form?: FormData }): Promise<DryRunRequest> {
	return body.form
		? { method, url, bodyType: 'multipart', body: await describeForm(body.form) }
		: { method, url, bodyType: 'json', body: body.json ?? {} };
}

/** The requests one item's dry run would have sent, in order. */
export class DryRunLog {
	readonly requests: DryRunRequest[] = [];

	/** Keeps what the item's checks found (template, video) and replaces the pretended answer with the requests. */
	outcome(sent: SendOutcome): DryRunOutcome {
		const { provider, recipient, template, video } = sent;
		return {
			provider,
			recipient,
			status: 'dryRun',
			requests: this.requests,
			...(template ? { template } : {}),
			...(video ? { video } : {}),
		};
	}
}
