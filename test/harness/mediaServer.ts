import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { FIXTURES_DIR } from './setup';

/** A request the media host received. */
export interface MediaHostRequest {
	method: string;
	path: string;
	range?: string;
	/** Bytes of the body the host managed to write before the client stopped reading. */
	bytesSent: number;
}

export interface MediaHost {
	origin: string;
	requests: MediaHostRequest[];
	close(): Promise<void>;
}

const SEVENTEEN_MB = 17 * 1024 * 1024;
/** Far more than the node may read, so a test can tell that it stopped reading. */
const SIXTY_FOUR_MB = 64 * 1024 * 1024;

/**
 * A stand-in for the web servers videos are linked from, with the behaviours users meet:
 *   /files/<fixture>            the fixture as video/mp4 (HEAD and ranged GET supported)
 *   /redirect/<n>/<fixture>     n redirects, then the fixture
 *   /to-ftp                     a redirect to an ftp: URL
 *   /away/<encoded URL>         a redirect to that URL (another host)
 *   /page                       a text/html page
 *   /text                       a text/plain file
 *   /missing                    404
 *   /huge-declared              Content-Length of 17 MB
 *   /huge-chunked               64 MB without Content-Length
 *   /no-head/<fixture>          HEAD answers 405; GET honours Range
 *   /stall                      headers, then nothing
 */
export async function startMediaHost(options: { host?: string } = {}): Promise<MediaHost> {
	// Any 127.x.y.z is this machine on Linux: a second loopback address is a second "site".
	const host = options.host ?? '127.0.0.1';
	const requests: MediaHostRequest[] = [];
	const stalled = new Set<ServerResponse>();

	const sendFile = (req: IncomingMessage, res: ServerResponse, record: MediaHostRequest, name: string) => {
		let bytes: Buffer;
		try {
			bytes = readFileSync(join(FIXTURES_DIR, name.replace(/[^\w.-]/g, '')));
		} catch {
			res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
			return;
		}
		const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
		if (range) {
			const part = bytes.subarray(Number(range[1]), Number(range[2]) + 1);
			res.writeHead(206, { 'Content-Type': 'video/mp4', 'Content-Length': part.length, 'Content-Range': `bytes ${range[1]}-${range[2]}/${bytes.length}` });
			record.bytesSent += part.length;
			res.end(part);
			return;
		}
		res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': bytes.length });
		if (req.method === 'HEAD') return void res.end();
		record.bytesSent += bytes.length;
		res.end(bytes);
	};

	const server: Server = createServer((req, res) => {
		const path = req.url ?? '/';
		const record: MediaHostRequest = { method: req.method ?? 'GET', path, bytesSent: 0, ...(req.headers.range ? { range: req.headers.range } : {}) };
		requests.push(record);
		const [, first, second, third] = path.split('/');
		if (first === 'files') return sendFile(req, res, record, second);
		if (first === 'redirect') {
			const left = Number(second);
			res.writeHead(302, { Location: left > 1 ? `/redirect/${left - 1}/${third}` : `/files/${third}` }).end();
			return;
		}
		if (first === 'away') return void res.writeHead(302, { Location: decodeURIComponent(second) }).end();
		if (first === 'to-ftp') return void res.writeHead(302, { Location: 'ftp://files.example.com/a.mp4' }).end();
		if (first === 'page') return void res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html><html><body>Sign in to download</body></html>');
		if (first === 'text') return void res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 5 }).end('hello');
		if (first === 'huge-declared') {
			res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': SEVENTEEN_MB });
			if (req.method === 'HEAD') return void res.end();
		}
		if (first === 'huge-declared' || first === 'huge-chunked') {
			if (first === 'huge-chunked') res.writeHead(200, { 'Content-Type': 'video/mp4' });
			const chunk = Buffer.alloc(256 * 1024, 7);
			const pump = () => {
				const size = first === 'huge-chunked' ? SIXTY_FOUR_MB : SEVENTEEN_MB;
				while (record.bytesSent < size && !res.destroyed) {
					record.bytesSent += chunk.length;
					if (!res.write(chunk)) return void res.once('drain', pump);
				}
				res.end();
			};
			res.on('close', () => undefined);
			return pump();
		}
		if (first === 'no-head') {
			if (req.method === 'HEAD') return void res.writeHead(405).end();
			return sendFile(req, res, record, second);
		}
		if (first === 'stall') {
			res.writeHead(200, { 'Content-Type': 'video/mp4' });
			res.write(Buffer.alloc(10));
			stalled.add(res);
			return;
		}
		res.writeHead(404, { 'Content-Type': 'text/plain' }).end('missing');
	});
	await new Promise<void>((resolve) => server.listen(0, host, resolve));
	const { port } = server.address() as AddressInfo;
	return {
		origin: `http://${host}:${port}`,
		requests,
		close: async () => {
			for (const res of stalled) res.destroy();
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}
