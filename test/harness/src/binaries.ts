import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { HarnessError } from "./errors.js";

/** Where to look for a server binary, and which Debian package provides it. */
export interface BinarySpec {
  /** The file name, e.g. `"nats-server"`. */
  readonly name: string;
  /** The Debian package that installs it, named in the error when it is missing. */
  readonly debianPackage: string;
  /** Absolute paths tried before `$PATH`, e.g. `/usr/sbin/nats-server` (Debian puts servers in sbin). */
  readonly paths?: readonly string[];
  /** Also search `$PATH`. @default true */
  readonly searchPath?: boolean;
}

/** The directories Debian installs servers into, searched after `$PATH` (which often lacks sbin). */
const SYSTEM_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path of an installed binary, or a HarnessError `E_HARNESS_MISSING_BINARY` whose
 * message says which `apt-get install` brings it. Tests fail loudly; they never skip.
 */
export function findBinary(spec: BinarySpec): string {
  const dirs =
    spec.searchPath === false ? [] : [...(process.env.PATH ?? "").split(delimiter), ...SYSTEM_DIRS];
  const candidates = [...(spec.paths ?? []), ...dirs.filter((d) => d !== "").map((d) => join(d, spec.name))];
  const found = candidates.find(isExecutable);
  if (found) return found;
  throw new HarnessError(
    "E_HARNESS_MISSING_BINARY",
    `${spec.name} is not installed (looked in ${[...new Set(candidates)].join(", ")}). ` +
      `Install it with: apt-get update && apt-get install -y ${spec.debianPackage}`,
    { binary: spec.name, debianPackage: spec.debianPackage },
  );
}
