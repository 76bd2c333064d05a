import { SwarmError } from "@swarmlink/protocol";
import type { Bus } from "@swarmlink/transport";

/** A Bus whose `publish` and `request` throw E_OVERFLOW while `refusing` (a NatsBus with a full reconnect buffer). */
export interface RefusingBus {
  bus: Bus;
  refusing: boolean;
  refusals: number;
}

export function refusingBus(inner: Bus): RefusingBus {
  const r: RefusingBus = { bus: inner, refusing: false, refusals: 0 };
  r.bus = new Proxy(inner, {
    get(target, prop) {
      if ((prop === "publish" || prop === "request") && r.refusing) {
        return (subject: string) => {
          r.refusals++;
          throw new SwarmError("E_OVERFLOW", "reconnect buffer is full (test)", { subject });
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return r;
}
