/**
 * The pace learned from throughput refusals (adaptiveRate.ts, throughputRefusal.ts): one process
 * configured above what the number allows converges to it and stops being refused, delivering
 * every message once; which refusals it learns from, and which it must not (131056, 131057).
 */
import { AdaptiveRate } from '../../../nodes/SendWhatsAppVideo/adaptiveRate';
import { isThroughputRefusal } from '../../../nodes/SendWhatsAppVideo/throughputRefusal';
import { metaErrorBody } from '../../emulator/server';
import type { RecordedRequest } from '../../emulator/server';
import { runWorkflow } from '../../harness/engine';
import { byPhone, emulatorCredentials, phone, useEmulator } from '../../harness/setup';

const emulator = useEmulator();

/** Refused sends in each second since the first send, at the emulator's clock. */
function refusalsPerSecond(sends: RecordedRequest[]): number[] {
	const first = Math.min(...sends.map((send) => send.startedAt));
	const counts: number[] = [];
	for (const send of sends) {
		const second = Math.floor((send.startedAt - first) / 1000);
		while (counts.length <= second) counts.push(0);
		if (send.throttled) counts[second]++;
	}
	return counts;
}

describe('one process configured above what the number allows', () => {
	// One provider per case: the learned pace belongs to the credential for the whole process, so a
	// second case with the same credential would start from what the first one learned.
	test.each([
		['dialog360', 0],
		['whatsappCloud', 200],
	] as const)('Messages per Second 80 against a %s number allowing 20 (%i ms answers): every message once, refused only in the first seconds', async (provider, latencyMs) => {
		emulator().setLatency(latencyMs);
		emulator().setRateLimit(provider, 20);
		const result = await runWorkflow({
			parameters: { provider, recipient: '={{ $json.phone }}', source: 'url', videoUrl: 'https://cdn.example.com/promo.mp4', options: { messagesPerSecond: 80 } },
			items: byPhone(200),
			credentials: emulatorCredentials(emulator()),
		});

		const recipients = Array.from({ length: 200 }, (_, index) => phone(index).slice(1));
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => [item.json.status, item.json.recipient])).toEqual(recipients.map((recipient) => ['accepted', recipient]));
		expect(emulator().messagesCreated().map((send) => (send.json as { to: string }).to).sort()).toEqual([...recipients].sort());
		const sends = emulator().requests.filter((request) => request.method === 'POST' && request.path.endsWith('/messages'));
		// Without learning, most sends are refused and items run out of retries. With it, only the
		// sends already in flight when the first refusal arrives (80/s × the answer time) are.
		expect(sends.filter((send) => send.throttled).length).toBeLessThanOrEqual(0.1 * sends.length);
		const perSecond = refusalsPerSecond(sends);
		expect(perSecond.slice(2)).toEqual(perSecond.slice(2).map(() => 0));
	});

	test('360dialog\'s "exceeded the endpoint rate limit" is retried: the message goes out once', async () => {
		emulator().injectFault({ provider: 'dialog360', path: '/messages', kind: 'status', status: 400, body: { error: 'You have exceeded the endpoint rate limit.' } });
		const result = await runWorkflow({
			parameters: { provider: 'dialog360', recipient: '={{ $json.phone }}', source: 'url', videoUrl: 'https://cdn.example.com/promo.mp4' },
			items: byPhone(1),
			credentials: emulatorCredentials(emulator()),
		});
		expect(result.items[0].json.status).toBe('accepted');
		expect(emulator().messagesCreated()).toHaveLength(1);
		expect(emulator().requests.filter((request) => request.fault === 'status:400')).toHaveLength(1);
	});
});

describe('which refusals lower the pace', () => {
	test.each([
		['HTTP 429', 429, { message: 'Too Many Attempts.' }],
		['130429', 400, metaErrorBody(130429, 'Cloud API message throughput has been reached.')],
		['360dialog\'s own', 400, { error: 'You have exceeded the endpoint rate limit.' }],
	])('%s does', (_name, status, body) => {
		expect(isThroughputRefusal(status, body)).toBe(true);
	});

	test.each([
		['131056 (one recipient\'s pair rate)', 400, metaErrorBody(131056, 'Pair rate limit hit')],
		['131057 (the number being upgraded)', 400, metaErrorBody(131057, 'Account in maintenance mode')],
		['131057 even as HTTP 429', 429, metaErrorBody(131057, 'Account in maintenance mode')],
		['a bad request', 400, metaErrorBody(100, 'Invalid parameter')],
		['a server error', 500, { error: 'exceeded the endpoint rate limit' }],
	])('%s does not', (_name, status, body) => {
		expect(isThroughputRefusal(status, body)).toBe(false);
	});
});

describe('the learned rate', () => {
	/** `count` sends spread evenly over the second before `until`. */
	function sentBefore(rate: AdaptiveRate, count: number, until: number) {
		return Array.from({ length: count }, (_, index) => rate.started(until - 1000 + (index * 1000) / count));
	}

	test('a refusal lowers it to just under what the provider accepted in the second before, once per cut', () => {
		const rate = new AdaptiveRate(30);
		sentBefore(rate, 20, 10_000);
		const refused = rate.started(10_000);
		const inFlight = rate.started(10_001);
		rate.refused(refused, 10_010);
		expect(rate.current(10_010)).toBeCloseTo(18);
		// Sent before the cut, at the old pace: the cut already answered it.
		rate.refused(inFlight, 10_020);
		expect(rate.current(10_020)).toBeCloseTo(18);
		// Refused again at the new pace: lower again, multiplicatively.
		rate.refused(rate.started(10_030), 10_040);
		expect(rate.current(10_040)).toBeLessThan(18 * 0.95);
	});

	test('one refusal at most halves it, however little the provider accepted before', () => {
		const rate = new AdaptiveRate(80);
		rate.refused(rate.started(0), 1);
		expect(rate.current(2)).toBe(40);
	});

	test('never below one a second, nor above the configured rate', () => {
		const rate = new AdaptiveRate(80);
		for (let at = 0; at < 100; at += 10) rate.refused(rate.started(at), at + 5);
		expect(rate.current(200)).toBe(1);
		expect(rate.current(1_000_000)).toBe(80);
	});

	test('it holds for ten quiet seconds, then grows back by a fortieth of the configured rate per second', () => {
		const rate = new AdaptiveRate(60);
		sentBefore(rate, 40, 0);
		rate.refused(rate.started(0), 0);
		expect(rate.current(9_000)).toBeCloseTo(36);
		expect(rate.current(10_000)).toBeCloseTo(36);
		expect(rate.current(12_000)).toBeCloseTo(39);
		expect(rate.current(26_000)).toBe(60);
	});

	test('unpaced requests (the editor\'s lookups) stay unpaced', () => {
		const rate = new AdaptiveRate(Infinity);
		rate.refused(rate.started(0), 1);
		expect(rate.current(2)).toBe(Infinity);
	});
});
