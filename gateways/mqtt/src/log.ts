/**
 * The slice of a pino logger the gateway uses: `log.warn({ clientId, reason }, "publish refused")`.
 * A pino `Logger` (or a child of one) fits as it is.
 */
export interface GatewayLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = () => {};
/** Drops everything; the default when no logger is given. */
export const SILENT_GATEWAY_LOGGER: GatewayLogger = Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
});
