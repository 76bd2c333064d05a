import { type Clock, SwarmError, systemClock } from "@swarmlink/protocol";
import type { Bus } from "@swarmlink/transport";
import { type GatewayLogger, SILENT_GATEWAY_LOGGER } from "./log.js";

/** Decides whether a device may connect. Default: everyone may (a gateway on a trusted network). */
export type Authenticate = (
  clientId: string,
  username: string | undefined,
  password: string | undefined,
) => boolean | Promise<boolean>;

export const DEFAULT_MAX_PACKET_BYTES = 64 * 1024;
export const DEFAULT_MAX_CONNECTIONS_PER_CREDENTIAL = 1;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 5000;
export const DEFAULT_AWARD_ACCEPT_MS = 3000;
export const DEFAULT_STATUS_RETRY_MS = 200;
export const DEFAULT_BUS_REQUEST_TIMEOUT_MS = 2000;
export const DEFAULT_RATE_PER_SEC = 1000;
export const DEFAULT_BURST = 200;
export const DEFAULT_DRAIN_TIMEOUT_MS = 5000;
export const DEFAULT_TELEMETRY_QUEUE = 4096;
export const DEFAULT_BUS_RETRY_MS = 50;
export const DEFAULT_REPORT_GRACE_MS = 30_000;
export const DEFAULT_TARGET_CORE_LAG_MS = 250;
export const DEFAULT_MAX_OUTBOUND_BYTES = 1024 * 1024;
export const DEFAULT_MAX_PENDING_REPORTS = 64;

/** Options of `MqttGateway.start`. Times in ms, sizes in bytes. */
export interface MqttGatewayOptions {
  bus: Bus;
  /** TCP port; 0 picks a free one (read `gateway.port`). */
  port: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Also serve MQTT over WebSocket (`ws://host:port`, any path) on this port; 0 picks a free one (read `gateway.wsPort`). @default off */
  websocket?: { port: number; host?: string };
  /** TLS key and certificate (PEM): the listener speaks MQTT over TLS. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** @default allow everyone */
  authenticate?: Authenticate;
  /** Largest MQTT packet accepted (the whole frame); a bigger one disconnects the client. @default 65536 */
  maxPacketBytes?: number;
  /** Concurrent connections per username (per client id without one). @default 1 */
  maxConnectionsPerCredential?: number;
  /** Publishes per second per client, sustained. @default 1000 */
  ratePerSec?: number;
  /**
   * Core lag (smoothed latency of the gateway's register and status requests) above which every
   * device's rate is halved (down to 1/16; it grows back over 2 s); the Bus pushing back halves it
   * too. 0 turns adaptation off. @default 250
   */
  targetCoreLagMs?: number;
  /** Publishes a client may send at once above the rate. @default 200 */
  burst?: number;
  /** Telemetry samples waiting for the Bus (conflated per device and stream beyond). @default 4096 */
  telemetryQueue?: number;
  /** A device whose socket does not drain in this time is disconnected (aedes `drainTimeout`). @default 5000 */
  drainTimeoutMs?: number;
  /** Bytes written to a device and not yet sent over its socket; beyond, it is disconnected as a slow subscriber. @default 1048576 */
  maxOutboundBytes?: number;
  /** Pause before a device publish the Bus refused (E_OVERFLOW) is tried again; its PUBACK waits. @default 50 */
  busRetryMs?: number;
  /** How long status reports a device was PUBACKed for are still retried after it disconnects. @default 30000 */
  reportGraceMs?: number;
  /** Status reports per device PUBACKed and not yet acknowledged by the leader; beyond, PUBACKs wait. @default 64 */
  maxPendingReports?: number;
  /** @default 1000 */
  heartbeatIntervalMs?: number;
  /** A command the device does not answer in time is replied TIMEOUT (its own deadline wins if sooner). @default 5000 */
  commandTimeoutMs?: number;
  /** Time a device has to accept an award (`status {"state":"accepted"}`). @default 3000 */
  awardAcceptMs?: number;
  /** Pause between two tries of an unacknowledged status report. @default 200 */
  statusRetryMs?: number;
  /** Deadline of the gateway's Bus requests (register, status). @default 2000 */
  busRequestTimeoutMs?: number;
  clock?: Clock;
  log?: GatewayLogger;
}

export type ParsedGatewayOptions = Required<Omit<MqttGatewayOptions, "tls" | "authenticate" | "websocket">> &
  Pick<MqttGatewayOptions, "tls" | "authenticate" | "websocket">;

/** Checks the options and fills in defaults. @throws SwarmError `E_CONFIG` naming the field. */
export function parseGatewayOptions(o: MqttGatewayOptions): ParsedGatewayOptions {
  if (!o || typeof o !== "object" || !o.bus)
    throw new SwarmError("E_CONFIG", "bus is required", { field: "bus" });
  const int = (field: string, v: unknown, def: number, min: number) => {
    const n = v ?? def;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < min) {
      throw new SwarmError("E_CONFIG", `${field} must be a whole number ≥ ${min}`, {
        field,
        value: String(n),
      });
    }
    return n;
  };
  if (o.tls && (!o.tls.key || !o.tls.cert))
    throw new SwarmError("E_CONFIG", "tls needs key and cert", { field: "tls" });
  if (o.websocket !== undefined && (typeof o.websocket !== "object" || o.websocket === null))
    throw new SwarmError("E_CONFIG", "websocket must be { port, host? }", { field: "websocket" });
  const websocket = o.websocket && { ...o.websocket, port: int("websocket.port", o.websocket.port, -1, 0) };
  if (o.authenticate !== undefined && typeof o.authenticate !== "function") {
    throw new SwarmError("E_CONFIG", "authenticate must be a function", { field: "authenticate" });
  }
  return {
    bus: o.bus,
    port: int("port", o.port, -1, 0),
    host: o.host ?? "127.0.0.1",
    tls: o.tls,
    websocket,
    authenticate: o.authenticate,
    maxPacketBytes: int("maxPacketBytes", o.maxPacketBytes, DEFAULT_MAX_PACKET_BYTES, 64),
    maxConnectionsPerCredential: int(
      "maxConnectionsPerCredential",
      o.maxConnectionsPerCredential,
      DEFAULT_MAX_CONNECTIONS_PER_CREDENTIAL,
      1,
    ),
    ratePerSec: int("ratePerSec", o.ratePerSec, DEFAULT_RATE_PER_SEC, 1),
    burst: int("burst", o.burst, DEFAULT_BURST, 1),
    targetCoreLagMs: int("targetCoreLagMs", o.targetCoreLagMs, DEFAULT_TARGET_CORE_LAG_MS, 0),
    telemetryQueue: int("telemetryQueue", o.telemetryQueue, DEFAULT_TELEMETRY_QUEUE, 1),
    drainTimeoutMs: int("drainTimeoutMs", o.drainTimeoutMs, DEFAULT_DRAIN_TIMEOUT_MS, 1),
    maxOutboundBytes: int("maxOutboundBytes", o.maxOutboundBytes, DEFAULT_MAX_OUTBOUND_BYTES, 1024),
    busRetryMs: int("busRetryMs", o.busRetryMs, DEFAULT_BUS_RETRY_MS, 1),
    reportGraceMs: int("reportGraceMs", o.reportGraceMs, DEFAULT_REPORT_GRACE_MS, 0),
    maxPendingReports: int("maxPendingReports", o.maxPendingReports, DEFAULT_MAX_PENDING_REPORTS, 1),
    heartbeatIntervalMs: int("heartbeatIntervalMs", o.heartbeatIntervalMs, DEFAULT_HEARTBEAT_INTERVAL_MS, 10),
    commandTimeoutMs: int("commandTimeoutMs", o.commandTimeoutMs, DEFAULT_COMMAND_TIMEOUT_MS, 1),
    awardAcceptMs: int("awardAcceptMs", o.awardAcceptMs, DEFAULT_AWARD_ACCEPT_MS, 1),
    statusRetryMs: int("statusRetryMs", o.statusRetryMs, DEFAULT_STATUS_RETRY_MS, 1),
    busRequestTimeoutMs: int("busRequestTimeoutMs", o.busRequestTimeoutMs, DEFAULT_BUS_REQUEST_TIMEOUT_MS, 1),
    clock: o.clock ?? systemClock,
    log: o.log ?? SILENT_GATEWAY_LOGGER,
  };
}
