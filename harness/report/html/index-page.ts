/**
 * results/index.html: the labs of the last `natlab run`, with pass/fail
 * counts and links to each report, TAP and JUnit; then every other lab's
 * latest run. Rebuilt after every lab run from results/<lab>/latest (so runs
 * at the same time each leave an index that lists them all; the file is
 * replaced in one rename), and once more when `natlab run` ends, naming the
 * runs it made.
 */
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { latestRun, type Summary } from "../results.ts";
import { CSS } from "./assets.ts";
import { esc, href } from "./escape.ts";

interface Row {
  lab: string;
  summary: Summary;
  /** the run's directory, as a page link goes to it */
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
      rows.push({
        lab,
        summary: JSON.parse(readFileSync(run.summary, "utf8")) as Summary,
        dir: join(results, lab, "latest"),
      });
    } catch {
      // a summary being written at this moment: the next index will have it
    }
  }
  return rows.sort((a, b) => b.summary.startedAt.localeCompare(a.summary.startedAt));
}

/** `last`: the run directories of the last `natlab run` (absent: every lab's latest run is listed alike). */
export function indexHtml(root: string, last: string[] = []): string {
  const results = join(root, "results");
  const lastRows: Row[] = [];
  for (const dir of last) {
    try {
      const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as Summary;
      lastRows.push({ lab: summary.lab, summary, dir });
    } catch {
      // pruned since, or never finished: not listed
    }
  }
  const others = latestRuns(root).filter((r) => !lastRows.some((l) => l.lab === r.lab));
  const row = ({ lab, summary: s, dir }: Row) => {
    const status = s.counts.fail > 0 ? "fail" : s.counts.pass > 0 ? "pass" : "skip";
    const link = (file: string, text: string) =>
      existsSync(join(dir, file)) ? `<a href="${href(relative(results, join(dir, file)))}">${text}</a>` : "";
    return `<tr><td><span class="pill ${status}">${status}</span></td><td><b>${link("report.html", esc(lab)) || esc(lab)}</b></td>
<td>${s.counts.pass} passed, ${s.counts.fail} failed, ${s.counts.skip} skipped</td><td class="muted">${esc(s.startedAt)}</td>
<td class="muted">${(s.durationMs / 1000).toFixed(1)}s</td><td class="muted">${esc(s.kernel)} ${esc(s.variant)}</td><td class="mono">${esc(s.runId)}</td>
<td>${[link("report.html", "report"), link("report.tap", "TAP"), link("junit.xml", "JUnit"), link("plan.sh", "plan.sh")].filter(Boolean).join(" · ")}</td></tr>`;
  };
  const head =
    "<tr><th></th><th>lab</th><th>flows</th><th>started</th><th>took</th><th>kernel, variant</th><th>run</th><th>files</th></tr>";
  const table = (rows: Row[]) => `<table class="index">\n${head}\n${rows.map(row).join("\n")}\n</table>`;
  const fails = lastRows.filter((r) => r.summary.counts.fail > 0).length;
  const sections = lastRows.length
    ? [
        `<h2>The last run: ${lastRows.length} lab${lastRows.length === 1 ? "" : "s"}, ${fails ? `${fails} failing` : "all passing"}</h2>`,
        table(lastRows),
        ...(others.length ? ["<h2>Other labs: their latest run</h2>", table(others)] : []),
      ]
    : [
        "<h2>The latest run of each lab, newest first</h2>",
        others.length ? table(others) : "<p>no lab has run yet</p>",
      ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>natlab results</title>
<style>${CSS}</style>
</head>
<body>
<header class="top"><h1>natlab results</h1><div class="meta">every run keeps its own directory under results/&lt;lab&gt;/; results/&lt;lab&gt;/latest is the newest</div></header>
<main>
${sections.join("\n")}
</main>
</body>
</html>
`;
}

/** Rewrites results/index.html (`last`: the run directories of the `natlab run` ending now); returns its path. */
export function writeIndex(root: string, last: string[] = []): string {
  const path = join(root, "results", "index.html");
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, indexHtml(root, last));
  renameSync(tmp, path);
  return path;
}
