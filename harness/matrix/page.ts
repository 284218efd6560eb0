/**
 * results/matrix/index.html: the whole matrix on one page. A column per
 * kernel, a row per golden case file and lab; each cell gives the pass count,
 * the time and the variant, links the lab's own report (report.html where the
 * run wrote one, else summary.json), and shows the verifier's last lines or
 * the failures beneath it. Each column links its JUnit file. Pure: the caller
 * says which files exist and where, relative to the page.
 */
import { posix } from "node:path";
import type { Cell, KernelColumn } from "./column.ts";
import { cellText, columnTitle, matrixRows } from "./table.ts";

export interface PageColumn {
  column: KernelColumn;
  /** The column's directory, relative to the page (e.g. "debian-6.1"). */
  href: string;
  /** Files that exist, relative to the column's directory: "junit.xml", "../../article/ab12cd/report.html", ... */
  files: Set<string>;
}

export interface PageInput {
  columns: PageColumn[];
  /** Wall time of the whole matrix, when it ran here (a merged page has none). */
  wallSeconds?: number;
  generatedAt: string;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

function esc(text: string): string {
  return text.replace(/[&<>"]/g, (ch) => ESCAPES[ch]);
}

/** The link of a lab's cell: its run's report.html when it has one, else its summary.json. */
function labLink(pc: PageColumn, c: Cell | undefined): string | undefined {
  if (!c?.results) return undefined;
  for (const f of [`${c.results}/report.html`, `${c.results}/summary.json`]) {
    if (pc.files.has(f)) return posix.normalize(`${pc.href}/${f}`);
  }
  return undefined;
}

function cellState(c: Cell | undefined, col: KernelColumn): string {
  if (col.unsupported !== undefined) return "unsupported";
  if (!c) return "none";
  return c.failed || c.error ? "fail" : "pass";
}

function cellHtml(pc: PageColumn, kind: "golden" | "lab", c: Cell | undefined): string {
  const col = pc.column;
  const text = esc(cellText(c, col));
  const link = kind === "lab" ? labLink(pc, c) : undefined;
  const parts = [link ? `<a href="${esc(link)}">${text}</a>` : text];
  if (c?.error && col.unsupported === undefined) parts.push(`<div class="err">${esc(c.error)}</div>`);
  if (c?.verifier) parts.push(`<pre class="verifier">${esc(c.verifier)}</pre>`);
  if (c?.failures.length) {
    const items = c.failures.map((f) => `<li>${esc(f)}</li>`).join("");
    parts.push(`<details><summary>${c.failures.length} failed</summary><ul>${items}</ul></details>`);
  }
  return `<td class="${cellState(c, col)}">${parts.join("")}</td>`;
}

function headHtml(pc: PageColumn): string {
  const c = pc.column;
  const junit = pc.files.has("junit.xml") ? ` · <a href="${esc(pc.href)}/junit.xml">JUnit</a>` : "";
  const variant = c.variant ? ` · tc ${esc(c.variant)}` : "";
  const golden = c.goldenSeconds !== undefined ? ` (golden cases ${c.goldenSeconds.toFixed(0)}s)` : "";
  const note = c.unsupported !== undefined ? `<div class="err">not supported: ${esc(c.unsupported)}</div>` : "";
  return `<th>${esc(columnTitle(c))}<div class="sub">${c.seconds.toFixed(0)}s${golden}${variant}${junit}</div>${note}</th>`;
}

/** The page, as one self-contained HTML document. */
export function matrixPage(input: PageInput): string {
  const cols = input.columns.map((pc) => pc.column);
  const rows = matrixRows(cols)
    .map(
      (r) =>
        `<tr><th scope="row">${esc(r.name)}</th>${input.columns.map((pc) => cellHtml(pc, r.kind, r.cell(pc.column))).join("")}</tr>`,
    )
    .join("\n");
  const wall = input.wallSeconds !== undefined ? `; wall time ${input.wallSeconds.toFixed(0)}s` : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>natlab matrix</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: .4em .6em; vertical-align: top; text-align: left; }
td.pass { background: #e9f7ec; } td.fail { background: #fdecea; } td.unsupported { background: #f2f2f2; color: #555; }
.sub { font-weight: normal; font-size: 12px; color: #555; } .err { color: #a00; font-size: 12px; white-space: pre-wrap; }
pre.verifier { font-size: 11px; background: #fff8e6; padding: .4em; max-width: 60ch; overflow-x: auto; }
</style></head><body>
<h1>natlab matrix</h1>
<p>${cols.length} kernel(s), made ${esc(input.generatedAt)}${wall}. A cell: passed/total, the tc variant a lab ran with
(clsact, or literal: the write-up's prio, matchall, act_bpf and act_csum), and its time.</p>
<table>
<tr><th></th>${input.columns.map(headHtml).join("")}</tr>
${rows}
</table>
</body></html>
`;
}
