import type { Client } from "aedes";
import type { Admission } from "./acl.js";
import { TokenBucket } from "./bucket.js";
import type { GatewayContext } from "./context.js";
import { DeviceSession, GATEWAY_CLOSED } from "./device.js";

/**
 * The devices the gateway acts for, by client id (= agent id), and the connection each one is on.
 * A connection costs an entry in a Map until its device publishes: the session and the token bucket
 * are made on its first publish. A reconnect with the same client id takes over [MQTT-3.1.4-2]: the
 * device keeps its session (it stays registered), and the old connection's will and socket loss
 * are ignored.
 */
export class SessionTable {
  #ctx: GatewayContext;
  #admission: Admission;
  /** The current connection of each device. */
  #clients = new Map<string, Client>();
  /** Sessions of devices that have published; a session outlives a takeover of its connection. */
  #sessions = new Map<string, DeviceSession>();
  #buckets = new WeakMap<Client, TokenBucket>();
  /** Connections admitted and not yet ready, by client id: a takeover in progress [MQTT-3.1.4-2]. */
  #connecting = new Map<string, Client>();
  /** Sessions of devices that left, whose PUBACKed status reports are still being retried. */
  #draining = new Set<DeviceSession>();
  /** Publishes per second a client may send now: one function for every bucket. */
  #rate: number | (() => number);

  constructor(ctx: GatewayContext, admission: Admission) {
    this.#ctx = ctx;
    this.#admission = admission;
    const { ratePerSec } = ctx.o;
    const lag = ctx.lag;
    this.#rate = lag ? () => ratePerSec * lag.factor() : ratePerSec;
  }

  /** The device's session, if it has one. */
  session(agentId: string): DeviceSession | undefined {
    return this.#sessions.get(agentId);
  }

  /** The session of the device on `client`: its own, or a new one if it has none (or it closed). */
  sessionOf(client: Client): DeviceSession {
    if (!this.#clients.has(client.id) && !client.closed) this.ready(client); // published before clientReady
    const s = this.#sessions.get(client.id);
    if (s && !s.closed) return s;
    if (s) this.#retire(s);
    const fresh = new DeviceSession(this.#ctx, client.id);
    this.#sessions.set(client.id, fresh);
    return fresh;
  }

  /** The device's current connection, if it has one. */
  client(agentId: string): Client | undefined {
    return this.#clients.get(agentId);
  }

  /** The client's token bucket (publishes per second), made on its first publish. */
  bucket(client: Client): TokenBucket {
    let b = this.#buckets.get(client);
    if (!b) {
      b = new TokenBucket(this.#rate, this.#ctx.o.burst, this.#ctx.o.clock);
      this.#buckets.set(client, b);
    }
    return b;
  }

  /** A connection was admitted (CONNACK on its way). */
  admitted(client: Client): void {
    this.#connecting.set(client.id, client);
  }

  /** A connection is ready: the device's connection from now on (a reconnect keeps its session). */
  ready(client: Client): void {
    if (this.#connecting.get(client.id) === client) this.#connecting.delete(client.id);
    this.#clients.set(client.id, client);
  }

  /** A connection went: the device leaves the swarm unless a newer connection took over. */
  gone(client: Client): void {
    const id = client.id;
    if (this.#connecting.get(id) === client) this.#connecting.delete(id);
    if (this.#clients.get(id) !== client) {
      // never ready: its credential slot is free again unless its id is on another connection
      if (!this.#clients.has(id) && !this.#connecting.has(id)) this.#admission.release(id);
      return; // or taken over already
    }
    const newer = this.#connecting.get(id);
    if (newer) {
      this.#clients.set(id, newer); // taken over [MQTT-3.1.4-2]: the device stays registered
      return;
    }
    this.#clients.delete(id);
    this.#admission.release(id);
    const s = this.#sessions.get(id);
    if (!s) return;
    this.#sessions.delete(id);
    void s.close("disconnected");
    this.#retire(s);
  }

  /** Whether `client` is the device's connection, and no newer one with its id is on its way in. */
  isCurrent(client: Client): boolean {
    const newer = this.#connecting.get(client.id);
    return this.#clients.get(client.id) === client && (newer === undefined || newer === client);
  }

  /** Closes every session (deregisters the devices) and stops every status report. */
  async closeAll(): Promise<void> {
    const all = [...this.#sessions.values(), ...this.#draining];
    this.#sessions.clear();
    this.#draining.clear();
    await Promise.all(all.map((s) => s.close(GATEWAY_CLOSED)));
  }

  /** Keeps a closed session while its status reports are still being retried, to stop them on close. */
  #retire(s: DeviceSession): void {
    for (const d of this.#draining) if (d.pendingReports === 0) this.#draining.delete(d);
    if (s.pendingReports > 0) this.#draining.add(s);
  }
}
