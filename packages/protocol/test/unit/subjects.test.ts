import assert from "node:assert/strict";
import fc from "fast-check";
import {
  isSwarmError,
  isValidId,
  KV_PREFIXES,
  kvKeys,
  MAX_ID_BYTES,
  mqttFilters,
  mqttTopics,
  parseKvKey,
  parseMqttTopic,
  parseSubject,
  STREAMS,
  subjectPatterns,
  subjects,
  validateId,
} from "../../src/mod.js";

const invalid = (field?: string) => (err: unknown) =>
  isSwarmError(err, "E_INVALID") && (field === undefined || err.context.field === field);

/** Any UTF-16 string, lone surrogates and control characters included. */
const anyString = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  maxLength: 140,
});
/** Strings made mostly of the characters that matter here. */
const trickyString = fc.string({
  unit: fc.constantFrom(
    "a",
    "Z",
    "0",
    "-",
    "_",
    ".",
    "*",
    ">",
    "/",
    "+",
    "#",
    " ",
    "\t",
    "\n",
    "\u0000",
    "\u200b",
    "\u00e9",
    "\ud83e",
    "\udd16",
    "$",
  ),
  maxLength: 20,
});
const validId = fc.stringMatching(/^[A-Za-z0-9_:@=-]{1,40}$/);

describe("ids", () => {
  it("accept ordinary agent, task and stream ids", () => {
    for (const id of [
      "amr-07",
      "01ARZ3NDEKTSV4RRFFQ69G5FAV",
      "bot_1",
      "aa:bb:cc:dd",
      "robot@site",
      "é",
      "🤖",
      "x".repeat(MAX_ID_BYTES),
    ]) {
      assert.equal(validateId("agentId", id), id);
    }
  });

  const bad: [string, string][] = [
    ["", "that is empty"],
    ["a.b", "with a NATS separator"],
    ["a/b", "with an MQTT separator"],
    ["*", "with a NATS wildcard"],
    ["a>", "with a NATS tail wildcard"],
    ["+", "with an MQTT wildcard"],
    ["a#", "with an MQTT tail wildcard"],
    ["a b", "with a space"],
    ["a\u00a0b", "with a no-break space"],
    ["a\u0000", "with a NUL"],
    ["a\u007f", "with DEL"],
    ["a\u200bb", "with a zero-width space"],
    ["\ud800", "with a lone surrogate"],
    ["x".repeat(MAX_ID_BYTES + 1), "that is too long"],
    ["é".repeat(MAX_ID_BYTES / 2 + 1), "that is too long in UTF-8 bytes"],
  ];
  for (const [id, why] of bad) {
    it(`refuse an id ${why}, naming the field`, () => {
      assert.equal(isValidId(id), false);
      assert.throws(() => validateId("taskId", id), invalid("taskId"));
    });
  }

  it("either pass or throw E_INVALID for any string, and what passes is a safe token", () => {
    const check = (s: string) => {
      let ok = true;
      try {
        validateId("agentId", s);
      } catch (err) {
        assert.ok(invalid("agentId")(err), String(err));
        ok = false;
      }
      assert.equal(isValidId(s), ok);
      if (ok) {
        assert.ok(s.length > 0 && new TextEncoder().encode(s).length <= MAX_ID_BYTES);
        assert.doesNotMatch(s, /[.*>/+#\s\p{Cc}]/u);
        assert.doesNotMatch(s, /\p{Surrogate}/u);
      }
    };
    fc.assert(fc.property(anyString, check), { numRuns: 5_000 });
    fc.assert(fc.property(trickyString, check), { numRuns: 5_000 });
  });

  it("refuse what is not a string", () => {
    for (const v of [undefined, null, 7, {}, ["a"]])
      assert.throws(() => validateId("agentId", v), invalid("agentId"));
  });
});

describe("NATS subjects", () => {
  it("are spelled as the scheme says", () => {
    assert.equal(subjects.agentRegister("a1"), "swarm.v1.agents.a1.register");
    assert.equal(subjects.agentDeregister("a1"), "swarm.v1.agents.a1.deregister");
    assert.equal(subjects.agentHeartbeat("a1"), "swarm.v1.agents.a1.heartbeat");
    assert.equal(subjects.agentPresence("a1"), "swarm.v1.agents.a1.presence");
    assert.equal(subjects.agentTelemetry("a1", "pose"), "swarm.v1.agents.a1.telemetry.pose");
    assert.equal(subjects.agentCommand("a1", "dock"), "swarm.v1.agents.a1.cmd.dock");
    assert.equal(subjects.agentTaskOffer("a1"), "swarm.v1.agents.a1.tasks.offer");
    assert.equal(subjects.agentTaskAward("a1"), "swarm.v1.agents.a1.tasks.award");
    assert.equal(subjects.agentTaskAwards("a1"), "swarm.v1.agents.a1.tasks.awards");
    assert.equal(subjects.agentTaskCancel("a1"), "swarm.v1.agents.a1.tasks.cancel");
    assert.equal(subjects.taskSubmit(), "swarm.v1.tasks.submit");
    assert.equal(subjects.taskEvents("t1"), "swarm.v1.tasks.t1.events");
    assert.equal(subjects.taskBid("t1"), "swarm.v1.tasks.t1.bid");
    assert.equal(subjects.taskStatus("t1"), "swarm.v1.tasks.t1.status");
    assert.equal(subjects.taskReports(), "swarm.v1.tasks.reports");
    assert.equal(subjects.election("dispatcher"), "swarm.v1.election.dispatcher");
    assert.equal(subjects.commandQueue("a1"), "swarm.v1.cmdq.a1");
    assert.equal(subjects.commandGet("c1"), "swarm.v1.commands.c1.get");
    assert.equal(subjects.deadLetter("tasks"), "swarm.v1.dlq.tasks");
  });

  it("validate every id and name the bad one", () => {
    assert.throws(() => subjects.agentHeartbeat("a.b"), invalid("agentId"));
    assert.throws(() => subjects.agentTelemetry("a", "po*se"), invalid("stream"));
    assert.throws(() => subjects.agentCommand("a", ">"), invalid("name"));
    assert.throws(() => subjects.taskBid(""), invalid("taskId"));
    assert.throws(() => subjects.election("g x"), invalid("group"));
    assert.throws(() => subjectPatterns.agentInbox("*"), invalid("agentId"));
  });

  it("parse back into their routes, for any valid ids", () => {
    fc.assert(
      fc.property(validId, validId, (a, b) => {
        const cases: [string, object][] = [
          [subjects.agentRegister(a), { kind: "agentRegister", agentId: a }],
          [subjects.agentDeregister(a), { kind: "agentDeregister", agentId: a }],
          [subjects.agentHeartbeat(a), { kind: "agentHeartbeat", agentId: a }],
          [subjects.agentPresence(a), { kind: "agentPresence", agentId: a }],
          [subjects.agentTelemetry(a, b), { kind: "agentTelemetry", agentId: a, stream: b }],
          [subjects.agentCommand(a, b), { kind: "agentCommand", agentId: a, name: b }],
          [subjects.agentTaskOffer(a), { kind: "agentTaskOffer", agentId: a }],
          [subjects.agentTaskAward(a), { kind: "agentTaskAward", agentId: a }],
          [subjects.agentTaskAwards(a), { kind: "agentTaskAwards", agentId: a }],
          [subjects.agentTaskCancel(a), { kind: "agentTaskCancel", agentId: a }],
          [subjects.taskSubmit(), { kind: "taskSubmit" }],
          [subjects.taskEvents(b), { kind: "taskEvents", taskId: b }],
          [subjects.taskBid(b), { kind: "taskBid", taskId: b }],
          [subjects.taskStatus(b), { kind: "taskStatus", taskId: b }],
          [subjects.taskReports(), { kind: "taskReports" }],
          [subjects.election(b), { kind: "election", group: b }],
          [subjects.electionCandidate(b, a), { kind: "electionCandidate", group: b, candidateId: a }],
          [subjects.commandQueue(a), { kind: "commandQueue", agentId: a }],
          [subjects.commandGet(b), { kind: "commandGet", commandId: b }],
          [subjects.deadLetter(b), { kind: "deadLetter", queue: b }],
        ];
        for (const [subject, route] of cases) assert.deepEqual(parseSubject(subject), route);
      }),
      { numRuns: 500 },
    );
  });

  it("never read as one another, whatever the ids (fixed words and ids do not share a position)", () => {
    // A task called "submit" and an agent called "tasks" still parse as what they are.
    assert.deepEqual(parseSubject(subjects.taskEvents("submit")), { kind: "taskEvents", taskId: "submit" });
    assert.deepEqual(parseSubject(subjects.taskStatus("reports")), { kind: "taskStatus", taskId: "reports" });
    assert.deepEqual(parseSubject(subjects.agentTaskOffer("tasks")), {
      kind: "agentTaskOffer",
      agentId: "tasks",
    });
    assert.deepEqual(parseSubject(subjects.agentTelemetry("cmd", "cmd")), {
      kind: "agentTelemetry",
      agentId: "cmd",
      stream: "cmd",
    });
  });

  it("refuse to parse anything else with E_INVALID", () => {
    for (const s of [
      "",
      "swarm",
      "swarm.v1",
      "swarm.v2.agents.a.heartbeat",
      "swarm.v1.agents.a",
      "swarm.v1.agents..heartbeat",
      "swarm.v1.agents.a.heartbeat.x",
      "swarm.v1.agents.*.heartbeat",
      "swarm.v1.tasks.t.nope",
      "swarm.v1.election",
      "x".repeat(2000),
    ]) {
      assert.throws(() => parseSubject(s), invalid(), s);
    }
  });

  it("parse any string to a route or E_INVALID, never anything else", () => {
    const prefixed = fc
      .tuple(fc.constantFrom("swarm.v1.agents.", "swarm.v1.tasks.", "swarm.v1."), trickyString)
      .map(([p, s]) => p + s);
    fc.assert(
      fc.property(fc.oneof(anyString, prefixed), (s) => {
        try {
          parseSubject(s);
        } catch (err) {
          assert.ok(invalid()(err), String(err));
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it("keep wildcards to the subscription patterns and the streams' filters", () => {
    assert.equal(subjectPatterns.heartbeats, "swarm.v1.agents.*.heartbeat");
    assert.equal(subjectPatterns.telemetry, "swarm.v1.agents.*.telemetry.*");
    assert.equal(subjectPatterns.telemetryStream("pose"), "swarm.v1.agents.*.telemetry.pose");
    assert.equal(subjectPatterns.deregistrations, "swarm.v1.agents.*.deregister");
    assert.equal(subjectPatterns.agentInbox("a1"), "swarm.v1.agents.a1.>");
    assert.equal(subjectPatterns.agentTasks, "swarm.v1.agents.*.tasks.*");
    assert.equal(subjectPatterns.task("t1"), "swarm.v1.tasks.t1.>");
    assert.equal(subjectPatterns.taskCancels, "swarm.v1.tasks.*.cancel");
    assert.equal(subjectPatterns.taskGets, "swarm.v1.tasks.*.get");
    assert.equal(subjectPatterns.commandGets, "swarm.v1.commands.*.get");
    assert.deepEqual(
      Object.values(STREAMS).map((s) => s.name),
      ["SWARM_TASKS", "SWARM_CMDS", "SWARM_DLQ"],
    );
    assert.deepEqual(STREAMS.tasks.subjects, [subjects.taskSubmit()]);
  });
});

describe("Store keys", () => {
  it("are a prefix and one validated id, and parse back", () => {
    assert.equal(kvKeys.agent("a1"), "agents.a1");
    assert.equal(kvKeys.lease("dispatcher"), "leases.dispatcher");
    assert.equal(kvKeys.election("g"), "elections.g");
    assert.equal(kvKeys.task("t1"), "tasks.t1");
    assert.equal(kvKeys.idempotency("k"), "idempotency.k");
    assert.equal(kvKeys.commandQueue("a1"), "cmdqueues.a1");
    assert.deepEqual(parseKvKey("agents.a1"), { kind: "agents", id: "a1" });
    assert.throws(() => kvKeys.agent("a.b"), invalid("agentId"));
    for (const k of ["agents.", "agents.a.b", "nope.a", ""]) assert.throws(() => parseKvKey(k), invalid(), k);
    for (const prefix of Object.values(KV_PREFIXES)) assert.match(prefix, /^[a-z]+\.$/);
  });
});

describe("MQTT topics", () => {
  it("are spelled as the scheme says", () => {
    assert.equal(mqttTopics.register("a1"), "swarm/a1/register");
    assert.equal(mqttTopics.telemetry("a1", "battery"), "swarm/a1/telemetry/battery");
    assert.equal(mqttTopics.command("a1", "dock"), "swarm/a1/cmd/dock");
    assert.equal(mqttTopics.commandReply("a1", "dock"), "swarm/a1/cmd/dock/reply");
    assert.equal(mqttTopics.taskOffer("a1"), "swarm/a1/tasks/offer");
    assert.equal(mqttTopics.taskAward("a1"), "swarm/a1/tasks/award");
    assert.equal(mqttTopics.taskCancel("a1"), "swarm/a1/tasks/cancel");
    assert.equal(mqttTopics.taskBid("a1", "t1"), "swarm/a1/tasks/t1/bid");
    assert.equal(mqttTopics.taskStatus("a1", "t1"), "swarm/a1/tasks/t1/status");
    assert.equal(mqttTopics.presence("a1"), "swarm/a1/presence");
    assert.deepEqual(mqttFilters.toAgent("a1"), [
      "swarm/a1/cmd/+",
      "swarm/a1/tasks/offer",
      "swarm/a1/tasks/award",
      "swarm/a1/tasks/cancel",
    ]);
    assert.equal(mqttFilters.agentTree("a1"), "swarm/a1/#");
  });

  it("parse back into their routes, for any valid ids", () => {
    fc.assert(
      fc.property(validId, validId, (a, b) => {
        const cases: [string, object][] = [
          [mqttTopics.register(a), { kind: "register", agentId: a }],
          [mqttTopics.presence(a), { kind: "presence", agentId: a }],
          [mqttTopics.telemetry(a, b), { kind: "telemetry", agentId: a, stream: b }],
          [mqttTopics.command(a, b), { kind: "command", agentId: a, name: b }],
          [mqttTopics.commandReply(a, b), { kind: "commandReply", agentId: a, name: b }],
          [mqttTopics.taskOffer(a), { kind: "taskOffer", agentId: a }],
          [mqttTopics.taskAward(a), { kind: "taskAward", agentId: a }],
          [mqttTopics.taskCancel(a), { kind: "taskCancel", agentId: a }],
          [mqttTopics.taskBid(a, b), { kind: "taskBid", agentId: a, taskId: b }],
          [mqttTopics.taskStatus(a, b), { kind: "taskStatus", agentId: a, taskId: b }],
        ];
        for (const [topic, route] of cases) assert.deepEqual(parseMqttTopic(topic), route);
        for (const [topic, route] of cases)
          assert.deepEqual(parseMqttTopic(mqttTopics.protobuf(topic)), { ...route, encoding: "protobuf" });
      }),
      { numRuns: 500 },
    );
  });

  it("refuse to parse foreign or malformed topics with E_INVALID naming the topic", () => {
    const bad = [
      "",
      "swarm",
      "swarm/",
      "swarm//register",
      "swarm/a/+/register",
      "swarm/+/register",
      "swarm/a/telemetry",
      "swarm/a/telemetry/#",
      "swarm/a/tasks/t",
      "swarm/a/tasks/t/bid/x",
      "$SYS/broker",
      "/swarm/a/register",
      "other/a/register",
      "swarm/a b/register",
    ];
    for (const t of bad) {
      assert.throws(
        () => parseMqttTopic(t),
        (err) =>
          isSwarmError(err, "E_INVALID") && (err.context.topic === t || err.context.field !== undefined),
        t,
      );
    }
  });

  it("parse any string to a route or E_INVALID, never anything else", () => {
    const levels = fc.array(
      fc.oneof(
        trickyString,
        fc.constantFrom("swarm", "tasks", "cmd", "reply", "bid", "status", "offer", "telemetry"),
      ),
      { maxLength: 6 },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          anyString,
          levels.map((l) => l.join("/")),
          levels.map((l) => `swarm/${l.join("/")}`),
        ),
        (t) => {
          try {
            const { kind, ...ids } = parseMqttTopic(t);
            assert.ok(kind);
            for (const v of Object.values(ids)) assert.ok(isValidId(v), v);
          } catch (err) {
            assert.ok(invalid()(err), String(err));
          }
        },
      ),
      { numRuns: 5_000 },
    );
  });
});
