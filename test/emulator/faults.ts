/**
 * Bookkeeping for injected faults: which fault (if any) applies to a request, and how often each one
 * has fired. The server decides what a fault does; this module only decides whether it fires, so the
 * counting rules (skip, times) live in one place.
 */
import type { FaultHandle, FaultKind, FaultSpec, ProviderName } from './types';

const KINDS: ReadonlySet<FaultKind> = new Set([
	'status',
	'reset-before',
	'reset-after',
	'malformed',
	'html',
	'empty',
	'delay',
]);

const PROVIDERS: ReadonlySet<ProviderName> = new Set(['lancepilot', 'dialog360', 'whatsappCloud']);

/** Kinds that answer (or hang up) without the provider ever seeing the request. */
export const FAULTS_WITHOUT_PROCESSING: ReadonlySet<FaultKind> = new Set(['status', 'reset-before', 'html', 'empty']);

export const DEFAULT_FAULT_STATUS = 500;
export const DEFAULT_FAULT_DELAY_MS = 1000;

interface ActiveFault {
	spec: FaultSpec;
	times: number;
	skipLeft: number;
	applied: number;
	skipped: number;
	cancelled: boolean;
}

/** Label stored in RecordedRequest.fault, e.g. `status:429`, `delay:250ms`, `reset-after`. */
export function faultLabel(spec: FaultSpec): string {
	if (spec.kind === 'status') return `status:${spec.status ?? DEFAULT_FAULT_STATUS}`;
	if (spec.kind === 'delay') return `delay:${spec.delayMs ?? DEFAULT_FAULT_DELAY_MS}ms`;
	return spec.kind;
}

function validate(spec: FaultSpec): void {
	// Throwing here makes a typo in a test fail loudly instead of silently never firing.
	if (!KINDS.has(spec.kind)) throw new TypeError(`Unknown fault kind: ${String(spec.kind)}`);
	const times = spec.times ?? 1;
	if (!(times === Infinity || (Number.isInteger(times) && times >= 1))) {
		throw new TypeError(`Fault times must be a positive integer or Infinity, got ${times}`);
	}
	const skip = spec.skip ?? 0;
	if (!Number.isInteger(skip) || skip < 0) throw new TypeError(`Fault skip must be a non-negative integer, got ${skip}`);
	if (spec.status !== undefined && !(Number.isInteger(spec.status) && spec.status >= 200 && spec.status <= 599)) {
		throw new TypeError(`Fault status must be an integer in 200..599, got ${spec.status}`);
	}
	if (spec.delayMs !== undefined && !(Number.isFinite(spec.delayMs) && spec.delayMs >= 0)) {
		throw new TypeError(`Fault delayMs must be a non-negative number, got ${spec.delayMs}`);
	}
	if (spec.provider !== undefined && !PROVIDERS.has(spec.provider)) {
		throw new TypeError(`Unknown fault provider: ${String(spec.provider)}`);
	}
}

function matches(spec: FaultSpec, provider: ProviderName | 'unknown', method: string, path: string, recipient: string | undefined): boolean {
	if (spec.provider !== undefined && spec.provider !== provider) return false;
	if (spec.recipient !== undefined && spec.recipient !== recipient) return false;
	if (spec.method !== undefined && spec.method.toUpperCase() !== method.toUpperCase()) return false;
	if (spec.path === undefined) return true;
	if (typeof spec.path === 'string') return spec.path === path;
	// A /g or /y regex keeps state between test() calls; reset it so matching is repeatable.
	spec.path.lastIndex = 0;
	return spec.path.test(path);
}

export class FaultBook {
	private faults: ActiveFault[] = [];

	inject(spec: FaultSpec): FaultHandle {
		validate(spec);
		const fault: ActiveFault = {
			spec: { ...spec },
			times: spec.times ?? 1,
			skipLeft: spec.skip ?? 0,
			applied: 0,
			skipped: 0,
			cancelled: false,
		};
		this.faults.push(fault);
		const remove = (): void => {
			fault.cancelled = true;
			this.faults = this.faults.filter((f) => f !== fault);
		};
		return {
			spec: fault.spec,
			get applied() {
				return fault.applied;
			},
			get skipped() {
				return fault.skipped;
			},
			get exhausted() {
				return fault.cancelled || fault.applied >= fault.times;
			},
			cancel: remove,
		};
	}

	/**
	 * Returns the fault to apply to this request, consuming one use. Faults are tried in injection
	 * order and at most one applies; a fault still in its skip phase lets the request through and the
	 * search continues with the next fault.
	 */
	take(provider: ProviderName | 'unknown', method: string, path: string, recipient?: string): FaultSpec | undefined {
		for (const fault of this.faults) {
			if (!matches(fault.spec, provider, method, path, recipient)) continue;
			if (fault.skipLeft > 0) {
				fault.skipLeft--;
				fault.skipped++;
				continue;
			}
			fault.applied++;
			if (fault.applied >= fault.times) {
				fault.cancelled = true;
				this.faults = this.faults.filter((f) => f !== fault);
			}
			return fault.spec;
		}
		return undefined;
	}

	clear(): void {
		for (const fault of this.faults) fault.cancelled = true;
		this.faults = [];
	}

	get pending(): number {
		return this.faults.length;
	}
}
