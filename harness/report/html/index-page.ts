/**
 * results/index.html: the latest run of every lab, newest first, with its
 * pass/fail counts and links to its report, TAP and JUnit. Rebuilt from
 * results/<lab>/latest after every lab run, so runs at the same time each
 * leave an index that lists them all (the file is replaced in one rename).
 */
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { latestRun, type Summary } from "../results.ts";
import { CSS } from "./assets.ts";
import { esc, href } from "./escape.ts";

interface Row {
  lab: string;
  summary: Summary;
  dir: string;
}

/** The labs with a latest run under results/, newest first. */
function latestRuns(root: string): Row[] {
  const results = join(root, "results");
  if (!existsSync(results)) return [];
  const rows: Row[] = [];
  for (const lab of readdirSync(results).sort()) {
    let run: ReturnType<typeof latestRun>;
    try {
      run = latestRun(root, lab);
    } catch {
      continue; // not a lab's directory (bench/, matrix/)
    }
    if (!run || !existsSync(run.summary)) continue;
    try {
      rows.push({ lab, summary: JSON.parse(readFileSync(run.summary, "utf8")) as Summary, dir: join(results, lab, "latest") });
    } catch {
      // a summary being written at this moment: the next index will have it
    }
  }
  return rows.sort((a, b) => b.summary.startedAt.localeCompare(a.summary.startedAt));
}

export function indexHtml(root: string): string {
  const results = join(root, "results");
  const rows = latestRuns(root).map(({ lab, summary: s, dir }) => {
    const status = s.counts.fail > 0 ? "fail" : s.counts.pass > 0 ? "pass" : "skip";
    const link = (file: string, text: string) => (existsSync(join(dir, file)) ? `<a href="${href(relative(results, join(dir, file)))}">${text}</a>` : "");
    return `<tr><td><span class="pill ${status}">${status}</span></td><td><b>${link("report.html", esc(lab)) || esc(lab)}</b></td>
<td>${s.counts.pass} passed, ${s.counts.fail} failed, ${s.counts.skip} skipped</td><td class="muted">${esc(s.startedAt)}</td>
<td class="muted">${(s.durationMs / 1000).toFixed(1)}s</td><td class="muted">${esc(s.kernel)} ${esc(s.variant)}</td><td class="mono">${esc(s.runId)}</td>
<td>${[link("report.html", "report"), link("report.tap", "TAP"), link("junit.xml", "JUnit"), link("plan.sh", "plan.sh")].filter(Boolean).join(" · ")}</td></tr>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>natlab results</title>
<style>${CSS}</style>
</head>
<body>
<header class="top"><h1>natlab results</h1><div class="meta">the latest run of each lab, newest first; every run keeps its own directory under results/&lt;lab&gt;/</div></header>
<main>
<table class="index">
<tr><th></th><th>lab</th><th>flows</th><th>started</th><th>took</th><th>kernel, variant</th><th>run</th><th>files</th></tr>
${rows.join("\n") || '<tr><td colspan="8">no lab has run yet</td></tr>'}
</table>
</main>
</body>
</html>
`;
}

/** Rewrites results/index.html; returns its path. */
export function writeIndex(root: string): string {
  const path = join(root, "results", "index.html");
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, indexHtml(root));
  renameSync(tmp, path);
  return path;
}
