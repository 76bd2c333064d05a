import { SwarmError } from "@swarmlink/protocol";
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

/** How a client logs in to NATS: a user and password, or a token. */
export type Credentials = { user: string; pass: string } | { token: string };

/** Checks the shape of `credentials` (E_CONFIG naming `credentials`); the secret never goes in the error. */
export function parseCredentials(c: unknown): Credentials | undefined {
  if (c === undefined) return undefined;
  const bad = (why: string) => new SwarmError("E_CONFIG", `credentials ${why}`, { field: "credentials" });
  if (typeof c !== "object" || c === null) throw bad("must be { user, pass } or { token }");
  const { user, pass, token } = c as Record<string, unknown>;
  if (token !== undefined) {
    if (user !== undefined || pass !== undefined) throw bad("take a token or a user and pass, not both");
    if (typeof token !== "string" || token === "") throw bad("token must be a non-empty string");
    return { token };
  }
  if (typeof user !== "string" || user === "") throw bad("user must be a non-empty string");
  if (typeof pass !== "string") throw bad("pass must be a string");
  return { user, pass };
}

/**
 * Over NATS: a NatsBus of its own, a NatsKvStore on the same connection when elections need one.
 * A server that refuses the credentials fails `E_FORBIDDEN` (nats.js's authorization error, found
 * in the cause chain of the Bus's `E_UNAVAILABLE`); one that cannot be reached `E_UNAVAILABLE`.
 */
export async function natsTransport(
  servers: string | string[],
  name: string | undefined,
  credentials?: Credentials,
): Promise<SwarmTransport> {
  let bus: NatsBus;
  try {
    bus = await NatsBus.connect({ servers, ...(name ? { name } : {}), ...credentials });
  } catch (err) {
    if (refusedLogin(err))
      throw new SwarmError(
        "E_FORBIDDEN",
        "the NATS server refused the credentials",
        { servers },
        { cause: err },
      );
    throw err;
  }
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

/** Whether nats.js said the server refused the login (an authorization error anywhere in the cause chain). */
function refusedLogin(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e.name === "AuthorizationError" || e.name === "UserAuthenticationExpiredError") return true;
  }
  return false;
}
