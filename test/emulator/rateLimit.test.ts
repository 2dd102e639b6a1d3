import { D, D360_AUTH, LP_AUTH, META_AUTH, expectMetaError, http, postJson, sleep } from './helpers';
import { RateLimitBook } from './rateLimit';
import { busiestSecond } from './rates';
import { startEmulator, type Emulator, type RecordedRequest } from './server';

const TO = D.contactNumber.slice(1);
const LINK = 'https://cdn.example.com/clip.mp4';
const OTHER_PHONE = '109999999999999';
const videoMessage = (to = TO) => ({ messaging_product: 'whatsapp', to, type: 'video', video: { link: LINK } });

describe('RateLimitBook: a sliding one-second window of accepted arrivals', () => {
	it('refuses an arrival while the limit of arrivals lies less than a second before it', () => {
		const book = new RateLimitBook({ dialog360: 3 });
		const admitted = (at: number) => book.admit('dialog360', 'k', at) !== undefined;
		expect([0, 100, 200].map(admitted)).toEqual([true, true, true]);
		expect(admitted(300)).toBe(false);
		expect(admitted(999.9)).toBe(false);
		// The arrival at 0 leaves the window at exactly 1000 ms.
		expect(admitted(1000)).toBe(true);
		expect(admitted(1099)).toBe(false);
		expect(admitted(1100)).toBe(true);
		expect(admitted(1150)).toBe(false);
	});

	it('counts only what it let through: refused arrivals never push the window on', () => {
		const book = new RateLimitBook({ lancepilot: 1 });
		expect(book.admit('lancepilot', 'k', 0)).toBeDefined();
		// A client retrying every 10 ms is refused until the accepted arrival is a second old, then let in.
		for (let at = 10; at < 1000; at += 10) expect(book.admit('lancepilot', 'k', at)).toBeUndefined();
		expect(book.admit('lancepilot', 'k', 1000)).toBeDefined();
	});

	it('gives a withdrawn arrival its place back, once', () => {
		const book = new RateLimitBook({ dialog360: 2 });
		const first = book.admit('dialog360', 'k', 0);
		expect(book.admit('dialog360', 'k', 1)).toBeDefined();
		expect(book.admit('dialog360', 'k', 2)).toBeUndefined();
		first?.withdraw();
		first?.withdraw();
		expect(book.admit('dialog360', 'k', 3)).toBeDefined();
		expect(book.admit('dialog360', 'k', 4)).toBeUndefined();
	});

	it('keeps one window per key, with the limit of its provider', () => {
		const book = new RateLimitBook({ whatsappCloud: 1 });
		expect(book.admit('whatsappCloud', 'whatsappCloud:1', 0)).toBeDefined();
		expect(book.admit('whatsappCloud', 'whatsappCloud:2', 0)).toBeDefined();
		expect(book.admit('whatsappCloud', 'whatsappCloud:1', 1)).toBeUndefined();
		// No limit for 360dialog: everything passes.
		for (let at = 0; at < 100; at++) expect(book.admit('dialog360', 'dialog360', at)).toBeDefined();
	});

	it('counts while no limit is set, so a limit set later applies to the second before it at once', () => {
		const book = new RateLimitBook();
		expect(book.admit('dialog360', 'k', 0)).toBeDefined();
		expect(book.admit('dialog360', 'k', 1)).toBeDefined();
		book.set('dialog360', 2);
		expect(book.admit('dialog360', 'k', 2)).toBeUndefined();
		book.set('dialog360', undefined);
		expect(book.admit('dialog360', 'k', 3)).toBeDefined();
	});

	it('reset() restores the limits it started with and forgets counted arrivals', () => {
		const limits = { dialog360: 1 };
		const book = new RateLimitBook(limits);
		limits.dialog360 = 50; // the book keeps its own copy
		book.set('dialog360', undefined);
		book.set('lancepilot', 5);
		book.admit('dialog360', 'k', 0);
		book.reset();
		expect(book.limitOf('dialog360')).toBe(1);
		expect(book.limitOf('lancepilot')).toBeUndefined();
		expect(book.admit('dialog360', 'k', 1)).toBeDefined();
		expect(book.admit('dialog360', 'k', 2)).toBeUndefined();
	});

	it.each([0, -1, 1.5, Number.NaN, Infinity])('refuses %p as a limit', (perSecond) => {
		expect(() => new RateLimitBook().set('dialog360', perSecond)).toThrow(RangeError);
		expect(() => new RateLimitBook({ dialog360: perSecond })).toThrow(RangeError);
	});

	it('refuses an unknown provider', () => {
		expect(() => new RateLimitBook().set('meta' as 'dialog360', 80)).toThrow(/Unknown rate limit provider: meta/);
	});
});

describe('the emulator with rate limits', () => {
	let emu: Emulator;
	const logLines: string[] = [];
	beforeAll(async () => {
		emu = await startEmulator({
			rateLimits: { dialog360: 3 },
			metaPhoneNumberIds: [D.metaPhoneNumberId, OTHER_PHONE],
			log: (line) => logLines.push(line),
		});
	});
	afterEach(() => {
		emu.reset();
		logLines.length = 0;
	});
	afterAll(() => emu.close());

	const d360Send = () => postJson(`${emu.dialog360BaseUrl}/messages`, videoMessage(), D360_AUTH);
	const metaSend = (phoneNumberId: string = D.metaPhoneNumberId) =>
		postJson(`${emu.metaBaseUrl}/${D.metaGraphApiVersion}/${phoneNumberId}/messages`, videoMessage(), META_AUTH);
	const lpVideoUrl = `/workspaces/${D.workspaceId}/contacts/number/${TO}/messages/video`;
	const lpSend = (path = lpVideoUrl, body: unknown = { file: LINK }) => postJson(`${emu.lancepilotBaseUrl}${path}`, body, LP_AUTH);
	const throttled = () => emu.requests.filter((r) => r.throttled);

	it('360dialog: sends beyond the limit get Meta\'s 130429 as HTTP 400 and create nothing', async () => {
		const answers = await Promise.all(Array.from({ length: 5 }, () => d360Send()));
		expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 400, 400]);
		for (const refused of answers.filter((a) => a.status === 400)) {
			const body = expectMetaError(refused, 130429, 'Cloud API message throughput has been reached.');
			expect(body.error.message).toBe('(#130429) Rate limit hit');
		}
		expect(emu.messagesCreated('dialog360')).toHaveLength(3);
		expect(throttled()).toHaveLength(2);
		for (const record of throttled()) {
			expect(record).toMatchObject({ provider: 'dialog360', path: '/messages', status: 400, responseSent: true, throttled: true });
			expect(record.created).toBeUndefined();
			// The body was read and recorded as for any request.
			expect(record.json).toEqual(videoMessage());
		}
		// The refused ones arrived last: admission follows arrival.
		const arrivals = [...emu.requests].sort((a, b) => a.startedAt - b.startedAt);
		expect(arrivals.map((r) => r.throttled === true)).toEqual([false, false, false, true, true]);
		expect(logLines.filter((line) => / -> 400 \[throttled\] \d+ms$/.test(line))).toHaveLength(2);
	});

	it('counts only message sends (POST /messages): profile, templates, media and a GET of /messages pass', async () => {
		emu.setRateLimit('dialog360', 1);
		expect((await d360Send()).status).toBe(200);
		const others = await Promise.all([
			http(`${emu.dialog360BaseUrl}/whatsapp_business_profile`, { headers: D360_AUTH }),
			http(`${emu.dialog360BaseUrl}/v1/configs/templates`, { headers: D360_AUTH }),
			http(`${emu.dialog360BaseUrl}/123456789`, { headers: D360_AUTH }),
			http(`${emu.dialog360BaseUrl}/messages`, { headers: D360_AUTH }),
		]);
		expect(others.map((answer) => answer.status)).toEqual([200, 200, 400, 400]);
		expect(throttled()).toHaveLength(0);
		expect((await d360Send()).status).toBe(400);
		expect(throttled()).toHaveLength(1);
	});

	it('Meta: each business phone number has its own window, sends of another provider are not counted', async () => {
		emu.setRateLimit('whatsappCloud', 2);
		const [one, other] = await Promise.all([
			Promise.all([metaSend(), metaSend(), metaSend()]),
			Promise.all([metaSend(OTHER_PHONE), metaSend(OTHER_PHONE)]),
		]);
		expect(one.map((a) => a.status).sort()).toEqual([200, 200, 400]);
		expect(other.map((a) => a.status)).toEqual([200, 200]);
		expectMetaError(one.find((a) => a.status === 400) ?? { status: 0, json: undefined }, 130429, 'throughput');
		expect(emu.messagesCreated('whatsappCloud')).toHaveLength(4);
		// 360dialog's own limit of 3 is untouched by Meta's sends.
		expect((await Promise.all([d360Send(), d360Send(), d360Send()])).map((a) => a.status)).toEqual([200, 200, 200]);
	});

	it('Meta: a request that is no send (a wrong version, an unknown number, a GET) is not counted', async () => {
		emu.setRateLimit('whatsappCloud', 1);
		const misses = await Promise.all([
			postJson(`${emu.metaBaseUrl}/26.0/${D.metaPhoneNumberId}/messages`, videoMessage(), META_AUTH),
			postJson(`${emu.metaBaseUrl}/${D.metaGraphApiVersion}/123456789012345/messages`, videoMessage(), META_AUTH),
			http(`${emu.metaBaseUrl}/${D.metaGraphApiVersion}/${D.metaPhoneNumberId}`, { headers: META_AUTH }),
		]);
		expect(misses.map((a) => a.status)).toEqual([400, 400, 200]);
		expect(throttled()).toHaveLength(0);
		expect((await metaSend()).status).toBe(200);
		expect((await metaSend()).status).toBe(400);
	});

	it('Lancepilot: 429 "Too Many Attempts." with Retry-After: 1; video and template sends share the limit', async () => {
		emu.setRateLimit('lancepilot', 2);
		// An invalid send still used the provider's throughput (it was let through and then refused for its body).
		const template = await lpSend(`/workspaces/${D.workspaceId}/contacts/number/${TO}/template-messages`, {});
		expect(template.status).toBe(422);
		expect((await lpSend()).status).toBe(201);
		const refused = await lpSend();
		expect(refused.status).toBe(429);
		expect(refused.json).toEqual({ message: 'Too Many Attempts.' });
		expect(refused.headers.get('retry-after')).toBe('1');
		expect(emu.messagesCreated('lancepilot')).toHaveLength(1);
		expect(throttled()).toEqual([expect.objectContaining({ provider: 'lancepilot', status: 429, throttled: true })]);
		// The listing routes are no sends.
		expect((await http(`${emu.lancepilotBaseUrl}/workspaces`, { headers: LP_AUTH })).status).toBe(200);
	});

	it('lets the next send in a second after the first accepted one, however often the refused ones retry', async () => {
		emu.setRateLimit('dialog360', 1);
		expect((await d360Send()).status).toBe(200);
		const deadline = Date.now() + 3000;
		let answer = await d360Send();
		while (answer.status === 400 && Date.now() < deadline) answer = await d360Send();
		expect(answer.status).toBe(200);
		const accepted = emu.messagesCreated('dialog360');
		const gap = accepted[1].startedAt - accepted[0].startedAt;
		expect(gap).toBeGreaterThanOrEqual(1000);
		// Had the refused retries counted, each would have pushed the window on and none would get in.
		expect(gap).toBeLessThan(2000);
		expect(throttled().length).toBeGreaterThan(0);
	});

	it('keeps every second of accepted arrivals within the limit under a steady overload', async () => {
		emu.setRateLimit('dialog360', 10);
		const answers: Array<Promise<unknown>> = [];
		// 60 sends over about 1.5 s: 40 a second against a limit of 10.
		for (let index = 0; index < 60; index++) {
			answers.push(d360Send());
			await sleep(25);
		}
		await Promise.all(answers);
		const accepted = emu.messagesCreated('dialog360');
		expect(accepted.length).toBeGreaterThanOrEqual(10);
		expect(busiestSecond(accepted)).toBeLessThanOrEqual(10);
		expect(accepted.length + throttled().length).toBe(60);
	});

	it('answers a refused send after the latency too, and uses up no injected fault on it', async () => {
		emu.setRateLimit('dialog360', 1);
		emu.setLatency(100);
		expect((await d360Send()).status).toBe(200);
		const fault = emu.injectFault({ provider: 'dialog360', path: '/messages', kind: 'status', status: 503 });
		expect((await d360Send()).status).toBe(400);
		expect(fault.applied).toBe(0);
		const [record] = throttled();
		expect(record.finishedAt - record.startedAt).toBeGreaterThanOrEqual(95);
		expect(record.fault).toBeUndefined();
	});

	it('gives the place of a send an injected fault answered in the provider\'s stead back', async () => {
		emu.setRateLimit('dialog360', 1);
		emu.injectFault({ provider: 'dialog360', path: '/messages', kind: 'status', status: 503 });
		expect((await d360Send()).status).toBe(503);
		expect((await d360Send()).status).toBe(200);
		expect((await d360Send()).status).toBe(400);
	});

	it('keeps the place of a send a fault hit after the provider took it (reset-after)', async () => {
		emu.setRateLimit('dialog360', 1);
		emu.injectFault({ provider: 'dialog360', path: '/messages', kind: 'reset-after' });
		await expect(d360Send()).rejects.toThrow();
		expect(emu.messagesCreated('dialog360')).toHaveLength(1);
		expect((await d360Send()).status).toBe(400);
	});

	it('setRateLimit(provider, undefined) lifts the limit; reset() restores the options\' limits and forgets counted sends', async () => {
		emu.setRateLimit('dialog360', undefined);
		expect((await Promise.all(Array.from({ length: 6 }, () => d360Send()))).map((a) => a.status)).toEqual(Array(6).fill(200));
		emu.reset();
		const after = await Promise.all(Array.from({ length: 4 }, () => d360Send()));
		expect(after.filter((a) => a.status === 200)).toHaveLength(3);
		emu.setRateLimit('lancepilot', 1);
		emu.reset();
		expect((await Promise.all([lpSend(), lpSend()])).map((a) => a.status)).toEqual([201, 201]);
	});

	it('refuses a limit that is not a positive whole number, at start and later', async () => {
		expect(() => emu.setRateLimit('dialog360', 0)).toThrow(RangeError);
		expect(() => emu.setRateLimit('dialog360', 2.5)).toThrow(RangeError);
		await expect(startEmulator({ rateLimits: { dialog360: -1 } })).rejects.toThrow(RangeError);
		await expect(startEmulator({ rateLimits: { meta: 80 } as unknown as Record<'dialog360', number> })).rejects.toThrow(
			/Unknown rate limit provider: meta/,
		);
	});
});

describe('the emulator without rate limits', () => {
	it('accepts any number of sends at once and marks none throttled', async () => {
		const emu = await startEmulator();
		try {
			const answers = await Promise.all(
				Array.from({ length: 100 }, () => postJson(`${emu.dialog360BaseUrl}/messages`, videoMessage(), D360_AUTH)),
			);
			expect(answers.every((a) => a.status === 200)).toBe(true);
			expect(emu.requests.some((r: RecordedRequest) => r.throttled)).toBe(false);
		} finally {
			await emu.close();
		}
	});
});
