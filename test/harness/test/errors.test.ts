import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { findBinary, freePort, HARNESS_ERROR_CODES, HarnessError, isHarnessError } from "../src/mod.js";

describe("harness errors", () => {
  it("documents every code the sources throw", () => {
    const files = ["binaries", "nats", "nats-cluster", "ports", "probe", "process", "rabbit", "server"];
    const thrown = new Set<string>();
    for (const f of files) {
      const text = readFileSync(new URL(`../src/${f}.ts`, import.meta.url), "utf8");
      for (const m of text.matchAll(/"(E_HARNESS_[A-Z_]+)"/g)) thrown.add(m[1] ?? "");
    }
    for (const code of thrown) assert.ok(code in HARNESS_ERROR_CODES, `${code} is documented`);
    for (const doc of Object.values(HARNESS_ERROR_CODES)) assert.ok(doc.length > 10);
  });

  it("names the Debian package to install when a binary is missing", () => {
    assert.throws(
      () =>
        findBinary({
          name: "swarmlink-no-such-server",
          debianPackage: "swarmlink-pkg",
          paths: ["/nonexistent/x"],
        }),
      (err: unknown) => {
        assert.ok(isHarnessError(err, "E_HARNESS_MISSING_BINARY"));
        assert.match(err.message, /apt-get install -y swarmlink-pkg/);
        assert.equal(err.context.debianPackage, "swarmlink-pkg");
        return true;
      },
    );
  });

  it("finds a binary that Debian installs in sbin even when PATH lacks it", () => {
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      assert.equal(findBinary({ name: "sh", debianPackage: "dash" }), "/usr/bin/sh");
    } finally {
      process.env.PATH = path;
    }
  });

  it("appends the server's log tail to the message", () => {
    const err = new HarnessError("E_HARNESS_START", "redis did not start", {
      server: "redis",
      logTail: "bind: oops",
    });
    assert.match(err.message, /redis did not start\n--- redis log \(tail\) ---\nbind: oops/);
  });
});

describe("freePort", () => {
  it("hands out distinct ports that can be bound on 127.0.0.1", async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    assert.equal(new Set(ports).size, ports.length);
    for (const port of ports) {
      assert.ok(![4222, 6379, 5672, 1883, 15672, 25672, 4369].includes(port));
      await new Promise<void>((resolve, reject) => {
        const srv = createServer();
        srv.once("error", reject);
        srv.listen(port, "127.0.0.1", () => srv.close(() => resolve()));
      });
    }
  });
});
