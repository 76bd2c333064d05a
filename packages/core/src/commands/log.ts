import { type CoreLogger, SILENT } from "../log.js";

/** The command router's logger: any pino-shaped logger. */
export type CommandLogger = CoreLogger;

/** Drops everything; the default when no logger is given. */
export const SILENT_LOGGER: CommandLogger = SILENT;
