import type { OperatorApi } from "@swarmlink/core/internal";
import { operatorApi } from "@swarmlink/core/internal";
import { SwarmError } from "@swarmlink/protocol";
import { NatsKvStore, RedisStore, type Store } from "@swarmlink/store";
import { type Bus, NatsBus } from "@swarmlink/transport";
import { DEFAULT_HTTP_PORT } from "./config.js";
import { UsageError } from "./errors.js";
import { httpApi } from "./remote-http.js";
import { rememberedServer } from "./server-file.js";

/** A running swarm, reached over its node's HTTP control API or over NATS. */
export interface Remote extends OperatorApi {
  readonly url: string;
  /** The Bus, over NATS only (`swarm pub|sub|req`, `swarm agents --watch`). */
  readonly bus: Bus | undefined;
  /** What `swarm top` shows: the node's `/v1/status`, or over NATS a summary of agents and tasks. */
  status(): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * The swarm when no `--server` is given: `SWARM_SERVER`, else the node that `swarm up` / `swarm
 * demo` on this machine said it serves (it may have moved off the default port), else the default.
 */
export const defaultServer = async (env: NodeJS.ProcessEnv): Promise<string> =>
  env.SWARM_SERVER || (await rememberedServer()) || `http://127.0.0.1:${DEFAULT_HTTP_PORT}`;

/**
 * Connects to the swarm at `server`: `http://…` (a node's control API) or `nats://…` (the Bus
 * itself; `leader` reads the elections from `store`: `nats-kv` on the same servers by default, or a
 * `redis://` URL).
 */
export async function connectRemote(
  command: string,
  server: string,
  opts: { store?: string | undefined; timeoutMs?: number | undefined },
): Promise<Remote> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  if (/^https?:\/\//.test(server)) return httpApi(server.replace(/\/+$/, ""), timeoutMs);
  if (/^(nats|tls):\/\//.test(server)) return natsRemote(server, opts.store);
  if (/^wss?:\/\//.test(server))
    throw new UsageError(
      "ws:// servers are not supported yet (no WebSocket gateway): use http:// or nats://",
      command,
    );
  throw new UsageError(`--server must be an http:// or nats:// URL, not '${server}'`, command);
}

async function natsRemote(server: string, storeSpec: string | undefined): Promise<Remote> {
  const servers = server.split(",");
  let bus: NatsBus;
  try {
    bus = await NatsBus.connect({ servers, name: "swarm-cli" });
  } catch (err) {
    throw new SwarmError("E_UNAVAILABLE", `no NATS server at ${server}`, { server }, { cause: err });
  }
  let store: Store | undefined;
  const openStore = async () => {
    if (store) return store;
    if (storeSpec && /^rediss?:\/\//.test(storeSpec)) store = await RedisStore.connect({ url: storeSpec });
    else if (!storeSpec || storeSpec === "nats-kv") store = await NatsKvStore.connect({ servers });
    else throw new SwarmError("E_CONFIG", "--store must be nats-kv or a redis:// URL", { field: "store" });
    return store;
  };
  const api = operatorApi({ bus, source: "swarm-cli" });
  return {
    ...api,
    url: server,
    bus,
    leader: async (group) =>
      operatorApi({ bus, store: await openStore(), source: "swarm-cli" }).leader(group),
    status: async () => {
      const [agents, tasks] = await Promise.all([api.agents({}), api.tasks({ limit: 1000 }).catch(() => [])]);
      const count = (xs: string[]) =>
        xs.reduce<Record<string, number>>((m, k) => {
          m[k] = (m[k] ?? 0) + 1;
          return m;
        }, {});
      return {
        server,
        agents: count(agents.map((a) => a.status)),
        tasks: { byState: count(tasks.map((t) => t.state)) },
      };
    },
    close: async () => {
      await store?.close();
      await bus.drain().catch(() => bus.close());
    },
  };
}
