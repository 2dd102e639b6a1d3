/**
 * n8n's SSRF protection (n8n >= 2.20, `N8N_SSRF_PROTECTION_ENABLED=true`) refuses node requests to
 * restricted addresses before connecting. Its own message says only that the request "was blocked";
 * the node says which setting decides and how to allow a host the user trusts.
 */

/** What n8n refused: an address in a blocked IP range, or a host name on its deny-list. */
export interface SsrfRefusal {
	kind: 'ip' | 'hostname';
	/** The address or host name n8n named in its refusal. */
	target: string;
}

/**
 * n8n's refusal, found by its error names (SsrfBlockedIpError, SsrfBlockedHostnameError): the class
 * lives in n8n's own network package, which a community node cannot import. Request helpers that
 * authenticate wrap it in a NodeApiError, so the causes are searched too.
 */
export function ssrfRefusal(error: unknown): SsrfRefusal | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
		const { name, ip, hostname } = current as { name?: unknown; ip?: unknown; hostname?: unknown };
		if (name === 'SsrfBlockedIpError' && typeof ip === 'string') return { kind: 'ip', target: ip };
		if (name === 'SsrfBlockedHostnameError' && typeof hostname === 'string') return { kind: 'hostname', target: hostname };
		current = (current as { cause?: unknown }).cause;
	}
	return undefined;
}

/** Why n8n refused, in the words of its settings. */
export function ssrfReason(refusal: SsrfRefusal): string {
	return refusal.kind === 'ip'
		? `n8n's SSRF protection blocks ${refusal.target} (a private, loopback or otherwise restricted address)`
		: `n8n's SSRF protection blocks the host name ${refusal.target}`;
}

/** How an administrator allows a host the workflow may reach; `hostname` is the URL's host name. */
export function ssrfAllowHint(refusal: SsrfRefusal, hostname: string): string {
	const byName = `N8N_SSRF_ALLOWED_HOSTNAMES=${hostname}`;
	if (refusal.kind === 'hostname') {
		return `If this host is trusted, ask your n8n administrator to allow it with ${byName} (or to remove it from N8N_SSRF_BLOCKED_HOSTNAMES).`;
	}
	const byRange = `N8N_SSRF_ALLOWED_IP_RANGES=${refusal.target}${refusal.target.includes(':') ? '/128' : '/32'}`;
	const isAddress = hostname.replace(/^\[|\]$/g, '') === refusal.target;
	return `This n8n runs with N8N_SSRF_PROTECTION_ENABLED=true. If this host is trusted, ask your n8n administrator to allow it with ${
		isAddress ? byRange : `${byName} or ${byRange}`
	}.`;
}
