import { isSwarmError, type MqttRoute, parseMqttTopic } from "@swarmlink/protocol";
import type { Client, PublishPacket } from "aedes";
import { isOwnTopic } from "./acl.js";
import { jsonCodec } from "./codec/device-codec.js";
import { protobufCodec } from "./codec/protobuf.js";
import type { GatewayContext } from "./context.js";
import { handleInbound } from "./handlers/mod.js";
import { type BusPressure, isPushBack } from "./pressure.js";
import type { SessionTable } from "./sessions.js";
import type { TelemetryPump } from "./telemetry-pump.js";

/** What error becomes which refusal counter. */
function reasonOf(err: unknown, codec: string): string {
  if (isSwarmError(err, "E_FORBIDDEN")) return "forbidden-topic";
  if (isPushBack(err)) return "bus-pressure-gone"; // the device left while the Bus refused: never PUBACKed
  if (isSwarmError(err, "E_DECODE")) return codec === "json" ? "bad-json" : "bad-protobuf";
  return "bad-payload";
}

/**
 * aedes' `authorizePublish` for device publishes: the ACL, the route, the client's token bucket,
 * then the handler, with the Bus' push-back. aedes sends the PUBACK when `done` is called and
 * reads that client's next batch of packets only when every packet of the current one is done, so
 * holding `done` holds both the PUBACK and the reading of the socket (TCP then pushes back on the
 * device). A publish held is counted in `stats().held`; at most one read batch per client is held.
 */
export class PublishGate {
  #ctx: GatewayContext;
  #sessions: SessionTable;
  #pressure: BusPressure;
  #pump: TelemetryPump;

  constructor(ctx: GatewayContext, sessions: SessionTable, pressure: BusPressure, pump: TelemetryPump) {
    this.#ctx = ctx;
    this.#sessions = sessions;
    this.#pressure = pressure;
    this.#pump = pump;
  }

  authorize(client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void): void {
    if (client === null) {
      done(); // the gateway's own publishes to devices
      return;
    }
    const { o, stats } = this.#ctx;
    const refuse = (reason: string, disconnect: boolean, extra: object = {}) => {
      stats.refuse(reason);
      o.log.warn(
        { clientId: client.id, topic: packet.topic.slice(0, 256), reason, ...extra },
        "publish refused",
      );
      // MQTT 3.1.1 cannot NACK a PUBLISH: acknowledge and drop, or close the connection [MQTT-3.3.5-2]
      done(disconnect ? new Error(`publish refused: ${reason}`) : null);
    };
    if (!isOwnTopic(client.id, packet.topic)) {
      refuse("spoof", true);
      return;
    }
    let route: MqttRoute;
    try {
      route = parseMqttTopic(packet.topic);
    } catch {
      refuse("unknown-topic", false);
      return;
    }
    const session = this.#sessions.sessionOf(client);
    const codec = route.encoding === "protobuf" ? protobufCodec : jsonCodec;
    // the device hears the swarm in the format it registered in
    if (route.kind === "register") session.codec = codec;
    const waitMs = this.#sessions.bucket(client).reserve();
    stats.held++;
    stats.heldHighWater = Math.max(stats.heldHighWater, stats.held);
    const finish = (f: () => void) => {
      stats.held--;
      f();
    };
    const run = () => {
      const inbound = {
        ctx: this.#ctx,
        session,
        route,
        payload: packet.payload as Buffer,
        codec,
        current: this.#sessions.isCurrent(client),
        enqueueTelemetry: (t: Parameters<TelemetryPump["offer"]>[0]) => this.#pump.offer(t),
      };
      this.#pressure
        .hold(
          () => handleInbound(inbound),
          () => !client.closed && !session.closed,
        )
        .then(
          () =>
            finish(() => {
              stats.delivered++;
              done();
            }),
          (err: unknown) =>
            finish(() =>
              refuse(reasonOf(err, codec.name), false, {
                err: err instanceof Error ? err.message : String(err),
              }),
            ),
        );
    };
    if (waitMs === 0) {
      run();
      return;
    }
    // Over its rate: hold the PUBACK, and with it aedes' reading of this socket, until its token is due.
    stats.refuse("rate");
    stats.paused++;
    o.clock.setTimeout(run, waitMs);
  }
}
