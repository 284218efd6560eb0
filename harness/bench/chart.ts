/**
 * A grouped bar chart as plain SVG text: groups along x, one bar per series
 * in each group, a y axis with round ticks, a legend. No library: the chart
 * is small and its markup should stay readable in a diff.
 */

export interface Series {
  name: string;
  color: string;
}

export interface Group {
  label: string;
  /** one value per series; null leaves a gap */
  values: (number | null)[];
  /** text over each bar (default: the value) */
  notes?: string[];
}

export interface PanelOptions {
  x: number;
  y: number;
  width: number;
  height: number;
  title: string;
  yLabel: string;
  series: Series[];
  groups: Group[];
}

export function esc(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/** 1, 2 or 5 times a power of ten, so that about five ticks cover max. */
export function tickStep(max: number): number {
  if (!(max > 0)) return 1;
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

export function panel(o: PanelOptions): string {
  const left = o.x + 60;
  const top = o.y + 40;
  const plotW = o.width - 70;
  const plotH = o.height - 100;
  const bottom = top + plotH;
  const max = Math.max(1e-9, ...o.groups.flatMap((g) => g.values.filter((v): v is number => v !== null)));
  const step = tickStep(max);
  const yMax = Math.ceil(max / step) * step;
  const yOf = (v: number) => bottom - (Math.max(0, v) / yMax) * plotH;
  const out: string[] = [];
  out.push(`<text x="${o.x + o.width / 2}" y="${o.y + 18}" text-anchor="middle" class="title">${esc(o.title)}</text>`);
  for (let v = 0; v <= yMax + step / 2; v += step) {
    const y = yOf(v).toFixed(1);
    out.push(`<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" class="grid"/>`);
    out.push(
      `<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" class="tick">${+v.toPrecision(6)}</text>`,
    );
  }
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" class="axis"/>`);
  out.push(`<line x1="${left}" y1="${bottom}" x2="${left + plotW}" y2="${bottom}" class="axis"/>`);
  const cy = top + plotH / 2;
  out.push(
    `<text x="${o.x + 14}" y="${cy}" text-anchor="middle" transform="rotate(-90 ${o.x + 14} ${cy})" class="label">${esc(o.yLabel)}</text>`,
  );
  const gw = plotW / Math.max(1, o.groups.length);
  const bw = Math.min(40, (gw * 0.8) / Math.max(1, o.series.length));
  o.groups.forEach((g, gi) => {
    const gx = left + gi * gw + (gw - bw * o.series.length) / 2;
    g.values.forEach((v, si) => {
      if (v === null) return;
      const x = gx + si * bw;
      const y = yOf(v);
      const s = o.series[si];
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${(bottom - y).toFixed(1)}" fill="${s.color}"><title>${esc(`${g.label}, ${s.name}: ${g.notes?.[si] ?? v}`)}</title></rect>`,
      );
      const note = g.notes?.[si] ?? String(+v.toPrecision(3));
      out.push(
        `<text x="${(x + bw / 2 - 1).toFixed(1)}" y="${(y - 3).toFixed(1)}" text-anchor="middle" class="note">${esc(note)}</text>`,
      );
    });
    const lines = g.label.split("\n");
    lines.forEach((line, li) => {
      out.push(
        `<text x="${(left + gi * gw + gw / 2).toFixed(1)}" y="${bottom + 15 + li * 13}" text-anchor="middle" class="tick">${esc(line)}</text>`,
      );
    });
  });
  let lx = left;
  const ly = o.y + o.height - 18;
  for (const s of o.series) {
    out.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 14}" y="${ly}" class="label">${esc(s.name)}</text>`);
    lx += 24 + s.name.length * 6.5;
  }
  return out.join("\n");
}

export function svgDocument(width: number, height: number, body: string[], desc: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<desc>${esc(desc)}</desc>`,
    "<style>.title{font-size:14px;font-weight:bold}.label{font-size:11px}.tick{font-size:10px;fill:#333}.note{font-size:9px;fill:#222}.grid{stroke:#ddd;stroke-width:1}.axis{stroke:#333;stroke-width:1}</style>",
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}
