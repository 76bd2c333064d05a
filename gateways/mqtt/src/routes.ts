import { mqttTopics, parseSubject, subjectPatterns } from "@swarmlink/protocol";
import type { Bus, Msg, Subscription } from "@swarmlink/transport";
import type { DeviceSession } from "./device.js";
import { tryUnwrap } from "./wire.js";

/**
 * The gateway's subscriptions for the whole fleet: one per subject pattern (every agent's presence;
 * every agent's task offers, awards and cancels), each message routed by the agent id in its
 * subject to the session of a device of this gateway that is in the swarm (registered or
 * registering), and dropped after one Map lookup otherwise. A fleet of 10,000 devices costs two routes on the Bus, not one per device.
 *
 * Commands are not routed here but subscribed per registered device (`DeviceSession.register`): the core
 * tells an unreachable agent from a silent one by the Bus' E_NO_RESPONDERS, and queues its
 * commands until it is back. A wildcard would answer for every agent of the swarm. An award to an
 * agent that is not here is only slower to fail (silence until the dispatcher's accept timeout
 * instead of E_NO_RESPONDERS; both fail the attempt).
 */
export function routeFleet(
  bus: Bus,
  sessionOf: (agentId: string) => DeviceSession | undefined,
): Subscription[] {
  const callback = (_err: Error | undefined, m: Msg) => {
    let route: ReturnType<typeof parseSubject>;
    try {
      route = parseSubject(m.subject);
    } catch {
      return; // an id no device can have
    }
    if (!("agentId" in route)) return;
    const dev = sessionOf(route.agentId);
    if (dev?.inSwarm) deliver(dev, route.kind, m);
  };
  return [
    bus.subscribe(subjectPatterns.presence, { callback }),
    bus.subscribe(subjectPatterns.agentTasks, { callback }),
  ];
}

function deliver(dev: DeviceSession, kind: ReturnType<typeof parseSubject>["kind"], m: Msg): void {
  switch (kind) {
    case "agentPresence":
      dev.onPresence(m.data);
      return;
    case "agentTaskAward":
      dev.awards.onAward(m.data, (d) => m.respond(d));
      return;
    case "agentTaskOffer": {
      const offer = tryUnwrap(m.data, "swarmlink.v1.TaskOffer");
      if (offer) dev.send(mqttTopics.taskOffer(dev.agentId), dev.codec.offer(offer));
      return;
    }
    case "agentTaskCancel": {
      const cancel = tryUnwrap(m.data, "swarmlink.v1.TaskCancel");
      if (cancel) dev.send(mqttTopics.taskCancel(dev.agentId), dev.codec.cancel(cancel));
      return;
    }
  }
}
