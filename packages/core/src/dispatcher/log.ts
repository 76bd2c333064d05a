import { type CoreLogger, SILENT } from "../log.js";

/** The dispatcher's logger: any pino-shaped logger. */
export type DispatcherLogger = CoreLogger;

/** Drops everything: the default when no logger is given. */
export const SILENT_DISPATCHER_LOGGER: DispatcherLogger = SILENT;
