/** Messages a nats-server received and delivered (its /varz counters) over a measured phase. */
export interface MessagesPerTask {
  /** Published to the server, per task. */
  in: number;
  /** Delivered to subscribers, per task. */
  out: number;
}

interface Varz {
  in_msgs: number;
  out_msgs: number;
}

async function varz(monitorUrl: string): Promise<Varz> {
  const res = await fetch(`${monitorUrl}/varz`);
  if (!res.ok) throw new Error(`nats-server monitoring answered ${res.status}`);
  return (await res.json()) as Varz;
}

/**
 * Starts counting now; the function returned gives the messages per task since. Batches show here:
 * an award batch is one request and one answer for all of an agent's awards of a turn.
 */
export async function natsTraffic(monitorUrl: string): Promise<(tasks: number) => Promise<MessagesPerTask>> {
  const v0 = await varz(monitorUrl);
  return async (tasks) => {
    const v1 = await varz(monitorUrl);
    return { in: (v1.in_msgs - v0.in_msgs) / tasks, out: (v1.out_msgs - v0.out_msgs) / tasks };
  };
}

/** One line for a progress report. */
export function describeTraffic(m: MessagesPerTask): string {
  return `messages per task through nats-server: ${m.in.toFixed(2)} in, ${m.out.toFixed(2)} out`;
}
