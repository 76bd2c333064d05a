import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { intArg } from "./args.js";
import { UsageError } from "./errors.js";

/** Port of the node's HTTP endpoint (metrics, health, control API) unless told otherwise. */
export const DEFAULT_HTTP_PORT = 8420;
/** Port of the MQTT listener unless told otherwise (the MQTT standard port). */
export const DEFAULT_MQTT_PORT = 1883;
/** A port given as `auto`: any free one (printed once bound). */
export const AUTO_PORT = -1;
/** Address the listeners bind unless told otherwise: this machine only. */
export const DEFAULT_HOST = "127.0.0.1";

/** What `swarm up` (and `swarm demo`) runs; every field also has a flag, a `SWARM_*` variable and a config key. */
export interface UpConfig {
  nodeId: string | undefined;
  /** NATS URL(s), comma-separated; none: the embedded memory Bus. */
  nats: string | undefined;
  /** `memory`, `nats-kv` or a `redis://…` URL. */
  store: string;
  /** 0: no MQTT listener; AUTO_PORT: any free port. */
  mqttPort: number;
  /** 0: no HTTP endpoint; AUTO_PORT: any free port. */
  httpPort: number;
  host: string;
  leaseMs: number | undefined;
}

/** Flag name ↔ config key ↔ variable, in one table. */
const FIELDS = [
  { key: "nodeId", flag: "node-id", env: "SWARM_NODE_ID", int: false },
  { key: "nats", flag: "nats", env: "SWARM_NATS", int: false },
  { key: "store", flag: "store", env: "SWARM_STORE", int: false },
  { key: "mqttPort", flag: "mqtt-port", env: "SWARM_MQTT_PORT", int: true },
  { key: "httpPort", flag: "http-port", env: "SWARM_HTTP_PORT", int: true },
  { key: "host", flag: "host", env: "SWARM_HOST", int: false },
  { key: "leaseMs", flag: "lease-ms", env: "SWARM_LEASE_MS", int: true },
] as const;

/** The `swarm up` flags of the config fields (for `parseArgs`). */
export const UP_OPTIONS = {
  "node-id": { type: "string" },
  nats: { type: "string" },
  store: { type: "string" },
  "mqtt-port": { type: "string" },
  "http-port": { type: "string" },
  host: { type: "string" },
  "lease-ms": { type: "string" },
  config: { type: "string", short: "c" },
} as const;

/**
 * The configuration from, lowest first: defaults, the JSON file (`--config` or `SWARM_CONFIG`),
 * `SWARM_*` variables, flags. The file is YAML (`.yaml`, `.yml`) or JSON.
 *
 * @throws UsageError naming the flag, key or variable that is wrong.
 */
export function resolveConfig(
  command: string,
  flags: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
): UpConfig {
  const file = readConfigFile(command, (flags.config as string | undefined) ?? env.SWARM_CONFIG);
  const raw: Record<string, string | number | undefined> = {};
  for (const f of FIELDS) {
    const fromFile = file[f.key];
    if (fromFile !== undefined) {
      if (typeof fromFile !== (f.int ? "number" : "string") && fromFile !== "auto")
        throw new UsageError(`config key ${f.key} must be a ${f.int ? "number" : "string"}`, command);
      raw[f.key] = fromFile as string | number;
    }
    const fromEnv = env[f.env];
    if (fromEnv !== undefined && fromEnv !== "") raw[f.key] = f.int ? num(command, f.env, fromEnv) : fromEnv;
    const fromFlag = flags[f.flag];
    if (typeof fromFlag === "string") raw[f.key] = f.int ? num(command, `--${f.flag}`, fromFlag) : fromFlag;
  }
  const port = (name: string, v: unknown, def: number) => {
    const n = v ?? def;
    if (n === "auto" || n === AUTO_PORT) return AUTO_PORT;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0 || n > 65535)
      throw new UsageError(`${name} must be a port from 0 (off) to 65535, or auto`, command);
    return n;
  };
  const nats = raw.nats as string | undefined;
  const store = (raw.store as string | undefined) ?? (nats ? "nats-kv" : "memory");
  if (!["memory", "nats-kv"].includes(store) && !/^rediss?:\/\//.test(store))
    throw new UsageError(`--store must be memory, nats-kv or a redis:// URL, not '${store}'`, command);
  if (store === "nats-kv" && !nats) throw new UsageError("--store nats-kv needs --nats URL", command);
  if (nats && store === "memory")
    process.emitWarning("--store memory with --nats: elections are not shared with other nodes");
  const leaseMs = raw.leaseMs as number | undefined;
  if (leaseMs !== undefined && (typeof leaseMs !== "number" || leaseMs < 100))
    throw new UsageError("--lease-ms must be ≥ 100", command);
  return {
    nodeId: raw.nodeId as string | undefined,
    nats,
    store,
    mqttPort: port("--mqtt-port", raw.mqttPort, DEFAULT_MQTT_PORT),
    httpPort: port("--http-port", raw.httpPort, DEFAULT_HTTP_PORT),
    host: (raw.host as string | undefined) ?? DEFAULT_HOST,
    leaseMs,
  };
}

/** A whole number, or `auto` kept as it is (ports). */
const num = (command: string, name: string, v: string) => (v === "auto" ? "auto" : intArg(command, name, v));

function readConfigFile(command: string, path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  const yaml = /\.ya?ml$/i.test(path);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read config file ${path}: ${(err as Error).message}`, command);
  }
  let v: unknown;
  try {
    v = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `config file ${path} is not ${yaml ? "YAML" : "JSON"}: ${(err as Error).message}`,
      command,
    );
  }
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new UsageError(`config file ${path} must hold a ${yaml ? "YAML mapping" : "JSON object"}`, command);
  const known = new Set<string>(FIELDS.map((f) => f.key));
  const unknown = Object.keys(v).filter((k) => !known.has(k));
  if (unknown.length)
    throw new UsageError(
      `config file ${path}: unknown key ${unknown[0]} (known: ${[...known].join(", ")})`,
      command,
    );
  return v as Record<string, unknown>;
}
