import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { VideoFile } from '../media';
import type { RequestContext } from '../transport';

export type ProviderName = 'lancepilot' | 'dialog360';

export type SourceKind = 'binary' | 'url' | 'mediaId';

/** The video as the node resolved it from the item, already checked. */
export type VideoSource =
	| {
			kind: 'binary';
			/** Identifies the bytes (content type and SHA-256), so a provider can reuse an upload. */
			contentKey: string;
			/** Reads the checked file; a provider that can reuse an upload never calls it. */
			load: () => Promise<VideoFile>;
	  }
	| { kind: 'url'; url: string }
	| { kind: 'mediaId'; mediaId: string };

export interface MessageOptions {
	caption: string;
	/** 360dialog only: reply to this WhatsApp message id (`context.message_id`). */
	replyToMessageId: string;
	/** 360dialog only: echoed back in status webhooks (`biz_opaque_callback_data`). */
	callbackData: string;
}

/** What the node puts on the output item for one sent video. */
export interface SendOutcome extends IDataObject {
	provider: ProviderName;
	recipient: string;
	status: 'accepted' | 'created';
	messageId: string | null;
	mediaId: string | null;
	response: IDataObject;
}

/** A recipient read from one item's parameters and checked, ready to send to. */
export interface ProviderTarget {
	recipient: string;
	send(source: VideoSource, message: MessageOptions): Promise<SendOutcome>;
}

/**
 * One WhatsApp provider. Adding a provider means implementing this in one file and listing it in
 * `providers/index.ts`; the node and transport stay as they are.
 */
export interface VideoProvider {
	name: ProviderName;
	displayName: string;
	credentialType: string;
	sources: SourceKind[];
	/** Reads and checks the recipient fields of one item. Sends nothing. */
	target(ctx: IExecuteFunctions, context: RequestContext): ProviderTarget;
}

/** How a provider's error bodies read, for the transport to turn into a `NodeApiError`. */
export interface ProviderErrorText {
	message: string;
	description: string;
}

export interface ProviderWire {
	displayName: string;
	credentialType: string;
	/** The credential field that must never appear in any output, error or log. */
	secretField: string;
	describeError(statusCode: number, body: unknown): ProviderErrorText;
	/** Provider-specific "slow down" answers besides HTTP 429; they never create a message. */
	isThrottled(statusCode: number, body: unknown): boolean;
}
