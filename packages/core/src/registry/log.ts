import { type CoreLogger, SILENT } from "../log.js";

/** The registry's logger: any pino-shaped logger. */
export type RegistryLogger = CoreLogger;

/** Drops everything; the default when no logger is given. */
export const NOOP_LOGGER: RegistryLogger = SILENT;
