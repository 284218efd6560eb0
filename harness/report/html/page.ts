/**
 * results/<lab>/<run-id>/report.html: one run's whole story on one page.
 *   - the run: lab, kernel, variant, counts, links to plan.sh, trace.txt, TAP, JUnit
 *   - the topology, drawn by Graphviz (namespaces, veth ends, BPF at hooks, nftables)
 *   - per flow: what it checked, a packet ladder of every captured frame with the
 *     frames each expectation met, a failed expectation in red with expected beside
 *     actual field by field, the decoded layers of a clicked frame, the counters
 *     (translator, conntrack, kernel checksum errors) and its pcaps.
 * Self-contained: inline SVG, CSS and script; it fetches nothing.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import type { ExpectDetail, FlowDetail } from "../../flow/detail.ts";
import type { FlowOutcome } from "../../flow/flow.ts";
import type { Lab } from "../../lab/schema.ts";
import type { Frame } from "../../match/capture.ts";
import { isNoise } from "../../match/noise.ts";
import { showValue } from "../../match/values.ts";
import { describe, inspect, type Packet, readPcap } from "../../packet/index.ts";
import type { ChecksumProblem } from "../../packet/verify.ts";
import type { Plan } from "../../plan/plan.ts";
import { stripColor } from "../../text/color.ts";
import type { ResultsLayout, Summary } from "../results.ts";
import { CSS, JS } from "./assets.ts";
import { esc, href, scriptJson } from "./escape.ts";
import { dotToSvg } from "./graphviz.ts";
import { type LadderFrame, type LadderMark, ladderSvg } from "./ladder.ts";
import { topologyDot } from "./topology.ts";

export interface ReportInput {
  lab: Lab;
  plan: Plan;
  summary: Summary;
  outcomes: FlowOutcome[];
  layout: ResultsLayout;
  /** the lab could not be built */
  error?: string;
}

/** Every device of a lab in drawing order: namespaces as the lab lists them, devices as its links do. */
function deviceRank(lab: Lab): string[] {
  const rank: string[] = [];
  for (const ns of Object.keys(lab.namespaces)) {
    for (const l of lab.links) for (const e of [l.a, l.b]) if (e.ns === ns) rank.push(`${ns}:${e.dev}`);
    for (const d of lab.namespaces[ns].devices) rank.push(`${ns}:${d.name}`);
  }
  return rank;
}

/** The capture devices of a flow in drawing order. */
export function laneOrder(lab: Lab, lanes: string[]): string[] {
  const rank = deviceRank(lab);
  const at = (x: string) => (rank.includes(x) ? rank.indexOf(x) : rank.length);
  return [...lanes].sort((a, b) => at(a) - at(b));
}

/** Each device's MAC and on which side its veth partner is drawn. */
function deviceSides(lab: Lab): Map<string, { mac?: string; peerSide: -1 | 1 }> {
  const rank = deviceRank(lab);
  const out = new Map<string, { mac?: string; peerSide: -1 | 1 }>();
  for (const l of lab.links) {
    const [a, b] = [`${l.a.ns}:${l.a.dev}`, `${l.b.ns}:${l.b.dev}`];
    const aLeft = rank.indexOf(a) <= rank.indexOf(b);
    out.set(a, { mac: l.a.mac?.toLowerCase(), peerSide: aLeft ? 1 : -1 });
    out.set(b, { mac: l.b.mac?.toLowerCase(), peerSide: aLeft ? -1 : 1 });
  }
  return out;
}

/** Whether a frame on a device was received or sent by it, from its Ethernet addresses and the device's MAC. */
function direction(p: Packet, mac: string | undefined): "in" | "out" | undefined {
  const eth = p.find((l) => "eth" in l);
  if (!mac || !eth || !("eth" in eth)) return undefined;
  if (eth.eth.src?.toLowerCase() === mac) return "out";
  if (eth.eth.dst?.toLowerCase() === mac) return "in";
  return undefined;
}

/** Which frames each expectation met, missed closest, or found unexpected: "ns:dev" -> frame number -> marks. */
export function frameMarks(d: FlowDetail): Map<string, Map<number, LadderMark[]>> {
  const marks = new Map<string, Map<number, LadderMark[]>>();
  const add = (on: string, index: number, m: LadderMark) => {
    if (!marks.has(on)) marks.set(on, new Map());
    const byFrame = marks.get(on) as Map<number, LadderMark[]>;
    byFrame.set(index, [...(byFrame.get(index) ?? []), m]);
  };
  for (const e of d.expects) {
    if (!e.match) continue;
    const bad = new Set(e.match.checksumFailures.map((c) => c.index));
    for (const i of e.match.matched) add(e.on, i, { expect: e.index, kind: bad.has(i) ? "badsum" : "matched" });
    if (!e.match.count.ok && e.match.best) add(e.on, e.match.best.index, { expect: e.index, kind: "closest" });
  }
  for (const u of d.unexpected) add(u.on, u.index, { expect: -1, kind: "unexpected" });
  return marks;
}

const problemText = (p: ChecksumProblem) =>
  `${p.layer} ${p.field} is 0x${p.actual.toString(16).padStart(4, "0")}, should be 0x${p.expected.toString(16).padStart(4, "0")}`;

const markText = (m: LadderMark) =>
  ({
    matched: `✓ met expect[${m.expect}]`,
    badsum: `✗ matched expect[${m.expect}] with a wrong checksum`,
    closest: `✗ expect[${m.expect}] failed: this is the closest frame (diff below the ladder)`,
    unexpected: "✗ not expected (the flow says only: true)",
  })[m.kind];

/** Layers for the frame panel: long payloads cut (the pcap has them whole). */
function shownLayers(p: Packet): unknown[] {
  return p.map((layer) => {
    if (!("payload" in layer)) return layer;
    const f = layer.payload;
    const cut = (s: string | undefined, n: number) => (s !== undefined && s.length > n ? `${s.slice(0, n)}…` : s);
    return { payload: { size: f.size, hex: cut(f.hex, 128), text: cut(f.text, 80) } };
  });
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

function expectLine(e: ExpectDetail, flow: string, laneOf: (on: string) => number): string {
  const why = e.why ? ` — ${esc(e.why)}` : "";
  if (e.notApplied)
    return `<li class="na">– expect[${e.index}] on ${esc(e.on)}: not checked (${esc(e.notApplied)})${why}</li>`;
  const m = e.match;
  if (!m) return "";
  const refs = m.matched
    .slice(0, 12)
    .map((i) => `<a href="#" class="frame-ref" data-flow="${flow}" data-frame="${laneOf(e.on)}:${i}">#${i}</a>`)
    .join(" ");
  const more = m.matched.length > 12 ? ` … ${m.matched.length - 12} more` : "";
  const got = `wanted ${esc(e.wanted)}, ${m.matched.length} matched${m.matched.length ? `: ${refs}${more}` : ""}`;
  const sums = m.checksumFailures.length
    ? `; ${count(m.checksumFailures.length, "matched frame")} with a wrong checksum`
    : "";
  const mark = e.ok ? '<span class="mark">✓</span>' : "✗";
  return `<li class="${e.ok ? "ok" : "ko"}">${mark} expect[${e.index}] on ${esc(e.on)}: ${got}${sums}${why}</li>`;
}

/** A failed expectation, in red: the counts, then expected beside actual, field by field, for the closest frame. */
function failedExpect(e: ExpectDetail): string {
  const m = e.match;
  if (!m || e.ok) return "";
  const seen = `${count(m.frames.total, "frame")} captured on ${e.on}${m.frames.noise ? `, ${m.frames.noise} link noise set aside` : ""}`;
  const parts = [
    `<div class="failed-expect" data-expect="${e.index}"><h4>✗ expect[${e.index}] on ${esc(e.on)} failed</h4>`,
    `<div>wanted ${esc(e.wanted)} matching, got ${m.count.got} (${esc(seen)})</div>`,
    `<div class="mono">expected: ${esc(describe(e.packet))}</div>`,
  ];
  if (m.best) {
    parts.push(`<div>closest frame: #${m.best.index}</div>`);
    parts.push('<table class="diff"><tr><th>field</th><th>expected</th><th>actual</th><th></th></tr>');
    for (const f of m.best.fields) {
      const [layer, field] = [f.path.split(".")[0].replace(/\[\d+\]$/, ""), f.path.split(".").slice(1).join(".")];
      parts.push(
        `<tr class="${f.ok ? "ok" : "ko"}"><td class="mono">${esc(f.path)}</td><td class="mono">${esc(showValue(layer, field, f.expected))}</td><td class="mono">${esc(showValue(layer, field, f.actual))}</td><td>${f.ok ? "=" : "≠"}</td></tr>`,
      );
    }
    parts.push("</table>");
  } else if (m.count.got === 0) {
    parts.push("<div>no frame to compare with</div>");
  }
  for (const c of m.checksumFailures)
    parts.push(`<div>frame #${c.index}: ${esc(c.problems.map(problemText).join("; "))}</div>`);
  parts.push("</div>");
  return parts.join("\n");
}

function countersHtml(d: FlowDetail): string {
  const blocks: string[] = [];
  const tr = Object.entries(d.translator);
  if (tr.length) {
    const rows = tr.map(([dev, c]) => {
      const moved = Object.entries(c);
      const cells = moved.length
        ? moved.map(([k, v]) => `<span class="${/drop/.test(k) ? "nz" : ""}">${esc(k)} +${v}</span>`).join("<br>")
        : '<span class="muted">no change</span>';
      return `<tr><td>${esc(dev)}</td><td class="mono">${cells}</td></tr>`;
    });
    blocks.push(`<div><h4>translator counters during the flow</h4><table class="kv">${rows.join("")}</table></div>`);
  }
  const cs = Object.entries(d.csumErrors);
  if (cs.length) {
    const rows = cs.map(([ns, c]) => {
      const bad = Object.entries(c).filter(([, v]) => v !== 0);
      const cell = bad.length ? bad.map(([k, v]) => `<span class="nz">${esc(k)} +${v}</span>`).join("<br>") : "none";
      return `<tr><td>${esc(ns)}</td><td class="mono">${cell}</td></tr>`;
    });
    blocks.push(`<div><h4>kernel checksum errors during the flow</h4><table class="kv">${rows.join("")}</table></div>`);
  }
  for (const [ns, lines] of Object.entries(d.conntrack)) {
    blocks.push(
      `<div><h4>conntrack in ${esc(ns)} after the flow</h4><pre>${esc(lines.join("\n") || "(empty)")}</pre></div>`,
    );
  }
  return blocks.length ? `<div class="counters">${blocks.join("\n")}</div>` : "";
}

function flowSection(o: FlowOutcome, n: number, input: ReportInput): string {
  const id = `f${n}`;
  const { layout, lab } = input;
  const parts = [`<section class="flow ${o.status}" id="${id}">`];
  const secs = (o.durationMs / 1000).toFixed(2);
  parts.push(
    `<h3><span class="pill ${o.status}">${o.status}</span> ${esc(o.name)} <span class="muted">${secs}s</span></h3>`,
  );
  const d = o.detail;
  if (d?.why) parts.push(`<div class="why">${esc(d.why)}</div>`);
  if (o.summary) parts.push(`<div>${esc(o.summary)}</div>`);
  if (o.status === "skip") parts.push(`<div class="muted">skipped: ${esc(o.reason ?? "")}</div>`);
  const files = o.pcaps.map((p) => relative(layout.dir, p));
  const flowDir = relative(layout.dir, layout.flowDir(o.name));
  for (const extra of ["injected.pcap", ...Object.keys(d?.conntrack ?? {}).map((ns) => `conntrack-${ns}.txt`)]) {
    if (existsSync(`${layout.flowDir(o.name)}/${extra}`)) files.push(`${flowDir}/${extra}`);
  }
  if (files.length)
    parts.push(
      `<div class="links">${files.map((f) => `<a href="${href(f)}">${esc(f.split("/").pop())}</a>`).join("")}</div>`,
    );
  if (!d) {
    if (o.failures.length) parts.push(`<pre class="failure">${esc(stripColor(o.failures.join("\n\n")))}</pre>`);
    parts.push("</section>");
    return parts.join("\n");
  }
  const captures = [...d.captures];
  // A crafted packet: what natlab sent is a lane of its own, just before the device it was sent on.
  const injected = `${layout.flowDir(o.name)}/injected.pcap`;
  if (d.injectedOn && existsSync(injected))
    captures.push({ on: `${d.injectedOn} (sent)`, pcap: injected, frames: sentFrames(injected, d) });
  const rank = (on: string) => (on.endsWith(" (sent)") ? on.slice(0, -" (sent)".length) : on);
  const order = laneOrder(lab, [...new Set(captures.map((c) => rank(c.on)))]);
  const lanes = captures
    .map((c) => c.on)
    .sort((a, b) => order.indexOf(rank(a)) - order.indexOf(rank(b)) || (b.endsWith(" (sent)") ? 1 : -1));
  const laneOf = (on: string) => lanes.indexOf(on);
  const sides = deviceSides(lab);
  parts.push(`<ul class="expects">${d.expects.map((e) => expectLine(e, id, laneOf)).join("\n")}</ul>`);
  parts.push(...d.expects.map(failedExpect).filter(Boolean));
  if (o.failures.length) {
    parts.push(
      `<details${o.status === "fail" ? " open" : ""}><summary>the console's explanation</summary><pre class="failure">${esc(stripColor(o.failures.join("\n\n")))}</pre></details>`,
    );
  }
  const marks = frameMarks(d);
  const frames: LadderFrame[] = [];
  const data: Record<string, unknown> = {};
  for (const c of captures) {
    const lane = laneOf(c.on);
    const mac = sides.get(c.on)?.mac;
    for (const f of c.frames) {
      const m = marks.get(c.on)?.get(f.index) ?? [];
      const dir = c.on.endsWith(" (sent)") ? "out" : direction(f.packet, mac);
      frames.push({
        lane,
        index: f.index,
        ts: f.ts,
        packet: f.packet,
        noise: isNoise(f.packet),
        problems: f.problems.length,
        marks: m,
        dir,
      });
    }
  }
  const ladderLanes = lanes.map((name) => ({ name, peerSide: sides.get(rank(name))?.peerSide ?? 1 }));
  const ladder = ladderSvg({ flow: id, lanes: ladderLanes, frames });
  // Only the frames drawn get their layers embedded: the pcaps hold every frame.
  const drawn = new Set([...ladder.matchAll(/data-frame="(\d+:\d+)"/g)].map((x) => x[1]));
  for (const c of captures) {
    const lane = laneOf(c.on);
    for (const f of c.frames) {
      const key = `${lane}:${f.index}`;
      if (!drawn.has(key)) continue;
      data[key] = {
        on: c.on,
        index: f.index,
        summary: describe(f.packet),
        layers: shownLayers(f.packet),
        problems: f.problems.map(problemText),
        marks: (marks.get(c.on)?.get(f.index) ?? []).map(markText),
      };
    }
  }
  parts.push(
    '<div class="legend">time runs down; a lane per capture device; an arrow is a frame, drawn from where the same packet was seen before; ' +
      '<span class="v6">IPv6</span> and <span class="v4">IPv4</span> by colour, <b>6→4</b> where it crossed the translator; ' +
      "✓e<i>N</i>: met expect[<i>N</i>]. Click a frame for its layers.</div>",
  );
  parts.push(
    `<div class="ladder-wrap"><div class="ladder-scroll">${ladder}</div><div class="frame-detail" id="detail-${id}" aria-live="polite"><span class="hint">Click a frame to see its decoded layers.</span></div></div>`,
  );
  parts.push(`<script type="application/json" id="data-${id}">${scriptJson(data)}</script>`);
  parts.push(countersHtml(d));
  parts.push("</section>");
  return parts.join("\n");
}

/**
 * The injected frames, as natlab wrote them: they were sent just before the
 * first capture saw anything, so they get that time (a hair earlier).
 */
function sentFrames(file: string, d: FlowDetail): Frame[] {
  const first = Math.min(...d.captures.flatMap((c) => c.frames.map((f) => f.ts)), Number.POSITIVE_INFINITY);
  const t = Number.isFinite(first) ? first - 1e-6 : 0;
  const pcap = readPcap(readFileSync(file));
  return pcap.frames.map((f, i) => {
    const { packet, problems } = inspect(f.data, { linktype: pcap.linktype });
    return { index: i + 1, packet, problems, ts: t + i * 1e-7 };
  });
}

/** The ruleset text each namespace gets, from the plan's own nft steps. */
function nftTexts(plan: Plan): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of plan.setup) if (s.id.startsWith("nft:") && s.stdin) out[s.id.slice(4)] = s.stdin;
  return out;
}

/** The page as one string. */
export async function reportHtml(input: ReportInput): Promise<string> {
  const { lab, plan, summary, layout } = input;
  const c = summary.counts;
  const status = c.fail > 0 || input.error ? "fail" : "pass";
  let topology: string;
  try {
    topology = await dotToSvg(topologyDot(lab, { nft: nftTexts(plan), real: plan.namespaces }));
  } catch (err) {
    topology = `<div class="error-box">the topology could not be drawn: ${esc((err as Error).message)}</div>`;
  }
  const links = [
    ["plan.sh", layout.plan, "what ran, as shell"],
    ["trace.txt", layout.trace, "bpf_printk output"],
    ["report.tap", layout.tap, "TAP"],
    ["junit.xml", layout.junit, "JUnit"],
    ["summary.json", layout.summary, "summary"],
    ["stats.json", layout.stats, "translator counters at the end"],
  ].filter(([, path]) => existsSync(path) || path === layout.tap || path === layout.junit || path === layout.summary);
  const toc = input.outcomes
    .map(
      (o, i) =>
        `<tr><td><span class="pill ${o.status}">${o.status}</span></td><td><a href="#f${i}">${esc(o.name)}</a></td><td class="muted">${(o.durationMs / 1000).toFixed(2)}s</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>natlab ${esc(lab.name)} ${esc(summary.runId)}: ${status}</title>
<style>${CSS}</style>
</head>
<body>
<header class="top">
<h1>natlab: ${esc(lab.name)} <span class="pill ${status}">${status}</span></h1>
<div class="meta">${esc(lab.description ?? "")}</div>
<div class="meta counts"><span>${c.pass} passed</span><span>${c.fail + (input.error ? 1 : 0)} failed</span><span>${c.skip} skipped</span>
<span>kernel ${esc(summary.kernel)}</span><span>variant ${esc(summary.variant)}</span><span>run ${esc(summary.runId)}</span>
<span>${esc(summary.startedAt)}</span><span>${(summary.durationMs / 1000).toFixed(1)}s</span></div>
<div class="meta">${links.map(([name, path, what]) => `<a href="${href(relative(layout.dir, path))}" title="${esc(what)}">${esc(name)}</a>`).join(" · ")} · <a href="../../index.html">all labs</a></div>
</header>
<main>
${input.error ? `<div class="error-box"><b>the lab could not be built:</b><pre>${esc(stripColor(input.error))}</pre></div>` : ""}
<h2>Topology</h2>
<div class="topology">${topology}</div>
<h2>Flows</h2>
<table class="toc">${toc}</table>
${input.outcomes.map((o, i) => flowSection(o, i, input)).join("\n")}
</main>
<script>${JS}</script>
</body>
</html>
`;
}

/** Writes report.html into the run's directory. */
export async function writeHtmlReport(input: ReportInput): Promise<string> {
  writeFileSync(input.layout.html, await reportHtml(input));
  return input.layout.html;
}
