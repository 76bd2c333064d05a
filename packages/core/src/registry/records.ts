import {
  decodePayload,
  encodePayload,
  isSwarmError,
  kvKeys,
  SwarmError,
  type swarmlink,
} from "@swarmlink/protocol";
import type { Store } from "@swarmlink/store";
import type { AgentInfoInit } from "./agent.js";

/** An agent record as read from the Store; `info` is undefined when the bytes are not an AgentInfo. */
export interface StoredAgent {
  info: swarmlink.v1.AgentInfo | undefined;
  revision: number;
}

/** A record this registry wrote: what it wrote and the revision it got. */
export interface WrittenAgent {
  info: AgentInfoInit;
  revision: number;
}

/** Reads the record of one agent; undefined when absent. */
export async function readAgent(store: Store, id: string): Promise<StoredAgent | undefined> {
  const entry = await store.get(kvKeys.agent(id));
  if (!entry) return undefined;
  try {
    return { info: decodePayload("swarmlink.v1.AgentInfo", entry.value), revision: entry.revision };
  } catch {
    return { info: undefined, revision: entry.revision };
  }
}

/**
 * Compare-and-set loop on one agent record: reads it, asks `next` for the new record (undefined:
 * leave it as it is), and writes it only if nobody wrote in between (create when absent, update at
 * the read revision otherwise), reading again on a conflict. `next` may throw to refuse the change.
 *
 * @throws SwarmError `E_CONFLICT` after `attempts` lost races; whatever `next` or the Store throws.
 */
export async function writeAgent(
  store: Store,
  id: string,
  attempts: number,
  next: (current: StoredAgent | undefined) => AgentInfoInit | undefined,
): Promise<WrittenAgent | undefined> {
  const key = kvKeys.agent(id);
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const current = await readAgent(store, id);
    const info = next(current);
    if (!info) return undefined;
    const bytes = encodePayload("swarmlink.v1.AgentInfo", info);
    try {
      const revision = current
        ? await store.update(key, bytes, current.revision)
        : await store.create(key, bytes);
      return { info, revision };
    } catch (err) {
      if (!isSwarmError(err, "E_CONFLICT", "E_EXISTS")) throw err;
    }
  }
  throw new SwarmError("E_CONFLICT", `agent record ${id} kept changing`, { agentId: id, attempts });
}
