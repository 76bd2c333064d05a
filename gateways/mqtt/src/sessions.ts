import type { Client } from "aedes";
import type { Admission } from "./acl.js";
import { TokenBucket } from "./bucket.js";
import type { GatewayContext } from "./context.js";
import { DeviceSession, GATEWAY_CLOSED } from "./device.js";

interface Held {
  session: DeviceSession;
  client: Client;
}

/**
 * The devices the gateway acts for, by client id (= agent id), and the connection each one is on.
 * A reconnect with the same client id takes over [MQTT-3.1.4-2]: the device stays registered, and
 * the old connection's will and socket loss are ignored.
 */
export class SessionTable {
  #ctx: GatewayContext;
  #admission: Admission;
  #held = new Map<string, Held>();
  #buckets = new WeakMap<Client, TokenBucket>();
  /** Connections admitted and not yet ready, by client id: a takeover in progress [MQTT-3.1.4-2]. */
  #connecting = new Map<string, Client>();
  /** Sessions of devices that left, whose PUBACKed status reports are still being retried. */
  #draining = new Set<DeviceSession>();

  constructor(ctx: GatewayContext, admission: Admission) {
    this.#ctx = ctx;
    this.#admission = admission;
  }

  /** The device's session, if it has one. */
  session(agentId: string): DeviceSession | undefined {
    return this.#held.get(agentId)?.session;
  }

  /** The device's current connection, if it has one. */
  client(agentId: string): Client | undefined {
    return this.#held.get(agentId)?.client;
  }

  /** The client's token bucket (publishes per second). */
  bucket(client: Client): TokenBucket | undefined {
    return this.#buckets.get(client);
  }

  /** A connection was admitted (CONNACK on its way). */
  admitted(client: Client): void {
    this.#connecting.set(client.id, client);
  }

  /** A connection is ready: a session for a new device, or the same session for a reconnect. */
  ready(client: Client): void {
    if (this.#connecting.get(client.id) === client) this.#connecting.delete(client.id);
    const held = this.#held.get(client.id);
    if (held?.client === client) return;
    if (held && !held.session.closed)
      held.client = client; // the same device reconnected: still registered
    else this.#held.set(client.id, { session: new DeviceSession(this.#ctx, client.id), client });
    const { ratePerSec, burst, clock } = this.#ctx.o;
    const lag = this.#ctx.lag;
    const rate = lag ? () => ratePerSec * lag.factor() : ratePerSec;
    this.#buckets.set(client, new TokenBucket(rate, burst, clock));
  }

  /** A connection went: the device leaves the swarm unless a newer connection took over. */
  gone(client: Client): void {
    if (this.#connecting.get(client.id) === client) this.#connecting.delete(client.id);
    const held = this.#held.get(client.id);
    if (!held || !this.isCurrent(client)) {
      if (held && held.client === client) held.client = this.#connecting.get(client.id) ?? held.client;
      return; // taken over by a newer connection [MQTT-3.1.4-2]: the device stays registered
    }
    this.#held.delete(client.id);
    this.#admission.release(client.id);
    void held.session.close("disconnected");
    for (const s of this.#draining) if (s.awards.pendingReports === 0) this.#draining.delete(s);
    if (held.session.awards.pendingReports > 0) this.#draining.add(held.session);
  }

  /** Whether `client` is the device's connection, and no newer one with its id is on its way in. */
  isCurrent(client: Client): boolean {
    const newer = this.#connecting.get(client.id);
    return this.#held.get(client.id)?.client === client && (newer === undefined || newer === client);
  }

  /** Closes every session (deregisters the devices) and stops every status report. */
  async closeAll(): Promise<void> {
    const all = [...this.#held.values()].map((h) => h.session);
    this.#held.clear();
    for (const s of this.#draining) all.push(s);
    this.#draining.clear();
    await Promise.all(all.map((s) => s.close(GATEWAY_CLOSED)));
  }
}
