import net from "node:net";
import tls from "node:tls";
import { isSwarmError, parseMqttTopic } from "@swarmlink/protocol";
import { Aedes, type Client, type PublishPacket } from "aedes";
import { Admission, isOwnTopic } from "./acl.js";
import { TokenBucket } from "./bucket.js";
import { parseJson, toJsonBytes } from "./codec/json.js";
import type { GatewayContext } from "./context.js";
import { DeviceSession } from "./device.js";
import { guardFrames } from "./frame-guard.js";
import { handleInbound } from "./handlers/mod.js";
import { type MqttGatewayOptions, type ParsedGatewayOptions, parseGatewayOptions } from "./options.js";
import { type GatewayStats, StatsCounter } from "./stats.js";
import { TelemetryPump } from "./telemetry.js";

/**
 * The MQTT gateway in listener mode: an aedes broker on TCP (or TLS) that makes each connected
 * device (MQTT 3.1.1; client id = agent id) a member of the swarm, acting for it on the Bus.
 *
 * @example
 * ```ts
 * const gw = await MqttGateway.start({ bus, port: 0 });
 * console.log(`firmware connects to mqtt://127.0.0.1:${gw.port}`);
 * await gw.close();
 * ```
 */
export class MqttGateway {
  readonly port: number;
  #o: ParsedGatewayOptions;
  #aedes: Aedes;
  #server: net.Server;
  #stats: StatsCounter;
  #sessions = new Map<string, { session: DeviceSession; client: Client }>();
  #buckets = new WeakMap<Client, TokenBucket>();
  /** Connections admitted and not yet ready, by client id: a takeover in progress [MQTT-3.1.4-2]. */
  #connecting = new Map<string, Client>();
  #telemetry: TelemetryPump;

  private constructor(o: ParsedGatewayOptions, aedes: Aedes, server: net.Server, stats: StatsCounter) {
    this.#o = o;
    this.#aedes = aedes;
    this.#server = server;
    this.#stats = stats;
    this.port = (server.address() as net.AddressInfo).port;
    this.#telemetry = new TelemetryPump(o, stats);
  }

  /** Starts listening. @throws SwarmError `E_CONFIG` for bad options; the listen error (EADDRINUSE…). */
  static async start(opts: MqttGatewayOptions): Promise<MqttGateway> {
    const o = parseGatewayOptions(opts);
    const stats = new StatsCounter();
    const admission = new Admission(o, stats);
    const aedes = await Aedes.createBroker({ drainTimeout: o.drainTimeoutMs, maxClientsIdLength: 128 });
    const onSocket = (socket: net.Socket) => {
      socket.setNoDelay(true); // Nagle + delayed ACK add ~40-90 ms to every QoS 1 round trip
      guardFrames(socket, o.maxPacketBytes, (v) => {
        stats.refuse(v);
        o.log.warn({ remote: socket.remoteAddress, violation: v }, "connection cut: bad frame");
      });
      aedes.handle(socket);
    };
    const server = o.tls
      ? tls.createServer({ key: o.tls.key, cert: o.tls.cert }, onSocket)
      : net.createServer(onSocket);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(o.port, o.host, () => resolve());
    });
    const gw = new MqttGateway(o, aedes, server, stats);
    aedes.authenticate = (client, username, password, done) => {
      void admission.admit(client, username, password).then((e) => {
        if (e === null) gw.#connecting.set(client.id, client);
        done(e, e === null);
      });
    };
    aedes.authorizeSubscribe = (client, sub, done) =>
      gw.#authorizeSubscribe(
        client,
        sub.topic,
        () => done(null, sub),
        () => done(null, null),
      );
    aedes.authorizePublish = (client, packet, done) => gw.#authorizePublish(client, packet, done);
    aedes.on("clientReady", (client) => gw.#onReady(client));
    aedes.on("clientDisconnect", (client) => gw.#onGone(client, admission));
    aedes.on("clientError", (client, err) => {
      stats.refuse("malformed");
      o.log.warn({ clientId: client?.id, err: err.message }, "client error: connection closed");
    });
    aedes.on("connectionError", (_client, err) => {
      stats.refuse("malformed");
      o.log.warn({ err: err.message }, "connection error before CONNECT");
    });
    return gw;
  }

  /** The counters. */
  stats(): GatewayStats {
    const s = this.#stats.snapshot();
    s.connected = this.#aedes.connectedClients;
    return s;
  }

  /** Deregisters every device, disconnects them and stops listening. */
  async close(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(sessions.map((s) => s.session.close("gateway-closed")));
    this.#telemetry.close();
    await new Promise<void>((r) => this.#aedes.close(() => r()));
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  #context(): GatewayContext {
    return {
      o: this.#o,
      stats: this.#stats,
      sendToDevice: (topic, value, qos = 1) => {
        this.#stats.sentToDevices++;
        const packet = {
          cmd: "publish",
          topic,
          payload: toJsonBytes(value),
          qos,
          retain: false,
          dup: false,
        } as PublishPacket;
        this.#aedes.publish(packet, () => {});
      },
    };
  }

  #onReady(client: Client): void {
    if (this.#connecting.get(client.id) === client) this.#connecting.delete(client.id);
    const held = this.#sessions.get(client.id);
    if (held?.client === client) return;
    if (held && !held.session.closed)
      held.client = client; // the same device reconnected: still registered
    else this.#sessions.set(client.id, { session: new DeviceSession(this.#context(), client.id), client });
    this.#buckets.set(client, new TokenBucket(this.#o.ratePerSec, this.#o.burst, this.#o.clock));
  }

  #onGone(client: Client, admission: Admission): void {
    if (this.#connecting.get(client.id) === client) this.#connecting.delete(client.id);
    const held = this.#sessions.get(client.id);
    if (!held || !this.#isCurrent(client)) {
      if (held && held.client === client) held.client = this.#connecting.get(client.id) ?? held.client;
      return; // taken over by a newer connection [MQTT-3.1.4-2]: the device stays registered
    }
    this.#sessions.delete(client.id);
    admission.release(client.id);
    void held.session.close("disconnected");
  }

  /** Whether `client` is the device's connection, and no newer one with its id is on its way in. */
  #isCurrent(client: Client): boolean {
    const newer = this.#connecting.get(client.id);
    return this.#sessions.get(client.id)?.client === client && (newer === undefined || newer === client);
  }

  #authorizeSubscribe(client: Client, topic: string, allow: () => void, negate: () => void): void {
    if (isOwnTopic(client.id, topic)) {
      allow();
      return;
    }
    this.#stats.refuse("spoof");
    this.#o.log.warn({ clientId: client.id, topic }, "subscribe refused: not the device's own topic");
    negate(); // SUBACK 0x80 for this filter [MQTT-3.9.3]
  }

  #authorizePublish(client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void): void {
    if (client === null) {
      // the gateway's own publishes to devices
      done();
      return;
    }
    const refuse = (reason: string, disconnect: boolean, extra: object = {}) => {
      this.#stats.refuse(reason);
      this.#o.log.warn(
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
    if (!this.#sessions.has(client.id)) this.#onReady(client);
    const held = this.#sessions.get(client.id);
    if (!held) {
      refuse("no-session", true);
      return;
    }
    let route: ReturnType<typeof parseMqttTopic>;
    try {
      route = parseMqttTopic(packet.topic);
    } catch {
      refuse("unknown-topic", false);
      return;
    }
    const bucket = this.#buckets.get(client);
    const wait = bucket && !bucket.take() ? bucket.waitMs() : 0;
    const run = () => {
      let value: unknown;
      try {
        value = parseJson(packet.payload as Buffer);
      } catch (err) {
        return refuse("bad-json", false, { err: (err as Error).message });
      }
      handleInbound({
        ctx: this.#context(),
        session: held.session,
        route,
        value,
        current: this.#isCurrent(client),
        enqueueTelemetry: (t) => this.#telemetry.enqueue(t),
      }).then(
        () => {
          this.#stats.delivered++;
          done();
        },
        (err: unknown) =>
          refuse(isSwarmError(err, "E_FORBIDDEN") ? "forbidden-topic" : "bad-payload", false, {
            err: (err as Error).message,
          }),
      );
    };
    if (wait === 0) {
      run();
      return;
    }
    // Over its rate: hold the PUBACK, and with it aedes' reading of this socket, until a token is due.
    this.#stats.refuse("rate");
    this.#stats.paused++;
    this.#o.clock.setTimeout(() => {
      bucket?.take();
      run();
    }, wait);
  }
}
