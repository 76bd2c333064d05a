import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { type ServerHandle, startRedis } from "@swarmlink/harness";
import { RedisStore } from "@swarmlink/store";
import { decodeFenced } from "../../src/election/mod.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/election-child.ts", import.meta.url));
const LEASE_MS = 1000;
const RENEW_MS = 250;
const PAUSE_MS = 2500;

/** One line the child printed (see the fixture). */
interface Ev {
  id: string;
  ev: "ready" | "change" | "act";
  at: number;
  ok?: boolean;
  /** Where a refused act was refused: by the local lease, or by the fenced write. */
  stage?: "assertLeader" | "write";
  code?: string;
  token?: number;
  revision?: number;
  holder?: string;
  isLeader?: boolean;
}

/** A candidate process: its events as they arrive, and a way to wait for one. */
class Child {
  readonly events: Ev[] = [];
  readonly proc: ChildProcess;
  #stderr = "";
  #wake: (() => void)[] = [];

  constructor(args: string[]) {
    this.proc = spawn(process.execPath, ["--import", "tsx", FIXTURE, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let buf = "";
    this.proc.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        this.events.push(JSON.parse(buf.slice(0, nl)) as Ev);
        buf = buf.slice(nl + 1);
      }
      for (const wake of this.#wake.splice(0)) wake();
    });
    this.proc.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stderr += chunk;
    });
  }

  /** The first event (already seen or yet to come) that matches, or a failure after `timeoutMs`. */
  async waitFor(what: string, match: (e: Ev) => boolean, timeoutMs = 10_000): Promise<Ev> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find(match);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0 || this.proc.exitCode !== null) {
        assert.fail(`${what}: not seen within ${timeoutMs} ms; stderr: ${this.#stderr.slice(-2000)}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#wake.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** SIGCONT (in case it is stopped) and SIGKILL; resolves once it has exited. */
  async kill(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((resolve) => this.proc.once("exit", resolve));
    this.proc.kill("SIGCONT");
    this.proc.kill("SIGKILL");
    await exited;
  }
}

describe("a leader paused with SIGSTOP past its lease, in a process of its own", function () {
  this.timeout(30_000);
  let redis: ServerHandle;
  const children: Child[] = [];

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await Promise.all(children.splice(0).map((c) => c.kill()));
    await redis?.stop();
  });

  it("finds out it lost before acting, and none of its writes lands after the new term began", async () => {
    const ns = `pause-${randomUUID()}`;
    const args = (id: string) => [redis.url, ns, id, String(LEASE_MS), String(RENEW_MS)];
    const a = new Child(args("a"));
    children.push(a);
    const aLeads = await a.waitFor("a leads", (e) => e.ev === "change" && e.isLeader === true);
    await a.waitFor("a writes", (e) => e.ev === "act" && e.ok === true);
    const b = new Child(args("b"));
    children.push(b);
    await b.waitFor("b sees a lead", (e) => e.ev === "change" && e.holder === "a");

    const stopAt = Date.now();
    a.proc.kill("SIGSTOP");
    const bLeads = await b.waitFor("b leads", (e) => e.ev === "change" && e.isLeader === true, 5000);
    assert.ok(bLeads.token! > aLeads.token!, `new token ${bLeads.token} > old ${aLeads.token}`);
    const failoverMs = bLeads.at - stopAt;
    await b.waitFor("b writes", (e) => e.ev === "act" && e.ok === true);
    await new Promise((resolve) => setTimeout(resolve, stopAt + PAUSE_MS - Date.now()));
    const contAt = Date.now();
    a.proc.kill("SIGCONT");

    const first = await a.waitFor("a acts after resuming", (e) => e.ev === "act" && e.at >= contAt);
    assert.deepEqual(
      [first.ok, first.stage, first.code],
      [false, "assertLeader", "E_FENCED"],
      "its first act after SIGCONT is refused by its own lease check, before it touches the store",
    );
    await a.waitFor("a is told it lost", (e) => e.ev === "change" && e.isLeader === false && e.at >= contAt);
    await new Promise((resolve) => setTimeout(resolve, 300)); // a keeps trying for a while
    const late = a.events.filter((e) => e.ev === "act" && e.ok && e.at >= stopAt);
    assert.deepEqual(late, [], "no act of a succeeds after the pause");

    // The store's own history of the record: no write under the old token after the new term began.
    const puts = await history(redis.url, ns, "records.shared");
    const stale = puts.filter((p) => p.token < bLeads.token! && p.revision > bLeads.token!);
    assert.deepEqual(stale, [], "writes under an old token after the new term's first revision");
    assert.ok(puts.some((p) => p.token === aLeads.token) && puts.some((p) => p.token === bLeads.token));
    const sorted = puts.map((p) => p.token);
    assert.deepEqual(
      sorted,
      [...sorted].sort((x, y) => x - y),
      "tokens never go down in the record",
    );
    console.log(
      `      SIGSTOP failover (redis, lease ${LEASE_MS} ms, renew ${RENEW_MS} ms): ${failoverMs} ms; ` +
        `tokens ${aLeads.token} -> ${bLeads.token}; first act after SIGCONT: ${first.code} ` +
        `${first.at - contAt} ms after it; ${puts.length} writes checked`,
    );
  });
});

/** Every put of `key` the store still holds in its change history, with the writer's token. */
async function history(url: string, namespace: string, key: string) {
  const store = await RedisStore.connect({ url, namespace, reapIntervalMs: 0 });
  try {
    const last = (await store.get(key))!.revision;
    const out: { revision: number; token: number }[] = [];
    const w = store.watch(`${key.split(".")[0]}.`, { fromRevision: 1 });
    for await (const c of w) {
      if (c.key === key && c.op === "put")
        out.push({ revision: c.revision, token: decodeFenced(c.value!).token });
      if (c.revision >= last) break;
    }
    return out;
  } finally {
    await store.close();
  }
}
