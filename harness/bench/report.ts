/**
 * bench.json -> bench.md (tables) and the chart (SVG). Pure functions of a
 * Bench, so the same run always renders the same files.
 */
import { panel, svgDocument } from "./chart.ts";
import { DESIGNS, KINDS } from "./macro.ts";
import type { Bench } from "./shape.ts";

export const DEFAULT_PREFIX = "64:ff9b:1:fffe::/96";
const COLORS = {
  "plain-ipv4": "#7f7f7f",
  "nat66-nat64": "#1f77b4",
  "nat44-design": "#d62728",
  net: "#1f77b4",
  proto: "#ff7f0e",
};

function num(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "-";
  return v >= 100 ? v.toFixed(0) : v.toFixed(digits);
}

function kindTitle(kind: string): string {
  return KINDS.find((k) => k.kind === kind)?.title ?? kind;
}

export function benchMarkdown(b: Bench): string {
  const out: string[] = [];
  out.push(`# natlab bench (${b.mode})`, "");
  out.push(
    `${b.startedAt}, kernel ${b.kernel}, ${b.cpus} CPUs, translator ${b.object} (sha256 ${b.objectSha256.slice(0, 12)}); \`${b.command}\` took ${(b.durationMs / 1000).toFixed(0)} s.`,
    "",
  );
  for (const e of b.errors) out.push(`**Not measured:** ${e.split("\n")[0]}`, "");
  if (b.mode === "quick")
    out.push("Quick mode: a smoke run. Its figures are not measurements; run `natlab bench` for those.", "");

  out.push("## Cost per packet (BPF_PROG_TEST_RUN)", "");
  out.push(
    `Method: ${b.micro.method}. ${b.micro.batches} batches × ${b.micro.rounds} calls × ${b.micro.repeat} runs per program and case.`,
    "",
  );
  out.push(
    "ns per translation = (driver − its floor) + change_proto; change_proto = (there and back − TC_ACT_OK) / 2; 95% confidence intervals in brackets; " +
      "ratio = ns per translation / change_proto. Proof: every call's frame came out as it went in, after the driver counted a translation on every run.",
    "",
  );
  out.push("| direction | case | prefix | ns per translation | change_proto | ratio | proof |");
  out.push("|---|---|---|---:|---:|---:|---|");
  const est = (e: { value: number; lo: number; hi: number }) =>
    `${e.value.toFixed(1)} [${e.lo.toFixed(1)}, ${e.hi.toFixed(1)}]`;
  for (const r of b.micro.rows) {
    out.push(
      `| ${r.direction} | ${r.case} | ${r.prefix} | ${est(r.ns)} | ${est(r.protoNs)} | ${num(r.ratio)} | ${r.proof.calls} calls × ${r.proof.runsPerCall} translations, ${r.proof.failedCalls} failed |`,
    );
  }
  out.push("");

  out.push("## Throughput (iperf3, median of repeats)", "");
  out.push(`Method: ${b.macro.method}`, "");
  out.push(`Designs: ${b.macro.designs.map((d) => `${d.id}: ${d.title} (${d.lab})`).join("; ")}.`, "");
  out.push(
    "| test | offloads | plain-ipv4 | nat66-nat64 | nat44-design | nat66-nat64 / plain-ipv4 | nat66-nat64 / nat44-design |",
  );
  out.push("|---|---|---:|---:|---:|---:|---:|");
  for (const ratio of b.macro.ratios) {
    const cell = (d: string) =>
      b.macro.cells.find((c) => c.design === d && c.kind === ratio.kind && c.offloads === ratio.offloads);
    const show = (d: string) => {
      const c = cell(d);
      if (!c) return "-";
      const lost = c.samples.reduce((n, s) => n + (s.lost ?? 0), 0);
      const sent = c.samples.reduce((n, s) => n + (s.sent ?? 0), 0);
      return `${num(c.median)} ${c.unit}${sent ? ` (${((100 * lost) / sent).toFixed(0)}% lost)` : ""}`;
    };
    out.push(
      `| ${kindTitle(ratio.kind)} | ${ratio.offloads} | ${show("plain-ipv4")} | ${show("nat66-nat64")} | ${show("nat44-design")} | ${num(ratio.vsPlainIpv4)} | ${num(ratio.vsNat44Design, 1)} |`,
    );
  }
  out.push("");

  const steps = ["plain-ipv4", "ipv4-nat44", "plain-ipv6", "ipv6-nat66", "nat66-nat64"].filter((d) =>
    b.macro.cells.some((c) => c.design === d && c.kind === "tcp1"),
  );
  if (steps.some((d) => DESIGNS.find((x) => x.id === d)?.diagnostic)) {
    out.push("## Where the time goes: TCP from plain-ipv4 to nat66-nat64 one step at a time", "");
    out.push(
      "Each figure: median Gbit/s, the runs' range in brackets. Read the steps against the ranges: on a small shared machine, runs differ by tens of percent.",
      "",
    );
    out.push(
      "| design | 1 stream, offloads on | vs plain-ipv4 | 4 streams, offloads on | vs plain-ipv4 | " +
        "1 stream, offloads off | vs plain-ipv4 | 4 streams, offloads off | vs plain-ipv4 |",
    );
    out.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    const cellOf = (d: string, kind: string, o: string) =>
      b.macro.cells.find((c) => c.design === d && c.kind === kind && c.offloads === o);
    const range = (c?: Bench["macro"]["cells"][number]) => {
      const v = c?.samples.map((s) => s.value) ?? [];
      return v.length > 1 ? ` [${num(Math.min(...v))}–${num(Math.max(...v))}]` : "";
    };
    for (const d of steps) {
      const title = b.macro.designs.find((x) => x.id === d)?.title ?? d;
      const col = (kind: string, o: string) => {
        const c = cellOf(d, kind, o);
        const a = cellOf("plain-ipv4", kind, o)?.median;
        return `${num(c?.median)}${range(c)} | ${c && a ? num(c.median / a) : "-"}`;
      };
      out.push(
        `| ${d}: ${title} | ${col("tcp1", "on")} | ${col("tcp4", "on")} | ${col("tcp1", "off")} | ${col("tcp4", "off")} |`,
      );
    }
    out.push("");
    const withCpu = b.macro.cells.filter(
      (c) => c.kind !== "udp64" && c.offloads === "on" && c.samples.some((s) => s.cpus?.length),
    );
    if (withCpu.length) {
      out.push("### Where the CPUs went (TCP, offloads on; mean over the runs, % of each CPU)", "");
      out.push(
        "user = iperf3 itself; system = the kernel outside softirq (sending, copying to and from sockets); softirq = receiving, forwarding, tc and NAT.",
        "",
      );
      out.push(
        "| design | test | Gbit/s | CPU 0 user / system / softirq / idle | CPU 1 user / system / softirq / idle |",
      );
      out.push("|---|---|---:|---|---|");
      for (const c of withCpu) {
        const cpus = c.samples.flatMap((s) => (s.cpus ? [s.cpus] : []));
        const cell = (i: number) => {
          const mean = (k: "user" | "system" | "softirq" | "idle") =>
            (100 * cpus.reduce((n, x) => n + (x[i]?.[k] ?? 0), 0)) / cpus.length;
          return `${mean("user").toFixed(0)} / ${mean("system").toFixed(0)} / ${mean("softirq").toFixed(0)} / ${mean("idle").toFixed(0)}`;
        };
        out.push(`| (${c.design}) | ${kindTitle(c.kind)} | ${num(c.median)} | ${cell(0)} | ${cell(1)} |`);
      }
      out.push("");
    }
  }

  out.push(...costTable(b));

  if (b.macro.probes.length) {
    out.push("## Packet sizes during short TCP runs", "");
    out.push(
      "Frames longer than 1514 bytes are GSO super-packets: kept whole through the router, they are segmented only where they finally leave (here: never, veth to veth).",
      "",
    );
    out.push("| design | offloads | test | where | frames | largest | median | share > 1514 B |");
    out.push("|---|---|---|---|---:|---:|---:|---:|");
    for (const p of b.macro.probes) {
      out.push(
        `| (${p.design}) | ${p.offloads} | ${kindTitle(p.kind ?? "tcp1")} | ${p.where} | ${p.frames} | ${p.maxLen} | ${p.medianLen} | ${(100 * p.superShare).toFixed(0)}% |`,
      );
    }
    out.push("");
  }

  out.push("## Targets", "");
  out.push("| what | target | actual | met |");
  out.push("|---|---|---|---|");
  for (const t of b.targets)
    out.push(`| ${t.what} | ${t.target} | ${t.actual} | ${t.met === null ? "not judged" : t.met ? "yes" : "no"} |`);
  out.push("");
  return out.join("\n");
}

/** The per-byte table: CPU time per GB and packet sizes per design and test (Sample.cost, harness/bench/cost.ts). */
function costTable(b: Bench): string[] {
  const out: string[] = [];
  const withCost = b.macro.cells.filter((c) => c.kind !== "udp64" && c.samples.some((s) => s.cost));
  if (withCost.length) {
    out.push("## What each design costs per byte (TCP; medians over the runs)", "");
    out.push(
      "CPU ms per GB received: the iperf3 client and server processes (the softirq work they run - forwarding, tc, NAT, " +
        "the receiving TCP - is charged to them) plus the ksoftirqd threads. Unlike Gbit/s, it does not fall when a " +
        "neighbour takes the CPUs. Bytes per packet: rx bytes / rx packets of the veth (one skb counts once, so a GSO " +
        "super-packet kept whole shows as tens of KB).",
      "",
    );
    out.push(
      "| design | test | offloads | Gbit/s | CPU ms/GB (client + server + router + ksoftirqd) | vs plain-ipv4 | B/packet into the router | B/packet into the server |",
    );
    out.push("|---|---|---|---:|---:|---:|---:|---:|");
    const med = (xs: number[]) => {
      const v = [...xs].sort((x, y) => x - y);
      return v.length ? (v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2) : Number.NaN;
    };
    const costOf = (c?: Bench["macro"]["cells"][number]) => c?.samples.flatMap((s) => (s.cost ? [s.cost] : [])) ?? [];
    for (const o of ["on", "off"]) {
      for (const kind of ["tcp1", "tcp4"]) {
        const base = med(
          costOf(b.macro.cells.find((c) => c.design === "plain-ipv4" && c.kind === kind && c.offloads === o)).map(
            (x) => x.cpuMsPerGB.total,
          ),
        );
        for (const d of ["plain-ipv4", "ipv4-nat44", "plain-ipv6", "ipv6-nat66", "nat66-nat64", "nat44-design"]) {
          const c = withCost.find((x) => x.design === d && x.kind === kind && x.offloads === o);
          const costs = costOf(c);
          if (!c || !costs.length) continue;
          const m = (f: (x: (typeof costs)[number]) => number) => med(costs.map(f));
          const total = m((x) => x.cpuMsPerGB.total);
          out.push(
            `| ${d} | ${kindTitle(kind)} | ${o} | ${num(c.median)} | ${num(total, 0)} (${num(
              m((x) => x.cpuMsPerGB.client),
              0,
            )} + ` +
              `${num(
                m((x) => x.cpuMsPerGB.server),
                0,
              )} + ${num(
                m((x) => x.cpuMsPerGB.router ?? 0),
                0,
              )} + ` +
              `${num(
                m((x) => x.cpuMsPerGB.ksoftirqd),
                0,
              )}) | ${num(total / base)} | ` +
              `${num(
                m((x) => x.bytesPerPacket["router:eth0"] ?? 0),
                0,
              )} | ${num(
                m((x) => x.bytesPerPacket["server:eth0"] ?? 0),
                0,
              )} |`,
          );
        }
      }
    }
    out.push("");
  }
  return out;
}

export function benchSvg(b: Bench): string {
  const width = 920;
  const body: string[] = [];
  const micro = b.micro.rows.filter((r) => r.prefix === DEFAULT_PREFIX);
  const rows = micro.length ? micro : b.micro.rows;
  body.push(
    panel({
      x: 0,
      y: 0,
      width,
      height: 300,
      title: `Cost per packet, prefix ${rows[0]?.prefix ?? DEFAULT_PREFIX} (ns per translation, in-kernel repetition)`,
      yLabel: "ns per packet",
      series: [
        { name: "translator", color: COLORS.net },
        { name: "bpf_skb_change_proto alone", color: COLORS.proto },
      ],
      groups: rows.map((r) => ({
        label: `${r.direction}\n${r.case}`,
        values: [Math.max(0, r.ns.value), Math.max(0, r.protoNs.value)],
        notes: [num(r.ns.value, 0), num(r.protoNs.value, 0)],
      })),
    }),
  );
  const groups = b.macro.ratios.map((ratio) => {
    const cells = DESIGNS.filter((d) => !d.diagnostic).map((d) =>
      b.macro.cells.find((c) => c.design === d.id && c.kind === ratio.kind && c.offloads === ratio.offloads),
    );
    const a = cells[0]?.median;
    return {
      label: `${kindTitle(ratio.kind).replace("-byte datagrams", " B")}\n${cells.find((c) => c)?.unit ?? ""}, offloads ${ratio.offloads}`,
      values: cells.map((c) => (c && a ? (100 * c.median) / a : null)),
      notes: cells.map((c) => (c ? String(+c.median.toPrecision(3)) : "")),
    };
  });
  body.push(
    panel({
      x: 0,
      y: 310,
      width,
      height: 320,
      title:
        "Throughput relative to plain IPv4 forwarding (plain-ipv4 = 100%); over each bar the median in the group's unit",
      yLabel: "% of plain-ipv4",
      series: DESIGNS.filter((d) => !d.diagnostic).map((d) => ({
        name: `${d.id}: ${d.title}`,
        color: COLORS[d.id as "plain-ipv4" | "nat66-nat64" | "nat44-design"],
      })),
      groups,
    }),
  );
  return svgDocument(width, 640, body, `natlab bench (${b.mode}), ${b.startedAt}, kernel ${b.kernel}`);
}
