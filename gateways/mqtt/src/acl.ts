import { isValidId, mqttFilters } from "@swarmlink/protocol";
import type { AuthenticateError, Client } from "aedes";
import type { ParsedGatewayOptions } from "./options.js";
import type { StatsCounter } from "./stats.js";

/** CONNACK return codes of MQTT 3.1.1 [MQTT-3.2.2.3]. */
export const CONNACK = {
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_USERNAME_OR_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
} as const;

function refusal(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/**
 * Who may connect, and how many at once: the client id must be a valid agent id (it IS the agent
 * id), the `authenticate` hook must agree, and one credential (username, else client id) holds at
 * most `maxConnectionsPerCredential` distinct client ids. A client id reconnecting counts once.
 */
export class Admission {
  #o: ParsedGatewayOptions;
  #stats: StatsCounter;
  /** The client ids holding each credential: one as itself (the common case, kept small), more in a Set. */
  #byCredential = new Map<string, string | Set<string>>();
  /** Client id → credential, for clients with a username (the others' credential is their id). */
  #credentialOf = new Map<string, string>();

  constructor(o: ParsedGatewayOptions, stats: StatsCounter) {
    this.#o = o;
    this.#stats = stats;
  }

  async admit(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<AuthenticateError | null> {
    const log = this.#o.log;
    if (!isValidId(client.id)) {
      this.#stats.refuse("client-id");
      log.warn({ clientId: String(client.id).slice(0, 64) }, "connect refused: client id is not an agent id");
      return refusal("client id is not an agent id", CONNACK.IDENTIFIER_REJECTED);
    }
    let ok = true;
    try {
      ok = this.#o.authenticate
        ? await this.#o.authenticate(client.id, username, password?.toString("utf8"))
        : true;
    } catch (err) {
      log.error({ clientId: client.id, err }, "authenticate hook threw");
      ok = false;
    }
    if (!ok) {
      this.#stats.refuse("auth");
      log.warn({ clientId: client.id }, "connect refused: bad credentials");
      return refusal("bad username or password", CONNACK.BAD_USERNAME_OR_PASSWORD);
    }
    const credential = username ?? client.id;
    const ids = this.#byCredential.get(credential);
    const known = ids === client.id || (typeof ids === "object" && ids.has(client.id));
    const count = ids === undefined ? 0 : typeof ids === "string" ? 1 : ids.size;
    if (!known && count >= this.#o.maxConnectionsPerCredential) {
      this.#stats.refuse("credential-limit");
      log.warn(
        { clientId: client.id, credential },
        "connect refused: too many connections for this credential",
      );
      return refusal("too many connections for this credential", CONNACK.NOT_AUTHORIZED);
    }
    if (!known) {
      if (ids === undefined) this.#byCredential.set(credential, client.id);
      else if (typeof ids === "string") this.#byCredential.set(credential, new Set([ids, client.id]));
      else ids.add(client.id);
    }
    if (credential !== client.id) this.#credentialOf.set(client.id, credential);
    return null;
  }

  /** The client id's connection is gone for good (not taken over). */
  release(clientId: string): void {
    const credential = this.#credentialOf.get(clientId) ?? clientId;
    this.#credentialOf.delete(clientId);
    const ids = this.#byCredential.get(credential);
    if (ids === clientId) this.#byCredential.delete(credential);
    else if (typeof ids === "object" && ids.delete(clientId) && ids.size === 1)
      this.#byCredential.set(credential, ids.values().next().value as string);
  }
}

/** Whether `topic` (a name or a filter) lies under `swarm/{clientId}/`: a device's own subtree, and nothing else. */
export function isOwnTopic(clientId: string, topic: string): boolean {
  return topic.startsWith(mqttFilters.agentTree(clientId).slice(0, -1));
}
