import type { MqttRoute } from "@swarmlink/protocol";
import type { DeviceCodec } from "../codec/device-codec.js";
import type { TelemetryInit } from "../codec/inbound.js";
import type { GatewayContext } from "../context.js";
import type { DeviceSession } from "../device.js";

/** What one handler of a device publish gets. */
export interface Inbound<R extends MqttRoute["kind"] = MqttRoute["kind"]> {
  ctx: GatewayContext;
  session: DeviceSession;
  route: Extract<MqttRoute, { kind: unknown }> & { kind: R } & RouteOf<R>;
  /** The PUBLISH payload, read with `codec` (JSON, or protobuf on a `/pb` topic). */
  payload: Uint8Array;
  codec: DeviceCodec;
  /** Hands a telemetry sample to the conflating queue; false if it replaced or dropped one. */
  enqueueTelemetry: (t: TelemetryInit) => boolean;
  /** Whether the publishing connection is the one the session belongs to (not a stale, taken-over one). */
  current: boolean;
}

/** The route variant whose kinds include `R`. */
type RouteOf<R> = MqttRoute extends infer T
  ? T extends { kind: infer K }
    ? R extends K
      ? T
      : never
    : never
  : never;
