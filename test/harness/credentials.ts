import type {
	ICredentialDataDecryptedObject,
	ICredentials,
	ICredentialType,
	GenericValue,
	IHttpRequestOptions,
	INode,
	INodeCredentialsDetails,
	INodeProperties,
	IRequestOptionsSimplified,
	Workflow,
} from 'n8n-workflow';
import { ICredentialsHelper } from 'n8n-workflow';

/**
 * The part of n8n's credentials helper a node execution touches: hands decrypted credential data
 * to the node and applies a credential type's generic `authenticate` block, resolving its
 * `={{$credentials.x}}` templates with n8n's own expression engine, as the n8n server does.
 */
export class TestCredentialsHelper extends ICredentialsHelper {
	constructor(
		private readonly types: Record<string, ICredentialType>,
		private readonly data: Record<string, ICredentialDataDecryptedObject>,
	) {
		super();
	}

	getParentTypes(): string[] {
		return [];
	}

	/**
	 * Asked by n8n-core of current n8n (not 2.8) before a node gets a credential. n8n answers false
	 * only for a credential type with `restrictToSupportedNodes`, which neither type here has.
	 */
	isCredentialUsableByNode(): boolean {
		return true;
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow: Workflow,
		node: INode,
	): Promise<IHttpRequestOptions> {
		const options = requestOptions as IHttpRequestOptions;
		const authenticate = this.types[typeName]?.authenticate;
		if (typeof authenticate === 'function') return await authenticate(credentials, options);
		if (!authenticate || authenticate.type !== 'generic') return options;
		const resolve = (value: unknown): GenericValue =>
			typeof value === 'string' && value.startsWith('=')
				? workflow.expression.getSimpleParameterValue(node, value, 'internal', { $credentials: credentials }, undefined, '')
				: (value as GenericValue);
		const { headers, qs, body } = authenticate.properties;
		for (const [key, value] of Object.entries(headers ?? {})) {
			options.headers = { ...options.headers, [key]: resolve(value) };
		}
		for (const [key, value] of Object.entries(qs ?? {})) {
			options.qs = { ...options.qs, [key]: resolve(value) };
		}
		for (const [key, value] of Object.entries(body ?? {})) {
			options.body = { ...(options.body as object), [key]: resolve(value) };
		}
		return options;
	}

	async preAuthentication(): Promise<ICredentialDataDecryptedObject | undefined> {
		return undefined;
	}

	async getCredentials(_details: INodeCredentialsDetails, type: string): Promise<ICredentials> {
		throw new Error(`The test harness does not store encrypted credentials (${type})`);
	}

	async getDecrypted(
		_additionalData: unknown,
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
	): Promise<ICredentialDataDecryptedObject> {
		const data = this.data[type];
		if (!data) throw new Error(`No test credentials of type "${type}"`);
		return { ...data };
	}

	async updateCredentials(): Promise<void> {}

	async updateCredentialsOauthTokenData(): Promise<void> {}

	getCredentialsProperties(type: string): INodeProperties[] {
		return this.types[type]?.properties ?? [];
	}
}
