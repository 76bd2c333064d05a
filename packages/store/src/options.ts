import { SwarmError } from "@swarmlink/protocol";

/**
 * `value` if given, else `fallback`; `E_CONFIG` naming `field` unless it is a whole number in
 * `[min, max]`.
 */
export function intOption(
  field: string,
  value: number | undefined,
  fallback: number,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new SwarmError("E_CONFIG", `${field} must be a whole number in [${min}, ${max}]`, {
      field,
      value: v,
    });
  }
  return v;
}

/** `E_CONFIG` naming `field` unless `value` is a non-empty string matching `re`. */
export function nameOption(field: string, value: unknown, re: RegExp): string {
  if (typeof value !== "string" || !re.test(value)) {
    throw new SwarmError("E_CONFIG", `${field} must match ${re}`, { field, value });
  }
  return value;
}
