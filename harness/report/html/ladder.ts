/**
 * A packet ladder: one flow's captures as a sequence diagram. Each capture
 * device is a lane (left to right in the order the lab's topology lists
 * them), each captured frame a row in capture-time order. A frame is an
 * arrow into its lane: from the lane where the same packet was seen last
 * (the same transport identity, translated or not), or a short stub when this
 * is its first sighting. So an IPv6 frame on one lane followed by its IPv4
 * translation on the next reads as one arrow crossing the translator, with
 * "6→4" on it. Expectations mark the frames they met (✓e0) and, when they
 * failed, the closest frame (✗e1). Plain SVG: every row is a focusable group
 * the page's script opens on click.
 */
import { describe, layerFields, layerName, type Packet } from "../../packet/index.ts";
import { payloadBytes } from "../../packet/payload.ts";
import { esc } from "./escape.ts";

export interface LadderMark {
  expect: number;
  /** matched: met the expectation; closest: the nearest miss of a failed one; unexpected: broke `only`; badsum: matched with a wrong checksum */
  kind: "matched" | "closest" | "unexpected" | "badsum";
}

export interface LadderFrame {
  lane: number;
  /** frame number in its pcap, 1-based as Wireshark counts */
  index: number;
  ts: number;
  packet: Packet;
  noise: boolean;
  /** how many of its checksums do not verify */
  problems: number;
  marks: LadderMark[];
  /** received by the lane's device (in) or sent by it (out), when its MAC says */
  dir?: "in" | "out";
}

export interface Lane {
  name: string;
  /** the side of the device's link partner: -1 left, 1 right (where frames come in from and go out to) */
  peerSide: -1 | 1;
}

export interface Ladder {
  /** the flow's element id (rows carry it, so the page finds the frame's data) */
  flow: string;
  lanes: Lane[];
  frames: LadderFrame[];
}

/** At most this many rows are drawn (marked frames always are); the pcaps hold the rest. */
export const MAX_ROWS = 240;

const HEAD = 46;
const ROW = 24;
const TIME_W = 78;
const LANE_GAP = 150;
const STUB = 46;
const BADGE_W = 96;
/** DejaVu Sans Mono at 12px: the width of a character, for sizing the text column. */
const CHAR_W = 7.3;

/** The IP version of a frame's outer packet (0: neither, e.g. ARP). */
export function ipVersion(p: Packet): 4 | 6 | 0 {
  for (const l of p) {
    const n = layerName(l);
    if (n === "ipv4") return 4;
    if (n === "ipv6") return 6;
  }
  return 0;
}

/**
 * What stays the same when a packet crosses a translator or NAT66: the
 * transport header's sequence numbers and flags, an echo's id and sequence,
 * a UDP destination port, and the payload. Addresses, source ports (NAT may
 * change them) and the IP version are left out. undefined for frames with nothing to follow (ARP, quoted-only).
 */
export function packetKey(p: Packet): string | undefined {
  const names = p.map(layerName);
  const payload = p.filter((l) => layerName(l) === "payload").map((l) => payloadBytes(layerFields(l) as never));
  const data = payload.length ? `${payload[0].length}:${payload[0].subarray(0, 48).toString("hex")}` : "0";
  const l4 = names.findIndex((n) => n === "tcp" || n === "udp" || n === "icmp" || n === "icmpv6");
  if (l4 < 0) return undefined;
  const f = layerFields(p[l4]) as Record<string, unknown>;
  switch (names[l4]) {
    case "tcp":
      return `tcp ${f.seq} ${f.ack} ${f.flags} ${data}`;
    case "udp":
      // Probes with one payload (traceroute's) differ in their destination port, which NAT leaves alone.
      return `udp ${f.dport} ${data}`;
    default: {
      const v6 = names[l4] === "icmpv6";
      const type = Number(f.type);
      // Echo request/reply keep id and sequence across RFC 7915 (ICMPv6 128/129 <-> ICMP 8/0).
      const echo = v6 ? { 128: "req", 129: "rep" }[type] : { 8: "req", 0: "rep" }[type];
      if (echo) return `echo ${echo} ${f.id} ${f.seq} ${data}`;
      // An error: what it quotes identifies it.
      const quoted = packetKey(p.slice(l4 + 1));
      return quoted ? `error ${quoted}` : undefined;
    }
  }
}

/** A frame's one line, shortened for the ladder (the full line is its tooltip). */
export function summaryLine(p: Packet, max = 92): string {
  const s = describe(p);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The frames to draw: every marked frame, then the earliest others, up to MAX_ROWS; in time order. */
export function rowsToDraw(frames: LadderFrame[], max = MAX_ROWS): { rows: LadderFrame[]; omitted: number } {
  const byTime = [...frames].sort((a, b) => a.ts - b.ts || a.lane - b.lane || a.index - b.index);
  const marked = byTime.filter((f) => f.marks.length > 0);
  const room = Math.max(0, max - marked.length);
  const keep = new Set([...marked, ...byTime.filter((f) => f.marks.length === 0).slice(0, room)]);
  const rows = byTime.filter((f) => keep.has(f));
  return { rows, omitted: frames.length - rows.length };
}

/**
 * For each row, the row index of the same packet's last earlier sighting on
 * another lane (within a second), or -1.
 */
export function predecessors(rows: LadderFrame[]): number[] {
  const last = new Map<string, number>();
  return rows.map((f, i) => {
    const key = packetKey(f.packet);
    if (key === undefined) return -1;
    const prev = last.get(key);
    last.set(key, i);
    if (prev === undefined) return -1;
    const p = rows[prev];
    return p.lane !== f.lane && f.ts - p.ts < 1 ? prev : -1;
  });
}

function markText(m: LadderMark): string {
  const sign = m.kind === "matched" ? "✓" : "✗";
  const what = { matched: "", closest: " closest", unexpected: " unexpected", badsum: " checksum" }[m.kind];
  return m.kind === "unexpected" ? "✗ only" : `${sign}e${m.expect}${what}`;
}

const versionClass = (v: 4 | 6 | 0) => (v === 6 ? "v6" : v === 4 ? "v4" : "vx");

/** The ladder as an SVG element (no XML prolog: it goes inline into the page). */
export function ladderSvg(l: Ladder): string {
  const { rows, omitted } = rowsToDraw(l.frames);
  const pred = predecessors(rows);
  const laneX = (i: number) => TIME_W + STUB + 10 + i * LANE_GAP;
  const badgeX = laneX(Math.max(0, l.lanes.length - 1)) + STUB + 14;
  const textX = badgeX + BADGE_W;
  const width =
    textX + 20 + CHAR_W * Math.max(40, ...rows.map((f) => summaryLine(f.packet).length + String(f.index).length + 2));
  const height = HEAD + Math.max(1, rows.length + (omitted ? 1 : 0)) * ROW + 10;
  const t0 = rows.length ? rows[0].ts : 0;
  const out: string[] = [];
  out.push(
    `<svg class="ladder" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="packet ladder">`,
  );
  out.push(
    '<defs><marker id="ah" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">' +
      '<path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>',
  );
  out.push(`<text class="hd" x="4" y="18">time</text>`);
  l.lanes.forEach((lane, i) => {
    out.push(`<text class="hd lane-name" x="${laneX(i)}" y="18" text-anchor="middle">${esc(lane.name)}</text>`);
    out.push(`<line class="lane" x1="${laneX(i)}" y1="26" x2="${laneX(i)}" y2="${height - 6}"/>`);
  });
  out.push(`<text class="hd" x="${badgeX}" y="18">expect</text><text class="hd" x="${textX}" y="18">frame</text>`);
  rows.forEach((f, r) => {
    const y = HEAD + r * ROW;
    const x = laneX(f.lane);
    const v = ipVersion(f.packet);
    const failed = f.marks.some((m) => m.kind !== "matched");
    const matched = f.marks.some((m) => m.kind === "matched");
    const cls = ["frame", versionClass(v), f.noise ? "noise" : "", failed ? "bad" : matched ? "met" : ""]
      .filter(Boolean)
      .join(" ");
    const full = `${l.lanes[f.lane].name} #${f.index}: ${describe(f.packet)}`;
    out.push(
      `<g class="${cls}" tabindex="0" role="button" data-flow="${esc(l.flow)}" data-frame="${f.lane}:${f.index}" aria-label="${esc(full)}">`,
    );
    out.push(`<title>${esc(full)}</title>`);
    out.push(`<rect class="row" x="0" y="${y - ROW / 2}" width="${width}" height="${ROW}"/>`);
    out.push(`<text class="t" x="4" y="${y + 4}">+${((f.ts - t0) * 1000).toFixed(1)} ms</text>`);
    const p = pred[r];
    // Seen before on another lane: from there. Otherwise a stub: in from the link partner's side, or out towards it.
    const side = l.lanes[f.lane].peerSide;
    const [from, to] =
      p >= 0 ? [laneX(rows[p].lane), x] : f.dir === "out" ? [x, x + side * STUB] : [x + side * STUB, x];
    const end = to + (to > from ? -5 : 5) * (to === x ? 1 : 0);
    out.push(`<line class="arrow" x1="${from}" y1="${y}" x2="${end}" y2="${y}" marker-end="url(#ah)"/>`);
    if (p >= 0) {
      const pv = ipVersion(rows[p].packet);
      if (pv && v && pv !== v) {
        out.push(`<text class="xlat" x="${(from + x) / 2}" y="${y - 4}" text-anchor="middle">${pv}→${v}</text>`);
      }
    }
    out.push(`<circle class="dot" cx="${x}" cy="${y}" r="4.5"/>`);
    if (f.problems > 0) out.push(`<text class="csum" x="${x + 8}" y="${y - 5}">csum</text>`);
    out.push(
      `<text class="badge" x="${badgeX}" y="${y + 4}">${f.marks.map((m) => `<tspan class="${m.kind === "matched" ? "ok" : "ko"}">${esc(markText(m))} </tspan>`).join("")}</text>`,
    );
    out.push(
      `<text class="sum" x="${textX}" y="${y + 4}"><tspan class="num">#${f.index}</tspan> ${esc(summaryLine(f.packet))}</text>`,
    );
    out.push("</g>");
  });
  if (omitted) {
    const y = HEAD + rows.length * ROW;
    out.push(
      `<text class="more" x="${textX}" y="${y + 4}">… ${omitted} more frame${omitted === 1 ? "" : "s"} not drawn: open the pcaps</text>`,
    );
  }
  if (!rows.length) out.push(`<text class="more" x="${textX}" y="${HEAD + 4}">no frame was captured</text>`);
  out.push("</svg>");
  return out.join("\n");
}
