#!/usr/bin/env node
// `npm run schemas:check`: `buf lint`, then `buf breaking` against a baseline, for schemas/.
//
//   node scripts/schemas-check.mjs [--schemas DIR] [--against DIR | --against-ref REF]
//
// The baseline, unless given:
//   1. the merge base of HEAD and origin/main, when that remote branch exists (a pull request is
//      checked against what it would merge into);
//   2. else the latest tag matching v* (a release is never broken);
//   3. else HEAD (uncommitted schema edits are checked against the last commit).
// When the baseline has no schemas yet (the first commit that adds them), the breaking check is
// skipped with a notice; lint still runs. Exit status: 0 when both pass, 1 when either fails,
// 2 on a usage or environment error.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repoDefault = dirname(dirname(fileURLToPath(import.meta.url)));

const usage = "usage: schemas-check.mjs [--schemas DIR] [--against DIR | --against-ref REF]";
let values;
try {
  ({ values } = parseArgs({
    options: {
      schemas: { type: "string" },
      against: { type: "string" },
      "against-ref": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (err) {
  fail(`${err.message}\n${usage}`);
}
if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (values.against && values["against-ref"]) fail(`--against and --against-ref exclude each other\n${usage}`);

const schemas = resolve(values.schemas ?? join(repoDefault, "schemas"));
if (!existsSync(join(schemas, "buf.yaml"))) fail(`no buf.yaml in ${schemas}`);

const bufBin = createRequire(import.meta.url).resolve("@bufbuild/buf/bin/buf");
const buf = (...args) => spawnSync(process.execPath, [bufBin, ...args], { encoding: "utf8" });

/** buf's exit status when it ran and found problems; anything else non-zero is buf failing to run. */
const FOUND = 100;
let failed = false;

console.log(`schemas:check: buf lint ${rel(schemas)}`);
const lint = buf("lint", schemas);
report(lint);
if (lint.status !== 0 && lint.status !== FOUND) fail("buf lint could not run (see above)");
if (lint.status === FOUND) {
  console.error("schemas:check: lint failed");
  failed = true;
}

const against = values.against
  ? { input: resolve(values.against), label: rel(resolve(values.against)) }
  : baselineFromGit(values["against-ref"]);
if (against) {
  console.log(`schemas:check: buf breaking ${rel(schemas)} --against ${against.label}`);
  const breaking = buf("breaking", schemas, "--against", against.input);
  report(breaking);
  if (breaking.status !== 0 && breaking.status !== FOUND) fail("buf breaking could not run (see above)");
  if (breaking.status === FOUND) {
    console.error("schemas:check: breaking changes found (see above); evolve the schema instead:");
    console.error("  add fields under new numbers, `reserved` removed ones, never renumber or retype.");
    failed = true;
  }
}

if (!failed) console.log("schemas:check: ok");
process.exit(failed ? 1 : 0);

/** The git input for `buf breaking`, or undefined (with a notice) when there is nothing to compare. */
function baselineFromGit(explicitRef) {
  const root = git(["rev-parse", "--show-toplevel"], schemas);
  if (root === undefined) {
    console.log("schemas:check: not in a git repository and no --against given; skipping buf breaking");
    return undefined;
  }
  const subdir = relative(root, schemas);
  if (subdir.startsWith("..") || isAbsolute(subdir)) fail(`${schemas} is outside ${root}; pass --against`);

  let ref = explicitRef;
  let why = explicitRef ? `--against-ref ${explicitRef}` : "";
  if (!ref && git(["rev-parse", "--verify", "--quiet", "origin/main"], root) !== undefined) {
    ref = git(["merge-base", "HEAD", "origin/main"], root);
    why = "merge base with origin/main";
  }
  if (!ref) {
    ref = git(["describe", "--tags", "--abbrev=0", "--match", "v*"], root);
    why = `latest release tag ${ref}`;
  }
  if (!ref) {
    ref = git(["rev-parse", "--verify", "--quiet", "HEAD"], root) && "HEAD";
    why = "HEAD";
  }
  const sha = ref && git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], root);
  if (!sha) {
    console.log("schemas:check: no commit to compare with; skipping buf breaking");
    return undefined;
  }
  if (git(["cat-file", "-e", `${sha}:${subdir ? `${subdir}/` : ""}buf.yaml`], root) === undefined) {
    console.log(
      `schemas:check: ${subdir || "."} does not exist at ${why} (${sha.slice(0, 12)}); skipping buf breaking`,
    );
    return undefined;
  }
  const gitDir = resolve(root, git(["rev-parse", "--git-common-dir"], root));
  return {
    input: `${gitDir}#ref=${sha}${subdir ? `,subdir=${subdir}` : ""}`,
    label: `${why} (${sha.slice(0, 12)})`,
  };
}

function git(args, cwd) {
  const r = spawnSync("git", args, { cwd, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function report(result) {
  if (result.error) fail(`cannot run buf: ${result.error.message}`);
  // buf leaves the last line of its findings unterminated.
  const line = (text) => (text.endsWith("\n") ? text : `${text}\n`);
  if (result.stdout) process.stdout.write(line(result.stdout));
  if (result.stderr) process.stderr.write(line(result.stderr));
}

function rel(path) {
  const r = relative(process.cwd(), path);
  return r === "" ? "." : r.startsWith("..") ? path : r;
}

function fail(message) {
  console.error(`schemas:check: ${message}`);
  process.exit(2);
}
