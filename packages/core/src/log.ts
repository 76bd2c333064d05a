/**
 * The slice of a pino logger the swarm node's parts use: `log.warn({ agentId }, "stale heartbeat")`.
 * A pino `Logger` (or a child of one) fits as it is.
 */
export interface CoreLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const drop = (): void => {};

/** Drops everything; the default when no logger is given. */
export const SILENT: CoreLogger = Object.freeze({ debug: drop, info: drop, warn: drop, error: drop });
