/**
 * report.html in a real browser: Debian's chromium, headless, driven by
 * puppeteer-core (which downloads nothing). The article lab's report (a
 * passing run) and a run that fails on purpose (test/fixtures/labs/
 * report-failing.yaml) are loaded from disk; the page must run without a
 * script error, fetch nothing from a network, have no broken link, draw one
 * ladder per flow that ran, open a frame's layers on click, and show the
 * failing expectation in red. A screenshot of each is kept in results/.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import test, { type ExecutionContext } from "ava";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { natlab, ROOT, runDirs } from "./helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

let browser: Browser | undefined;
const profile = mkdtempSync(join(tmpdir(), "natlab-chromium-"));

test.before(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/setup.sh installs it)`);
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, userDataDir: profile, args: FLAGS });
});

test.after.always(async () => {
  await browser?.close();
  rmSync(profile, { recursive: true, force: true });
});

interface Loaded {
  page: Page;
  errors: string[];
  fetched: string[];
}

/** Opens a report; script errors and every request that is not a file of the results are recorded. */
async function open(file: string): Promise<Loaded> {
  if (!browser) throw new Error("no browser");
  const page = await browser.newPage();
  await page.setViewport({ width: 1500, height: 1000 });
  const errors: string[] = [];
  const fetched: string[] = [];
  page.on("pageerror", (e) => errors.push(String((e as Error).message ?? e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await page.setRequestInterception(true);
  page.on("request", (r) => {
    if (!r.url().startsWith("file://")) {
      fetched.push(r.url());
      void r.abort();
    } else void r.continue();
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  return { page, errors, fetched };
}

/** Every link: a fragment names an element of the page, a relative path a file that exists. */
async function brokenLinks(page: Page): Promise<string[]> {
  const links = await page.$$eval("a[href]", (as) =>
    as.map((a) => ({ raw: a.getAttribute("href") ?? "", abs: (a as HTMLAnchorElement).href })),
  );
  const ids = new Set(await page.$$eval("[id]", (es) => es.map((e) => e.id)));
  const broken: string[] = [];
  for (const { raw, abs } of links) {
    if (raw === "#") continue; // a frame reference: the script handles it
    if (raw.startsWith("#")) {
      if (!ids.has(decodeURIComponent(raw.slice(1)))) broken.push(raw);
    } else if (!abs.startsWith("file://") || !existsSync(fileURLToPath(abs.split("#")[0]))) {
      broken.push(raw);
    }
  }
  return broken;
}

/** What every report must be: no script error, nothing fetched, no broken link, a ladder per flow that ran, frames that open. */
async function checkPage(t: ExecutionContext, dir: string, shot: string): Promise<Page> {
  const file = join(dir, "report.html");
  t.true(existsSync(file), `${file} was written`);
  const { page, errors, fetched } = await open(file);
  t.deepEqual(errors, [], "no script error");
  t.deepEqual(fetched, [], "nothing fetched: the page is self-contained");
  t.deepEqual(await brokenLinks(page), [], "no broken link");
  const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as { flows: { status: string }[] };
  const ran = summary.flows.filter((f) => f.status !== "skip").length;
  t.is(await page.$$eval("section.flow", (s) => s.length), summary.flows.length, "a section per flow");
  t.is(await page.$$eval("svg.ladder", (s) => s.length), ran, "one ladder per flow that ran");
  t.true((await page.$$eval(".topology svg g.node", (n) => n.length)) > 0, "the topology is drawn");
  // A click on the first frame shows its decoded layers beside the ladder.
  await page.click("section.flow g.frame");
  const detail = await page.$eval("section.flow .frame-detail", (d) => d.textContent ?? "");
  t.regex(detail, /frame #1/);
  const layers = await page.$$eval("section.flow .frame-detail td.layer", (tds) => tds.map((td) => td.textContent));
  t.true(layers.includes("ipv4") || layers.includes("ipv6"), `the frame's layers are listed: ${layers.join(", ")}`);
  // Each field name on one line, however long its value (a payload's hex wraps, its name must not).
  const broken = await page.$$eval("section.flow .frame-detail td:first-child:not(.layer)", (tds) =>
    tds
      .filter((td) => {
        const range = document.createRange();
        range.selectNodeContents(td);
        return range.getClientRects().length > 1;
      })
      .map((td) => td.textContent),
  );
  t.deepEqual(broken, [], "no field name is broken across lines");
  t.deepEqual(errors, [], "no script error after the click");
  await page.screenshot({ path: shot, fullPage: true });
  t.log(`screenshot: ${shot}`);
  return page;
}

test.serial("the article lab's report: topology, a ladder per flow, frames that open, nothing broken", async (t) => {
  const r = await natlab(["run", "labs/article.yaml"]);
  t.is(r.code, 0, r.out);
  const dir = runDirs(r.out).article;
  const page = await checkPage(t, dir, join(ROOT, "results", "report-article.png"));
  t.is(await page.$$eval(".failed-expect", (e) => e.length), 0, "a passing run shows no failed expectation");
  t.true((await page.$$eval("svg.ladder .xlat", (e) => e.length)) > 0, "the translation is drawn across lanes (6→4)");
  t.true(
    (await page.$$eval("svg.ladder g.frame.met", (e) => e.length)) > 0,
    "frames that met an expectation are marked",
  );
  // The README's picture (docs/report-article.png is a copy): the page with only the crafted UDP flow, a frame opened.
  await page.evaluate(() => {
    for (const s of document.querySelectorAll("section.flow")) {
      if (!/crafted udp/.test(s.querySelector("h3")?.textContent ?? "")) (s as HTMLElement).style.display = "none";
    }
    for (const e of document.querySelectorAll("table.toc")) (e as HTMLElement).style.display = "none";
  });
  await page.click('section.flow:not([style*="none"]) g.frame.met');
  await page.setViewport({ width: 1400, height: 1000 });
  await page.screenshot({ path: join(ROOT, "results", "report-article-readme.png"), fullPage: true });
  const index = join(ROOT, "results", "index.html");
  const { page: ip, errors } = await open(index);
  t.deepEqual(errors, []);
  t.deepEqual(await brokenLinks(ip), [], "no broken link in results/index.html");
  t.true(
    (await ip.$$eval("table.index a", (as) => as.map((a) => a.textContent))).includes("article"),
    "the index lists the article lab",
  );
});

test.serial("a failing run's report shows the failed expectation in red, expected beside actual", async (t) => {
  const r = await natlab(["run", "test/fixtures/labs/report-failing.yaml"]);
  t.is(r.code, 1, r.out);
  const dir = runDirs(r.out)["report-failing"];
  const page = await checkPage(t, dir, join(ROOT, "results", "report-failing.png"));
  const failed = await page.$$eval(".failed-expect", (es) =>
    es.map((e) => ({
      text: e.textContent ?? "",
      color: getComputedStyle(e).color,
      border: getComputedStyle(e).borderTopColor,
    })),
  );
  t.is(failed.length, 1, "one failed expectation");
  t.is(failed[0].color, "rgb(185, 28, 28)", "drawn in red");
  t.is(failed[0].border, "rgb(185, 28, 28)");
  const row = await page.$$eval(".failed-expect table.diff tr.ko td", (tds) =>
    tds.map((td) => ({ text: td.textContent, color: getComputedStyle(td).color })),
  );
  t.deepEqual(
    row.slice(0, 3).map((c) => c.text),
    ["ipv4.ttl", "60", "61"],
    "expected TTL 60 beside the actual 61",
  );
  t.is(row[0].color, "rgb(185, 28, 28)");
  t.true(
    (await page.$$eval("svg.ladder g.frame.bad", (e) => e.length)) > 0,
    "the closest frame is marked on the ladder",
  );
  t.is(await page.$$eval("section.flow.fail", (e) => e.length), 1);
  t.is(resolve(dirname(dir)), join(ROOT, "results", "report-failing"));
});
