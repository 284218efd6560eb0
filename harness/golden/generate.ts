/**
 * Golden cases to pcaps: fixtures/pcaps/<file>/<slug>.in.pcap and
 * .out.pcap (generated, committed, never edited by hand) and
 * fixtures/pcaps/index.json. Before writing, every expected output is
 * checked: its checksums must be right, or, for a case marked
 * `badChecksum: preserved`, exactly as wrong as the input's.
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { build, type ChecksumProblem, checksumVerdicts, pcapBytes } from "../packet/index.ts";
import { type Case, FIXTURES_DIR } from "./cases.ts";

export interface CaseFrames {
  input: Buffer;
  /** The expected output frame; null when the case expects a drop. */
  output: Buffer | null;
}

export interface IndexEntry {
  file: string;
  name: string;
  slug: string;
  rfc: string;
  verdict: "ok" | "pass" | "shot";
  prefix: string;
  section: "6to4" | "4to6";
  in: string;
  /** Relative to fixtures/pcaps; holds no frame for "shot". */
  out: string;
  ignore?: string[];
  badChecksum?: "preserved";
}

function where(c: Case): string {
  return `${c.file}.yaml:${c.line} "${c.name}"`;
}

export function caseFrames(c: Case): CaseFrames {
  let input: Buffer;
  try {
    input = build(c.in);
  } catch (e) {
    throw new Error(`${where(c)}: cannot build \`in\`: ${(e as Error).message}`);
  }
  if (c.verdict === "shot") return { input, output: null };
  if (c.verdict === "pass") return { input, output: input };
  try {
    return { input, output: build(c.out ?? []) };
  } catch (e) {
    throw new Error(`${where(c)}: cannot build \`out\`: ${(e as Error).message}`);
  }
}

/** One's complement difference of what a checksum says and what it should say, in the sum domain (0 and 0xffff are one value). */
export function checksumOffset(p: Pick<ChecksumProblem, "expected" | "actual">): number {
  const norm = (x: number) => (~x & 0xffff) % 0xffff;
  return (norm(p.actual) - norm(p.expected) + 0xffff) % 0xffff;
}

const L4 = new Set(["tcp", "udp", "icmp", "icmpv6"]);

/** Problems with a case's expected output; empty when it may be written. */
export function expectationProblems(c: Case, frames: CaseFrames): string[] {
  if (c.verdict !== "ok" || !frames.output) return [];
  const out = checksumVerdicts(frames.output, { quotedL4: true }).filter((v) => !v.ok);
  if (c.badChecksum !== "preserved") {
    return out.map(
      (p) =>
        `expected output has a wrong ${p.layer} checksum 0x${p.actual.toString(16)} (right: 0x${p.expected.toString(16)}); write it right, or mark the case badChecksum: preserved`,
    );
  }
  const inBad = checksumVerdicts(frames.input, { quotedL4: true }).filter((v) => !v.ok && L4.has(v.layer));
  const outBad = out.filter((v) => L4.has(v.layer));
  const problems = out
    .filter((v) => !L4.has(v.layer))
    .map((p) => `expected output has a wrong ${p.layer} checksum (only the L4 one may be wrong)`);
  if (inBad.length !== 1 || outBad.length !== 1) {
    problems.push(
      `badChecksum: preserved needs exactly one wrong L4 checksum in \`in\` and in \`out\`; found ${inBad.length} and ${outBad.length}`,
    );
    return problems;
  }
  const [i, o] = [checksumOffset(inBad[0]), checksumOffset(outBad[0])];
  if (i !== o)
    problems.push(
      `the output checksum 0x${outBad[0].actual.toString(16)} is off by 0x${o.toString(16)} from the right 0x${outBad[0].expected.toString(16)}, the input's by 0x${i.toString(16)}: write it as wrong as the input's`,
    );
  return problems;
}

function pcapNames(c: Case): { in: string; out: string } {
  return { in: `${c.file}/${c.slug}.in.pcap`, out: `${c.file}/${c.slug}.out.pcap` };
}

/** The pcap bytes and index entry of every case; throws listing every case whose expectation is not writable. */
export function renderFixtures(cases: Case[]): { files: Map<string, Buffer>; index: IndexEntry[] } {
  const files = new Map<string, Buffer>();
  const index: IndexEntry[] = [];
  const errors: string[] = [];
  for (const c of cases) {
    let frames: CaseFrames;
    try {
      frames = caseFrames(c);
    } catch (e) {
      errors.push((e as Error).message);
      continue;
    }
    for (const p of expectationProblems(c, frames)) errors.push(`${where(c)}: ${p}`);
    const names = pcapNames(c);
    files.set(names.in, pcapBytes([frames.input]));
    files.set(names.out, pcapBytes(frames.output ? [frames.output] : []));
    index.push({
      file: c.file,
      name: c.name,
      slug: c.slug,
      rfc: c.rfc,
      verdict: c.verdict,
      prefix: c.prefix,
      section: c.section,
      ...names,
      ...(c.ignore ? { ignore: c.ignore } : {}),
      ...(c.badChecksum ? { badChecksum: c.badChecksum } : {}),
    });
  }
  if (errors.length) throw new Error(`golden cases with problems:\n  ${errors.join("\n  ")}`);
  files.set(
    "index.json",
    Buffer.from(`${JSON.stringify({ generatedBy: "natlab golden build", cases: index }, null, 1)}\n`),
  );
  return { files, index };
}

/** Write the fixtures under `dir` (default fixtures/pcaps), replacing the generated files that were there. */
export function writeFixtures(cases: Case[], dir: string = FIXTURES_DIR): { written: number; index: IndexEntry[] } {
  const { files, index } = renderFixtures(cases);
  mkdirSync(dir, { recursive: true });
  // Generated files only: the per-file folders of pcaps and index.json, never cases/.
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === "cases") continue;
    if (name === "index.json") rmSync(p);
    else if (statSync(p).isDirectory() && readdirSync(p).every((f) => f.endsWith(".pcap")))
      rmSync(p, { recursive: true });
  }
  for (const [name, bytes] of files) {
    const p = join(dir, name);
    mkdirSync(join(p, ".."), { recursive: true });
    writeFileSync(p, bytes);
  }
  return { written: files.size, index };
}

/** Files under `dir` that differ from what the YAML generates now (missing, changed or extra), relative names. */
export function staleFixtures(
  cases: Case[],
  dir: string = FIXTURES_DIR,
  read: (p: string) => Buffer | undefined,
): string[] {
  const { files } = renderFixtures(cases);
  const stale: string[] = [];
  for (const [name, bytes] of files) {
    const have = read(join(dir, name));
    if (!have?.equals(bytes)) stale.push(name);
  }
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === "cases" || !statSync(p).isDirectory()) continue;
    for (const f of readdirSync(p)) if (!files.has(`${name}/${f}`)) stale.push(relative(dir, join(p, f)));
  }
  return stale;
}
