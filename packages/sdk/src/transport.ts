import { NatsKvStore, type Store } from "@swarmlink/store";
import { type Bus, NatsBus } from "@swarmlink/transport";

/**
 * What a Swarm runs on: a Bus, a Store for elections (opened on first use), and reconnect news.
 * This is the seam where a WebSocket transport slots in later: anything that yields a Bus (and,
 * if it can, a Store and reconnect events) is a transport.
 */
export interface SwarmTransport {
  readonly bus: Bus;
  /** The Store for elections; undefined when this transport has none (then `elect` fails E_UNSUPPORTED). */
  store(): Promise<Store | undefined>;
  /** Calls `listener` after every reconnect of the link; returns the unsubscribe. */
  onReconnect(listener: () => void): () => void;
  /** Lets subscriptions deliver what they hold, then closes what this transport opened. */
  drain(): Promise<void>;
  /** Closes what this transport opened (never a Bus or Store it was given). */
  close(): Promise<void>;
}

/** In-process: a Bus and Store given by the caller (e.g. shared with an embedded SwarmNode); never closed here. */
export function localTransport(bus: Bus, store: Store | undefined): SwarmTransport {
  return {
    bus,
    store: async () => store,
    onReconnect: () => () => {},
    drain: async () => {},
    close: async () => {},
  };
}

/** Over NATS: a NatsBus of its own, a NatsKvStore on the same connection when elections need one. */
export async function natsTransport(
  servers: string | string[],
  name: string | undefined,
): Promise<SwarmTransport> {
  const bus = await NatsBus.connect({ servers, ...(name ? { name } : {}) });
  const listeners = new Set<() => void>();
  void (async () => {
    // nats.js gives every status() caller its own iterator; it ends when the connection closes.
    for await (const s of bus.nc.status()) {
      if (s.type !== "reconnect") continue;
      for (const l of [...listeners]) {
        try {
          l();
        } catch {
          // a listener's failure is its own
        }
      }
    }
  })();
  let store: Promise<Store> | undefined;
  const closeStore = async () => {
    if (store) await (await store.catch(() => undefined))?.close();
  };
  return {
    bus,
    store: () => {
      store ??= NatsKvStore.connect({ connection: bus.nc });
      return store;
    },
    onReconnect: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    drain: async () => {
      await closeStore();
      await bus.drain();
    },
    close: async () => {
      await closeStore();
      await bus.close();
    },
  };
}
