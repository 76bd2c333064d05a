import type net from "node:net";
import type { Subscription } from "@swarmlink/transport";
import { Aedes, type PublishPacket } from "aedes";
import { Admission, isOwnTopic } from "./acl.js";
import type { GatewayContext } from "./context.js";
import { LagGovernor } from "./lag.js";
import { listen } from "./listener.js";
import { type MqttGatewayOptions, type ParsedGatewayOptions, parseGatewayOptions } from "./options.js";
import { BusPressure } from "./pressure.js";
import { PublishGate } from "./publish.js";
import { routeFleet } from "./routes.js";
import { SessionTable } from "./sessions.js";
import { type GatewayStats, StatsCounter } from "./stats.js";
import { TelemetryPump } from "./telemetry-pump.js";
import { listenWebSocket, type WebSocketListener } from "./websocket.js";

/** The message aedes gives a client it disconnects for not draining in `drainTimeout`. */
const DRAIN_TIMEOUT_MESSAGE = "drain timeout";

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
  /** The MQTT-over-WebSocket port, when `websocket` was given. */
  readonly wsPort: number | undefined;
  #ws: WebSocketListener | undefined;
  #aedes: Aedes;
  #server: net.Server;
  #stats: StatsCounter;
  #sessions: SessionTable;
  #pump: TelemetryPump;
  #lag: LagGovernor;
  #routes: Subscription[];

  private constructor(
    aedes: Aedes,
    server: net.Server,
    stats: StatsCounter,
    sessions: SessionTable,
    pump: TelemetryPump,
    lag: LagGovernor,
    ws: WebSocketListener | undefined,
    routes: Subscription[],
  ) {
    this.#routes = routes;
    this.#lag = lag;
    this.#ws = ws;
    this.wsPort = ws?.port;
    this.#aedes = aedes;
    this.#server = server;
    this.#stats = stats;
    this.#sessions = sessions;
    this.#pump = pump;
    this.port = (server.address() as net.AddressInfo).port;
  }

  /** Starts listening. @throws SwarmError `E_CONFIG` for bad options; the listen error (EADDRINUSE…). */
  static async start(opts: MqttGatewayOptions): Promise<MqttGateway> {
    const o = parseGatewayOptions(opts);
    const stats = new StatsCounter();
    const admission = new Admission(o, stats);
    const aedes = await Aedes.createBroker({ drainTimeout: o.drainTimeoutMs, maxClientsIdLength: 128 });
    const server = await listen(o, aedes, stats);
    const ws = o.websocket && (await listenWebSocket(o, o.websocket, aedes, stats));
    const lag = new LagGovernor(o.clock, o.targetCoreLagMs);
    const ctx: GatewayContext = {
      o,
      stats,
      lag,
      sendToDevice: (agentId, topic, payload, qos = 1) => send(agentId, topic, payload, qos),
    };
    const sessions = new SessionTable(ctx, admission);
    const pressure = new BusPressure(o.clock, o.busRetryMs, stats, () => lag.pushBack());
    const pump = new TelemetryPump(
      { ...o, retryMs: o.busRetryMs, capacity: o.telemetryQueue, onPushBack: () => lag.pushBack() },
      stats,
    );
    const gate = new PublishGate(ctx, sessions, pressure, pump);
    const send = (agentId: string, topic: string, payload: Uint8Array, qos: 0 | 1) => {
      const client = sessions.client(agentId);
      const unsent = (client?.conn as net.Socket | undefined)?.writableLength ?? 0;
      if (client && unsent > o.maxOutboundBytes) {
        // a slow subscriber: its socket holds more than the bound; cut it rather than buffer more
        stats.refuse("slow-subscriber");
        o.log.warn({ clientId: agentId, unsentBytes: unsent }, "slow subscriber disconnected");
        client.close();
        return;
      }
      stats.sentToDevices++;
      const packet = { cmd: "publish", topic, payload, qos, retain: false, dup: false } as PublishPacket;
      aedes.publish(packet, () => {});
    };
    aedes.authenticate = (client, username, password, done) => {
      void admission.admit(client, username, password).then((e) => {
        if (e === null) sessions.admitted(client);
        done(e, e === null);
      });
    };
    aedes.authorizeSubscribe = (client, sub, done) => {
      if (isOwnTopic(client.id, sub.topic)) {
        done(null, sub);
        return;
      }
      stats.refuse("spoof");
      o.log.warn({ clientId: client.id, topic: sub.topic }, "subscribe refused: not the device's own topic");
      done(null, null); // SUBACK 0x80 for this filter [MQTT-3.9.3]
    };
    aedes.authorizePublish = (client, packet, done) => gate.authorize(client, packet, done);
    aedes.on("clientReady", (client) => sessions.ready(client));
    aedes.on("clientDisconnect", (client) => sessions.gone(client));
    aedes.on("clientError", (client, err) => onClientError(o, stats, client?.id, err));
    aedes.on("connectionError", (_client, err) => {
      stats.refuse("malformed");
      o.log.warn({ err: err.message }, "connection error before CONNECT");
    });
    const routes = routeFleet(o.bus, (agentId) => sessions.session(agentId));
    return new MqttGateway(aedes, server, stats, sessions, pump, lag, ws, routes);
  }

  /** The counters. */
  stats(): GatewayStats {
    const s = this.#stats.snapshot();
    s.connected = this.#aedes.connectedClients;
    s.rateFactor = this.#lag.factor();
    return s;
  }

  /** Deregisters every device, disconnects them and stops listening. */
  async close(): Promise<void> {
    for (const r of this.#routes) r.unsubscribe();
    await this.#sessions.closeAll();
    this.#pump.close();
    await new Promise<void>((r) => this.#aedes.close(() => r()));
    await new Promise<void>((r) => this.#server.close(() => r()));
    await this.#ws?.close();
  }
}

function onClientError(
  o: ParsedGatewayOptions,
  stats: StatsCounter,
  clientId: string | undefined,
  err: Error,
) {
  if (err.message === DRAIN_TIMEOUT_MESSAGE) {
    stats.refuse("slow-subscriber");
    o.log.warn({ clientId, drainTimeoutMs: o.drainTimeoutMs }, "slow subscriber disconnected: drain timeout");
    return;
  }
  stats.refuse("malformed");
  o.log.warn({ clientId, err: err.message }, "client error: connection closed");
}
