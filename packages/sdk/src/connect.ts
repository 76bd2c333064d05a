import { type Clock, SwarmError, systemClock, validateId } from "@swarmlink/protocol";
import type { Store } from "@swarmlink/store";
import type { Bus } from "@swarmlink/transport";
import { DEFAULT_REQUEST_TIMEOUT_MS, wholeOption } from "./options.js";
import { Swarm } from "./swarm.js";
import {
  type Credentials,
  localTransport,
  natsTransport,
  parseCredentials,
  type SwarmTransport,
} from "./transport.js";

/** The client name when none is given (`Envelope.source` of its tasks and commands). */
export const DEFAULT_CLIENT_NAME = "sdk";
/** NATS servers when neither `servers` nor `bus` is given. */
export const DEFAULT_SERVERS = "nats://127.0.0.1:4222";

/** Options of {@link connect}: `servers` (NATS) or `bus` (in-process, or any Bus you built), not both. */
export interface ConnectOptions {
  /** NATS server URLs; the Swarm opens (and closes) its own connection. @default "nats://127.0.0.1:4222" */
  servers?: string | string[];
  /** A Bus to use as it is (MemoryBus shared with an embedded SwarmNode, a NatsBus of yours…); not closed by the Swarm. */
  bus?: Bus;
  /** The Store for elections with `bus`; over `servers` a NATS KV store is opened on first use. */
  store?: Store;
  /** Who this client is (an id): issuer of commands, source of tasks; also the NATS client name. @default "sdk" */
  name?: string;
  /** Drives heartbeats, deadlines, retries. @default systemClock */
  clock?: Clock;
  /** Deadline of the requests the Swarm makes, in ms. @default 5000 */
  timeoutMs?: number;
  /** A transport of your own (e.g. WebSocket); excludes `servers` and `bus`. */
  transport?: SwarmTransport;
  /** How to log in to the NATS servers (with `servers` only): a user and password, or a token. @default none */
  credentials?: Credentials;
}

/**
 * Connects to a swarm over NATS, or in-process over a Bus (and Store) you give.
 *
 * @throws SwarmError `E_CONFIG` naming the field of a bad option or combination; `E_UNAVAILABLE` when no
 * NATS server answers; `E_FORBIDDEN` when a server answers but refuses the `credentials` (or their
 * absence) — retrying with the same ones will not help, so it is told apart from `E_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * const swarm = await connect({ servers: "nats://127.0.0.1:4222", name: "picker-fleet", credentials: { user: "fleet", pass } });
 * const agent = await swarm.agent({ id: "amr-07", capabilities: ["pick"] });
 * // or, embedded: const swarm = await connect({ bus: memoryBus, store: memoryStore });
 * await swarm.drain();
 * ```
 */
export async function connect(opts: ConnectOptions = {}): Promise<Swarm> {
  const given = [opts.servers !== undefined, opts.bus !== undefined, opts.transport !== undefined].filter(
    Boolean,
  ).length;
  if (given > 1)
    throw new SwarmError("E_CONFIG", "give one of servers, bus and transport", { field: "servers" });
  if (opts.store && !opts.bus) throw new SwarmError("E_CONFIG", "store goes with bus", { field: "store" });
  if (opts.credentials !== undefined && (opts.bus || opts.transport))
    throw new SwarmError("E_CONFIG", "credentials go with servers", { field: "credentials" });
  const credentials = parseCredentials(opts.credentials);
  const name = opts.name ?? DEFAULT_CLIENT_NAME;
  try {
    validateId("name", name);
  } catch (err) {
    throw new SwarmError("E_CONFIG", (err as Error).message, { field: "name" }, { cause: err });
  }
  const timeoutMs = wholeOption("timeoutMs", opts.timeoutMs, DEFAULT_REQUEST_TIMEOUT_MS);
  const clock = opts.clock ?? systemClock;
  const transport =
    opts.transport ??
    (opts.bus
      ? localTransport(opts.bus, opts.store)
      : await natsTransport(opts.servers ?? DEFAULT_SERVERS, name, credentials));
  return new Swarm(transport, clock, name, timeoutMs);
}
