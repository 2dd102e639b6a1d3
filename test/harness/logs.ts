import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import { LoggerProxy } from 'n8n-workflow';

/** Every line n8n and the node logged in this test process, with its metadata, as text. */
export const capturedLogs: string[] = [];

type LogMetadata = Record<string, unknown> | undefined;

class CapturingLogger {
	error(message: string, metadata?: LogMetadata) {
		capturedLogs.push(`error ${message} ${JSON.stringify(metadata ?? {})}`);
	}

	warn(message: string, metadata?: LogMetadata) {
		capturedLogs.push(`warn ${message} ${JSON.stringify(metadata ?? {})}`);
	}

	info(message: string, metadata?: LogMetadata) {
		capturedLogs.push(`info ${message} ${JSON.stringify(metadata ?? {})}`);
	}

	debug(message: string, metadata?: LogMetadata) {
		capturedLogs.push(`debug ${message} ${JSON.stringify(metadata ?? {})}`);
	}

	scoped() {
		return this;
	}
}

/**
 * Routes the node's logger (`this.logger`, n8n's Logger service) and the engine's LoggerProxy
 * into `capturedLogs`, so tests can read what a user's n8n log would contain.
 */
export function captureLogs(): void {
	const logger = new CapturingLogger();
	Container.set(Logger, logger as unknown as Logger);
	LoggerProxy.init(logger);
}
