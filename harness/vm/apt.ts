/**
 * natlab's own apt: the kernel packages of other Debian releases (bullseye's 5.10, trixie's
 * 6.12) come through a sources file and package lists of natlab's own, under
 * /var/cache/natlab/apt/ (NATLAB_APT_DIR moves it). The system's apt sources, lists and
 * cache are never touched: adding bullseye or trixie there would offer their packages to
 * every `apt-get upgrade` of this machine.
 *
 *   sources/natlab.sources   the suites below, from the mirror this machine uses for Debian
 *   lists/                   their package indices (apt-get update -o Dir::State::Lists=...)
 *   cache/                   apt's binary caches of those lists
 *
 * Packages are downloaded with `apt-get download` and the same options; nothing is installed.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const APT_DIR = process.env.NATLAB_APT_DIR ?? "/var/cache/natlab/apt";
/** The suites whose kernels natlab offers; the security suites carry the newest ABI of each. */
export const SUITES = ["bullseye", "bookworm", "bookworm-backports", "trixie"];
export const SECURITY_SUITES = ["bullseye-security", "bookworm-security", "trixie-security"];
const KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";
/** Lists older than this are fetched again before a kernel package is looked up. */
const MAX_LIST_AGE_MS = 24 * 3600 * 1000;

/** apt's options that point every directory it reads or writes at natlab's own. */
export function aptOptions(dir = APT_DIR): string[] {
  return [
    `Dir::Etc::sourcelist=/dev/null`,
    `Dir::Etc::sourceparts=${join(dir, "sources")}`,
    `Dir::State::Lists=${join(dir, "lists")}`,
    `Dir::Cache=${join(dir, "cache")}`,
    // apt-get download writes into the caller's directory as root; no _apt sandbox user.
    "APT::Sandbox::User=root",
  ].flatMap((o) => ["-o", o]);
}

/** The Debian mirror this machine already uses (its sources naming bookworm), else deb.debian.org. */
export function debianMirrors(): { main: string; security: string } {
  const main = process.env.NATLAB_DEBIAN_MIRROR ?? systemMirror(/\/debian\/?$/) ?? "http://deb.debian.org/debian";
  const security =
    process.env.NATLAB_DEBIAN_SECURITY_MIRROR ??
    systemMirror(/\/debian-security\/?$/) ??
    "http://deb.debian.org/debian-security";
  return { main: main.replace(/\/$/, ""), security: security.replace(/\/$/, "") };
}

/** The first URI of the system's apt sources (read only) whose path ends as `path` says. */
function systemMirror(path: RegExp): string | undefined {
  const files = ["/etc/apt/sources.list"];
  if (existsSync("/etc/apt/sources.list.d")) {
    for (const f of readdirSync("/etc/apt/sources.list.d")) {
      if (f.endsWith(".list") || f.endsWith(".sources")) files.push(join("/etc/apt/sources.list.d", f));
    }
  }
  for (const f of files) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, "utf8");
    const uris = [...text.matchAll(/^\s*URIs:\s*(.+)$/gim)].flatMap((m) => m[1].trim().split(/\s+/));
    uris.push(...[...text.matchAll(/^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)/gm)].map((m) => m[1]));
    const hit = uris.find((u) => /^https?:\/\//.test(u) && path.test(u));
    if (hit) return hit;
  }
  return undefined;
}

/** The deb822 sources file natlab's apt reads. */
export function sourcesText(mirrors = debianMirrors()): string {
  const stanza = (uri: string, suites: string[]) =>
    `Types: deb\nURIs: ${uri}\nSuites: ${suites.join(" ")}\nComponents: main\nSigned-By: ${KEYRING}\n`;
  return `# natlab's own sources: kernel packages for VMs only (harness/vm/apt.ts)\n${stanza(mirrors.main, SUITES)}\n${stanza(
    mirrors.security,
    SECURITY_SUITES,
  )}`;
}

/** Writes the sources file when it changed; true when it did (the lists must then be fetched again). */
function writeSources(dir: string): boolean {
  mkdirSync(join(dir, "sources"), { recursive: true });
  mkdirSync(join(dir, "lists", "partial"), { recursive: true });
  mkdirSync(join(dir, "cache", "archives", "partial"), { recursive: true });
  const path = join(dir, "sources", "natlab.sources");
  const want = sourcesText();
  if (existsSync(path) && readFileSync(path, "utf8") === want) return false;
  writeFileSync(path, want);
  return true;
}

/** Written after each successful update: apt dates the index files by the archive's Release, not by the fetch. */
const UPDATED_STAMP = "natlab-updated";

/** How long ago the lists were last fetched, or undefined when never. */
export function listsAge(dir = APT_DIR): number | undefined {
  const stamp = join(dir, "lists", UPDATED_STAMP);
  return existsSync(stamp) ? Date.now() - statSync(stamp).mtimeMs : undefined;
}

/**
 * Makes natlab's apt ready to answer: sources written, lists fetched when missing, stale
 * (a day) or `force`d. Needs root only when it has to fetch.
 */
export function ensureAptLists(opts: { force?: boolean; say?: (m: string) => void; dir?: string } = {}): void {
  const dir = opts.dir ?? APT_DIR;
  if (!existsSync(KEYRING)) throw new Error(`${KEYRING} missing: apt-get install -y debian-archive-keyring`);
  const changed = writeSources(dir);
  const age = listsAge(dir);
  if (!opts.force && !changed && age !== undefined && age < MAX_LIST_AGE_MS) return;
  opts.say?.(`fetching the package lists of ${[...SUITES, ...SECURITY_SUITES].join(", ")} into ${join(dir, "lists")}`);
  aptRun("apt-get", ["update", "-q"], "/", dir);
  writeFileSync(join(dir, "lists", UPDATED_STAMP), `${new Date().toISOString()}\n`);
}

/** Kernel image package names matching `pattern` that natlab's apt can download. */
export function searchPackages(pattern: RegExp, dir = APT_DIR): string[] {
  // apt-cache takes POSIX regular expressions (no \d): ask broadly, filter here.
  const out = aptRun("apt-cache", ["search", "--names-only", "^linux-image-[0-9]"], "/", dir);
  return [...out.matchAll(/^(\S+) - /gm)].map((m) => m[1]).filter((n) => pattern.test(n));
}

/** True when natlab's apt has a version of `pkg` to download. */
export function hasCandidate(pkg: string, dir = APT_DIR): boolean {
  const m = /Candidate:\s*(\S+)/.exec(aptRun("apt-cache", ["policy", pkg], "/", dir));
  return !!m && m[1] !== "(none)";
}

/** Downloads `pkg`'s .deb into `into`; returns its path. */
export function downloadPackage(pkg: string, into: string, dir = APT_DIR): string {
  aptRun("apt-get", ["download", "-q", pkg], into, dir);
  const deb = readdirSync(into).find((f) => f.endsWith(".deb"));
  if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${into}`);
  return join(into, deb);
}

/** Runs apt-get or apt-cache with natlab's directories; a failure says what ran and apt's words. */
function aptRun(tool: string, args: string[], cwd: string, dir: string): string {
  const argv = [...aptOptions(dir), ...args];
  try {
    return execFileSync(tool, argv, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const why = (err.stderr || err.message)
      .trim()
      .split("\n")
      .filter((l) => !l.startsWith("W: "))
      .slice(-3)
      .join(" ");
    throw new Error(`${tool} ${args.join(" ")} (natlab's apt in ${dir}) failed: ${why}`);
  }
}
