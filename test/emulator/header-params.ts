/**
 * Parsing of `value; name=param; name="quoted param"` header values (Content-Type,
 * Content-Disposition). Hand-written because the emulator may not depend on runtime packages and a
 * naive split on `;` breaks on quoted values that contain `;` or `"`.
 */

export interface HeaderValue {
	/** Lower-cased, trimmed, e.g. `multipart/form-data` or `form-data`. */
	value: string;
	/** Parameter names lower-cased; values unquoted. */
	params: Record<string, string>;
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t';

export function parseHeaderValue(header: string): HeaderValue {
	const firstSemicolon = header.indexOf(';');
	const value = (firstSemicolon === -1 ? header : header.slice(0, firstSemicolon)).trim().toLowerCase();
	const params: Record<string, string> = {};
	if (firstSemicolon === -1) return { value, params };

	let i = firstSemicolon + 1;
	const n = header.length;
	while (i < n) {
		while (i < n && (isSpace(header[i]) || header[i] === ';')) i++;
		const nameStart = i;
		while (i < n && header[i] !== '=' && header[i] !== ';') i++;
		const name = header.slice(nameStart, i).trim().toLowerCase();
		if (i >= n || header[i] === ';') {
			// A bare token without `=`: ignore it rather than fail, as lenient servers do.
			continue;
		}
		i++; // skip '='
		while (i < n && isSpace(header[i])) i++;
		let paramValue = '';
		if (header[i] === '"') {
			i++;
			while (i < n && header[i] !== '"') {
				// quoted-pair: the backslash escapes the next character (RFC 7230 §3.2.6).
				if (header[i] === '\\' && i + 1 < n) i++;
				paramValue += header[i];
				i++;
			}
			i++; // closing quote (or end of input for an unterminated string)
			while (i < n && header[i] !== ';') i++;
		} else {
			const valueStart = i;
			while (i < n && header[i] !== ';') i++;
			paramValue = header.slice(valueStart, i).trim();
		}
		// The first occurrence wins, so a later duplicate cannot override what was already checked.
		if (name && !(name in params)) params[name] = paramValue;
	}
	return { value, params };
}

/**
 * Decodes an RFC 5987 ext-value (`UTF-8''na%C3%AFve.mp4`). Returns undefined when it is not
 * well-formed, so callers can fall back to the plain `filename` parameter.
 */
export function decodeExtValue(extValue: string): string | undefined {
	const match = /^([A-Za-z0-9!#$&+\-^_`{}~]+)'[^']*'(.*)$/.exec(extValue);
	if (!match) return undefined;
	const charset = match[1].toLowerCase();
	try {
		if (charset === 'utf-8') return decodeURIComponent(match[2]);
		if (charset === 'iso-8859-1') {
			const bytes = match[2].replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) =>
				String.fromCharCode(parseInt(hex, 16)),
			);
			return bytes;
		}
	} catch {
		return undefined;
	}
	return undefined;
}

/** Media type of a Content-Type header, lower-cased and without parameters. */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
	if (contentType === undefined) return undefined;
	const value = parseHeaderValue(contentType).value;
	return value === '' ? undefined : value;
}
