/**
 * Imports only go down. The pure rooms (the lab loader, the planner, the
 * packet codec, the matcher and the text helpers) run no command and touch no
 * namespace, so they never import exec/, flow/, run/, report/ or any other
 * room that does; and no two rooms of harness/ import each other, directly or
 * around a loop.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import test from "ava";
import { ROOT } from "../../harness/root.ts";

const HARNESS = join(ROOT, "harness");
/** Rooms of pure code, and the one-file modules they may share. */
const PURE = ["lab", "plan", "packet", "match", "text"];
const PURE_FILES = ["errors.ts"];
/** Packages the pure rooms may use besides node's own modules (all but node:child_process: they run nothing). */
const PURE_PACKAGES = ["zod", "yaml"];

/** Every .ts and .mjs file under dir. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|mjs)$/.test(name) ? [path] : [];
  });
}

/** What a file imports: static imports, re-exports and dynamic import(). */
function importsOf(text: string): string[] {
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^"'`;]*?\bfrom\s*["']([^"']+)["']/g)].map(
    (m) => m[1],
  );
  const bare = [...text.matchAll(/(?:^|\n)\s*import\s*["']([^"']+)["']/g)].map((m) => m[1]);
  const dynamic = [...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
  return [...specs, ...bare, ...dynamic];
}

/** The room of a path under harness/: its first directory, or the file itself for harness/cli.ts and its kin. */
function roomOf(path: string): string {
  return relative(HARNESS, path).split("/")[0];
}

/** Every import of harness/ as [file, specifier, room it lands in (undefined for packages)], paths from the root. */
function edges(): { file: string; spec: string; from: string; to?: string }[] {
  return sources(HARNESS).flatMap((file) =>
    importsOf(readFileSync(file, "utf8")).map((spec) => ({
      file: relative(ROOT, file),
      spec,
      from: roomOf(file),
      to: spec.startsWith(".") ? roomOf(resolve(dirname(file), spec)) : undefined,
    })),
  );
}

/** The imports that break the pure rooms' rule, as lines for the failure message. */
function impureImports(all = edges()): string[] {
  return all
    .filter((e) => PURE.includes(e.from))
    .filter((e) =>
      e.to === undefined
        ? (!e.spec.startsWith("node:") || e.spec === "node:child_process") && !PURE_PACKAGES.includes(e.spec)
        : !PURE.includes(e.to) && !PURE_FILES.includes(e.to),
    )
    .map((e) => `${e.file} imports ${e.spec}`);
}

/** A loop between rooms (["a", "b", "a"]), or undefined when the room graph has none. */
function roomLoop(all = edges()): string[] | undefined {
  const next = new Map<string, Set<string>>();
  for (const e of all) if (e.to && e.to !== e.from) next.set(e.from, (next.get(e.from) ?? new Set()).add(e.to));
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (room: string): string[] | undefined => {
    if (state.get(room) === "open") return [...path.slice(path.indexOf(room)), room];
    if (state.get(room) === "done") return undefined;
    state.set(room, "open");
    path.push(room);
    for (const to of next.get(room) ?? []) {
      const loop = visit(to);
      if (loop) return loop;
    }
    path.pop();
    state.set(room, "done");
    return undefined;
  };
  for (const room of next.keys()) {
    const loop = visit(room);
    if (loop) return loop;
  }
  return undefined;
}

test("lab/, plan/, packet/, match/ and text/ import only pure code (never exec/, flow/, run/, report/...)", (t) => {
  const bad = impureImports();
  t.deepEqual(bad, [], `pure code imports a room that runs things:\n  ${bad.join("\n  ")}`);
});

test("no two rooms of harness/ import each other, directly or around a loop", (t) => {
  const loop = roomLoop();
  t.is(loop, undefined, `imports go round: ${loop?.join(" -> ")}`);
});

test("the checks see what they guard: a pure room importing report/ and a loop between rooms", (t) => {
  const fake = [
    { file: "harness/match/format.ts", spec: "../report/color.ts", from: "match", to: "report" },
    { file: "harness/report/compare.ts", spec: "../flow/observe.ts", from: "report", to: "flow" },
    { file: "harness/flow/flow.ts", spec: "../report/results.ts", from: "flow", to: "report" },
    { file: "harness/lab/load.ts", spec: "execa", from: "lab" },
  ];
  t.deepEqual(impureImports(fake), [
    "harness/match/format.ts imports ../report/color.ts",
    "harness/lab/load.ts imports execa",
  ]);
  t.deepEqual(roomLoop(fake), ["report", "flow", "report"]);
  t.deepEqual(
    importsOf('import { a } from "./a.ts";\nexport { b } from "../b.ts";\nconst c = await import("../c.ts");'),
    ["./a.ts", "../b.ts", "../c.ts"],
  );
});
