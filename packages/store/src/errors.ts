import { SwarmError } from "@swarmlink/protocol";

/** `E_CONFLICT`: a compare-and-set found `key` at `current` (0: absent), not `expectedRevision`. */
export function conflictError(key: string, expectedRevision: number, current: number): SwarmError {
  return new SwarmError("E_CONFLICT", "key is at another revision", { key, expectedRevision, current });
}

/** `E_EXISTS`: create found `key` live at `revision`. */
export function existsError(key: string, revision?: number): SwarmError {
  return new SwarmError("E_EXISTS", "key exists", { key, revision });
}
