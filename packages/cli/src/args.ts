import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "./errors.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** The values `parse` returns for `O`: strings (or string arrays with `multiple`) and booleans. */
export type ParsedValues<O extends Options> = {
  [K in keyof O]?: O[K] extends { type: "boolean" }
    ? boolean
    : O[K] extends { multiple: true }
      ? string[]
      : string;
};

/** What every command takes. */
export const COMMON_OPTIONS = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
} as const satisfies Options;

/** Options of the commands that talk to a running swarm. */
export const SERVER_OPTIONS = {
  ...COMMON_OPTIONS,
  server: { type: "string", short: "s" },
  store: { type: "string" },
  "timeout-ms": { type: "string" },
} as const satisfies Options;

/** `util.parseArgs`, strict, with its errors turned into a UsageError naming the command. */
export function parse<O extends Options>(
  command: string,
  argv: string[],
  options: O,
): { values: ParsedValues<O>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    return { values: values as ParsedValues<O>, positionals };
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional.*$/s, ""), command);
  }
}

/** A whole number from a flag or variable, or a UsageError naming it. */
export function intArg(
  command: string,
  name: string,
  value: string | undefined,
  min = 0,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isSafeInteger(n) || n < min)
    throw new UsageError(`${name} must be a whole number ≥ ${min}, not '${value}'`, command);
  return n;
}

/** JSON text as a value, or a UsageError. */
export function jsonArg(command: string, name: string, value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new UsageError(`${name} must be JSON, not '${value}'`, command);
  }
}

/** `x,y,r` as a circle, or a UsageError. */
export function nearArg(command: string, value: string | undefined) {
  if (value === undefined) return undefined;
  const n = value.split(",").map(Number);
  if (n.length !== 3 || !n.every(Number.isFinite) || n[2]! < 0)
    throw new UsageError(`--near must be x,y,radius (metres), not '${value}'`, command);
  return { x: n[0]!, y: n[1]!, radius: n[2]! };
}
