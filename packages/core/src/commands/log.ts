/**
 * The slice of a pino logger the command router uses: `log.warn({ commandId }, "receipt unreadable")`.
 * A pino `Logger` (or a child of one) fits as it is.
 */
export interface CommandLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};

/** Drops everything; the default when no logger is given. */
export const SILENT_LOGGER: CommandLogger = Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
});
