import { isSwarmError, type MqttRoute, mqttFilters, mqttTopics, parseMqttTopic } from "@swarmlink/protocol";
import type { Subscription } from "@swarmlink/transport";
import type mqtt from "mqtt";
import { jsonCodec } from "../codec/device-codec.js";
import { protobufCodec } from "../codec/protobuf.js";
import type { GatewayContext } from "../context.js";
import { DeviceSession } from "../device.js";
import { handleInbound } from "../handlers/mod.js";
import { routeFleet } from "../routes.js";
import { type GatewayStats, StatsCounter } from "../stats.js";
import { TelemetryPump } from "../telemetry-pump.js";
import { connectBroker } from "./connect.js";
import { isProtobufContent, outgoingProperties, replyWithCorrelation } from "./mqtt5.js";
import { type MqttBridgeOptions, type ParsedBridgeOptions, parseBridgeOptions } from "./options.js";

/** The bridge's counters: the gateway's, plus the broker connection. */
export interface BridgeStats extends GatewayStats {
  /** Whether the bridge is connected to the broker now. */
  brokerConnected: boolean;
  /** Connections to the broker after the first. */
  reconnects: number;
  /** The MQTT version spoken with the broker. */
  protocolVersion: 4 | 5;
}

/**
 * The MQTT gateway in bridge mode: an mqtt.js client of an existing broker (Mosquitto, EMQX, a
 * cluster) that subscribes to what every device publishes (`mqttFilters.fromAgents`) and acts for
 * each device on the Bus with the same sessions and handlers as the listener. Devices' ACL is the
 * broker's job (see the README). A device leaves on its last will on `swarm/{id}/presence`.
 *
 * @example
 * ```ts
 * const bridge = await MqttBridge.start({ bus, url: "mqtt://mosquitto:1883", username: "swarm", password });
 * // firmware connects to the same broker, client id = agent id
 * await bridge.close();
 * ```
 */
export class MqttBridge {
  #o: ParsedBridgeOptions;
  #client: mqtt.MqttClient;
  #version: 4 | 5;
  #stats = new StatsCounter();
  #sessions = new Map<string, DeviceSession>();
  #telemetry: TelemetryPump;
  #routes: Subscription[];
  #ctx: GatewayContext;
  #connects = 0;
  /** Settles once the subscriptions of the latest connection are acknowledged (or refused). */
  #subscribed: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(o: ParsedBridgeOptions, client: mqtt.MqttClient, version: 4 | 5) {
    this.#o = o;
    this.#client = client;
    this.#version = version;
    const { bus, clock, log, telemetryQueue, busRetryMs } = o.session;
    this.#telemetry = new TelemetryPump(
      { bus, clock, log, capacity: telemetryQueue, retryMs: busRetryMs },
      this.#stats,
    );
    this.#ctx = { o: o.session, stats: this.#stats, sendToDevice: (_id, t, p, q) => this.#send(t, p, q) };
    this.#routes = routeFleet(bus, (agentId) => this.#sessions.get(agentId));
    client.handleMessage = (packet, done) => {
      this.#onPublish(packet).then(
        () => done(),
        () => done(),
      );
    };
    client.on("connect", () => this.#onConnect());
    client.on("close", () => this.#onLost());
    client.on("error", (err) => o.session.log.warn({ err: err.message }, "bridge: broker connection error"));
    this.#onConnect();
  }

  /**
   * Connects to the broker and subscribes. @throws SwarmError `E_CONFIG` for bad options,
   * `E_UNAVAILABLE` when the broker does not accept the connection within `connectTimeoutMs`.
   */
  static async start(opts: MqttBridgeOptions): Promise<MqttBridge> {
    const o = parseBridgeOptions(opts);
    const { client, version } = await connectBroker(o);
    const bridge = new MqttBridge(o, client, version);
    await bridge.#subscribed;
    return bridge;
  }

  stats(): BridgeStats {
    const s = this.#stats.snapshot();
    s.connected = this.#sessions.size;
    return {
      ...s,
      brokerConnected: this.#client.connected,
      reconnects: Math.max(0, this.#connects - 1),
      protocolVersion: this.#version,
    };
  }

  /** Deregisters every device it acts for and disconnects from the broker. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const r of this.#routes) r.unsubscribe();
    await this.#closeSessions("gateway-closed");
    this.#telemetry.close();
    await this.#client.endAsync(true);
  }

  #onConnect(): void {
    if (this.#closed || !this.#client.connected) return;
    this.#connects++;
    // Nagle + delayed ACK add ~88 ms to every QoS 1 round trip with default sockets.
    (this.#client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    const subs: mqtt.ISubscriptionMap = {};
    for (const f of mqttFilters.fromAgents) {
      const qos = f.includes("/telemetry/") ? 0 : 1; // telemetry QoS 0, everything else QoS 1
      subs[f] = { qos };
      subs[mqttTopics.protobuf(f)] = { qos }; // the same with protobuf payloads
    }
    this.#subscribed = new Promise((resolve) =>
      this.#client.subscribe(subs, (err) => {
        if (err) this.#o.session.log.error({ err: err.message }, "bridge: subscribe failed");
        resolve();
      }),
    );
    this.#o.session.log.info({ url: this.#o.url, version: this.#version }, "bridge connected to the broker");
  }

  /**
   * The broker connection is gone: the bridge cannot reach its devices, so it stops acting for
   * them (deregister "bridge-disconnected"). Back on the broker, retained registers (and devices
   * that reconnect) bring them back.
   */
  #onLost(): void {
    if (this.#closed || this.#sessions.size === 0) return;
    this.#o.session.log.warn(
      { devices: this.#sessions.size },
      "bridge lost the broker: devices leave the swarm",
    );
    void this.#closeSessions("bridge-disconnected");
  }

  async #closeSessions(reason: string): Promise<void> {
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(sessions.map((s) => s.close(reason)));
  }

  async #onPublish(packet: mqtt.IPublishPacket): Promise<void> {
    const refuse = (reason: string, extra: object = {}) => {
      this.#stats.refuse(reason);
      this.#o.session.log.warn(
        { topic: packet.topic.slice(0, 256), reason, ...extra },
        "bridge: publish dropped",
      );
    };
    let route: MqttRoute;
    try {
      route = parseMqttTopic(packet.topic);
    } catch {
      return refuse("unknown-topic");
    }
    const protobuf = route.encoding === "protobuf" || isProtobufContent(packet.properties);
    const codec = protobuf ? protobufCodec : jsonCodec;
    let payload = packet.payload as Buffer;
    if (route.kind === "commandReply" && codec.name === "json")
      payload = replyWithCorrelation(payload, packet.properties);
    let session = this.#sessions.get(route.agentId);
    if (!session || session.closed) {
      if (route.kind === "presence") return; // a will (or a retained one) of a device not in the swarm
      session = new DeviceSession(this.#ctx, route.agentId);
      this.#sessions.set(route.agentId, session);
    }
    if (route.kind === "register") session.codec = codec; // the device hears the swarm in its format
    try {
      await handleInbound({
        ctx: this.#ctx,
        session,
        route,
        payload,
        codec,
        current: true, // takeovers are the broker's business
        enqueueTelemetry: (t) => this.#telemetry.offer(t),
      });
      this.#stats.delivered++;
    } catch (err) {
      const reason = isSwarmError(err, "E_FORBIDDEN")
        ? "forbidden-topic"
        : isSwarmError(err, "E_DECODE")
          ? `bad-${codec.name === "json" ? "json" : "protobuf"}`
          : "bad-payload";
      refuse(reason, { err: (err as Error).message });
    }
    if (session.closed && this.#sessions.get(route.agentId) === session) this.#sessions.delete(route.agentId);
  }

  #send(topic: string, payload: Uint8Array, qos: 0 | 1 = 1): void {
    if (!this.#client.connected) {
      this.#stats.refuse("broker-offline"); // not queued: mqtt.js's offline queue has no bound
      return;
    }
    this.#stats.sentToDevices++;
    const properties = this.#version === 5 ? outgoingProperties(topic, payload) : undefined;
    this.#client.publish(topic, Buffer.from(payload), { qos, properties });
  }
}
