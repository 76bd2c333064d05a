import { SwarmError, ulid } from "@swarmlink/protocol";
import { type MqttGatewayOptions, type ParsedGatewayOptions, parseGatewayOptions } from "../options.js";

/** How long the bridge waits for its first CONNACK. @default 10 s */
export const DEFAULT_BRIDGE_CONNECT_TIMEOUT_MS = 10_000;
/** Pause between two reconnects to the broker. @default 1 s */
export const DEFAULT_BRIDGE_RECONNECT_MS = 1000;

/** The session options bridge mode shares with the listener (same meaning, same defaults). */
type SessionOptions = Pick<
  MqttGatewayOptions,
  | "bus"
  | "telemetryQueue"
  | "heartbeatIntervalMs"
  | "commandTimeoutMs"
  | "awardAcceptMs"
  | "statusRetryMs"
  | "busRequestTimeoutMs"
  | "busRetryMs"
  | "maxPendingReports"
  | "clock"
  | "log"
>;

/** Options of `MqttBridge.start`. Times in ms. */
export interface MqttBridgeOptions extends SessionOptions {
  /** The broker, e.g. `mqtt://mosquitto:1883` or `mqtts://…`. */
  url: string;
  username?: string;
  password?: string;
  /** The bridge's own MQTT client id. @default `swarmlink-bridge-{ulid}` */
  clientId?: string;
  /** 5 (MQTT 5: response topic and correlation data on commands), 4 (3.1.1), or "auto": 5, else 4. @default "auto" */
  protocolVersion?: 4 | 5 | "auto";
  /** @default 10000 */
  connectTimeoutMs?: number;
  /** @default 1000 */
  reconnectMs?: number;
}

export interface ParsedBridgeOptions {
  session: ParsedGatewayOptions;
  url: string;
  username: string | undefined;
  password: string | undefined;
  clientId: string;
  protocolVersion: 4 | 5 | "auto";
  connectTimeoutMs: number;
  reconnectMs: number;
}

/** Checks the options and fills in defaults. @throws SwarmError `E_CONFIG` naming the field. */
export function parseBridgeOptions(o: MqttBridgeOptions): ParsedBridgeOptions {
  if (!o || typeof o !== "object")
    throw new SwarmError("E_CONFIG", "options are required", { field: "options" });
  if (typeof o.url !== "string" || !/^(mqtts?|wss?|tcp|tls):\/\//.test(o.url))
    throw new SwarmError("E_CONFIG", "url must be an mqtt://, mqtts://, ws:// or wss:// URL", {
      field: "url",
    });
  const version = o.protocolVersion ?? "auto";
  if (version !== 4 && version !== 5 && version !== "auto")
    throw new SwarmError("E_CONFIG", 'protocolVersion must be 4, 5 or "auto"', { field: "protocolVersion" });
  const ms = (field: "connectTimeoutMs" | "reconnectMs", def: number) => {
    const n = o[field] ?? def;
    if (!Number.isSafeInteger(n) || n < 1)
      throw new SwarmError("E_CONFIG", `${field} must be a whole number ≥ 1`, { field, value: String(n) });
    return n;
  };
  return {
    session: parseGatewayOptions({ ...o, port: 0 }),
    url: o.url,
    username: o.username,
    password: o.password,
    clientId: o.clientId ?? `swarmlink-bridge-${ulid()}`,
    protocolVersion: version,
    connectTimeoutMs: ms("connectTimeoutMs", DEFAULT_BRIDGE_CONNECT_TIMEOUT_MS),
    reconnectMs: ms("reconnectMs", DEFAULT_BRIDGE_RECONNECT_MS),
  };
}
