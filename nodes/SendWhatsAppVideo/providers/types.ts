import type {
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	ILoadOptionsFunctions,
	INodeListSearchResult,
	INodeProperties,
	IWebhookFunctions,
} from 'n8n-workflow';

import type { InteractiveMessage } from '../interactive';
import type { VideoFile } from '../media';
import type { TemplateDefinition, TemplateLookup, TemplateMessage } from '../templates';
import type { RequestContext } from '../transport';

export type SourceKind = 'binary' | 'url' | 'mediaId';

/** The node's Message Type values: saved workflows store them, so they never change. */
export type MessageKind = 'video' | 'template' | 'buttons' | 'ctaUrl';

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
	/** Empty for templates and interactive messages: their text is their body. */
	caption: string;
	/** Only for providers that can reply: reply to this WhatsApp message id. */
	replyToMessageId: string;
	/** Only for providers that can carry it: echoed back in status webhooks. */
	callbackData: string;
	/** Send this approved template, with the video as its header, instead of a video message. */
	template?: TemplateMessage;
	/** Send this interactive message (reply buttons or a link button), with the video as its header. */
	interactive?: InteractiveMessage;
}

/** What the node puts on the output item for one sent video. */
export interface SendOutcome extends IDataObject {
	/** The provider's parameter value, as chosen in the node. */
	provider: string;
	recipient: string;
	status: 'accepted' | 'created';
	messageId: string | null;
	mediaId: string | null;
	response: IDataObject;
	/** For a template: its name and language (and the provider's id where it has one). */
	template?: IDataObject;
}

/** A recipient read from one item's parameters and checked, ready to send to. */
export interface ProviderTarget {
	recipient: string;
	/** The sending account within the credential where an item chooses it (Lancepilot's workspace); empty otherwise. */
	account: string;
	/** Finds the template the Template parameter names, in the account this target sends from. */
	findTemplate(value: string): Promise<TemplateLookup>;
	send(source: VideoSource, message: MessageOptions): Promise<SendOutcome>;
}

/** What a provider can do, which decides the fields and options the node shows for it. */
export interface ProviderCapabilities {
	sources: SourceKind[];
	/** The Message Types its API documents; the Message Type picker offers only these. */
	messageTypes: MessageKind[];
	/** Reply To Message ID. */
	replyContext: boolean;
	/** Callback Data, echoed in status webhooks. */
	callbackData: boolean;
	/** URL Delivery "Download and Upload": the node fetches the video and uploads the bytes. */
	urlUpload: boolean;
	/** Uploads are separate requests with their own rate limit (Uploads per Second). */
	uploadPacing: boolean;
}

/**
 * One WhatsApp provider, everything about it in one file: adding a provider means implementing
 * this and listing it in `providers/index.ts`; the node, planning and transport stay as they are.
 */
export interface VideoProvider {
	/** The value of the node's Provider parameter: saved workflows store it, so it never changes. */
	name: string;
	displayName: string;
	/** One line for the Provider picker. */
	description: string;
	credentialType: string;
	/** The provider's own fields (recipient and the like); the node shows them only when it is chosen. */
	fields: INodeProperties[];
	can: ProviderCapabilities;
	/** What the Template parameter holds for this provider, as a placeholder, e.g. `e.g. 41`. */
	templateValueExample: string;
	/** The account's templates for the Template picker, from the node's current parameters. */
	listTemplates(ctx: ILoadOptionsFunctions): Promise<TemplateDefinition[]>;
	/** Searchable lists for the provider's own resource locator fields, by method name. */
	listSearch?: Record<string, (this: ILoadOptionsFunctions, filter?: string) => Promise<INodeListSearchResult>>;
	/** Only for providers whose status webhooks the status trigger can receive. */
	statusWebhook?: StatusWebhookSupport;
	/** Reads and checks the recipient fields of one item. Sends nothing. */
	target(ctx: IExecuteFunctions, context: RequestContext): ProviderTarget;
}

/** One status WhatsApp reported for a message, as the status trigger emits it. */
export interface StatusEvent extends IDataObject {
	provider: string;
	/** The send node's `messageId` (a wamid). */
	messageId: string;
	recipient: string;
	status: string;
	/** ISO 8601. */
	timestamp: string;
	/** The send node's Callback Data option, as WhatsApp echoes it. */
	callbackData: string | null;
	errors: Array<{ code: number | null; title: string; details: string; hint: string | null }>;
	pricing: IDataObject | null;
	conversation: IDataObject | null;
}

/** What an authenticity check made of a webhook request. */
export type WebhookVerdict =
	/** A genuine delivery: read its statuses. */
	| { kind: 'deliver' }
	/** Answered already (a handshake, or a refusal): start nothing. */
	| { kind: 'answered' };

/** Receiving a provider's status webhooks: registering the URL, checking each request, reading it. */
export interface StatusWebhookSupport {
	/** The trigger's parameters for this provider (e.g. a verify token), shown when it is chosen. */
	fields: INodeProperties[];
	/** Where the user must paste the URL, if the provider cannot be told through its API. */
	setupNotice: string;
	checkExists(ctx: IHookFunctions): Promise<boolean>;
	create(ctx: IHookFunctions): Promise<boolean>;
	delete(ctx: IHookFunctions): Promise<boolean>;
	verify(ctx: IWebhookFunctions): Promise<WebhookVerdict>;
	readStatuses(body: unknown): StatusEvent[];
}
