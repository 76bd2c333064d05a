import { SwarmError } from "@swarmlink/protocol";
import { onBid } from "./bid.js";
import { onCommandReply } from "./command-reply.js";
import { onPresence } from "./presence.js";
import { onRegister } from "./register.js";
import { onStatus } from "./status.js";
import { onTelemetry } from "./telemetry.js";
import type { Inbound } from "./types.js";

export type { Inbound } from "./types.js";

/**
 * Runs the handler of a device publish. Topics the swarm sends to devices (cmd, offer, award,
 * cancel) are not theirs to publish: E_FORBIDDEN.
 */
export async function handleInbound(i: Inbound): Promise<void> {
  switch (i.route.kind) {
    case "register":
      return onRegister(i as Inbound<"register">);
    case "telemetry":
      return onTelemetry(i as Inbound<"telemetry">);
    case "commandReply":
      return onCommandReply(i as Inbound<"commandReply">);
    case "taskBid":
      return onBid(i as Inbound<"taskBid">);
    case "taskStatus":
      return onStatus(i as Inbound<"taskStatus">);
    case "presence":
      return onPresence(i as Inbound<"presence">);
    default:
      throw new SwarmError("E_FORBIDDEN", `devices do not publish ${i.route.kind}`, { kind: i.route.kind });
  }
}
