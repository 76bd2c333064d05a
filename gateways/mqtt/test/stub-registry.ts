import { encodeEnvelope, PresenceStatus, parseSubject, subjectPatterns, wrap } from "@swarmlink/protocol";
import type { Bus, Subscription } from "@swarmlink/transport";

/**
 * A registry stand-in for tests without a swarm node: every register is answered ONLINE with a new
 * epoch, every deregister OFFLINE. Returns what to unsubscribe.
 */
export function stubRegistry(bus: Bus): Subscription[] {
  let epoch = 0;
  const answer =
    (status: PresenceStatus) => (_err: unknown, m: { subject: string; respond(d: Uint8Array): boolean }) => {
      const route = parseSubject(m.subject);
      if (!("agentId" in route)) return;
      const p = { agentId: route.agentId, status, epoch: ++epoch };
      m.respond(encodeEnvelope(wrap("swarmlink.v1.Presence", p, { source: "stub-registry" })));
    };
  return [
    bus.subscribe(subjectPatterns.registrations, { callback: answer(PresenceStatus.PRESENCE_STATUS_ONLINE) }),
    bus.subscribe(subjectPatterns.deregistrations, {
      callback: answer(PresenceStatus.PRESENCE_STATUS_OFFLINE),
    }),
  ];
}
