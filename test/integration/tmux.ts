/**
 * A real terminal for the tests of natlab's interactive commands (`step`,
 * `shell`): a tmux server of the test's own, on a socket in a temporary
 * directory, so it never meets a user's tmux or another test's. The command
 * runs in a pane; the test types into it (send-keys) and reads what a person
 * would see (capture-pane), waiting for the pane's content with a bound.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./helpers.ts";

/** Wide enough that natlab's lines rarely wrap; capture-pane -J joins those that do. */
const COLS = 200;
const ROWS = 50;
const SESSION = "natlab";
/** The file, in the terminal's directory, where the pane's wrapper writes the command's exit status. */
const STATUS = "status";

export class Terminal {
  private constructor(
    private readonly dir: string,
    private readonly socket: string,
  ) {}

  /**
   * Starts argv in a fresh pane (cwd: the project root, no colour). The pane stays after the command ends
   * (remain-on-exit), so its last output and exit status can still be read.
   */
  static start(argv: string[]): Terminal {
    const dir = mkdtempSync(join(tmpdir(), "natlab-tmux-"));
    const conf = join(dir, "tmux.conf");
    writeFileSync(conf, "set -g remain-on-exit on\nset -g history-limit 20000\n");
    const term = new Terminal(dir, join(dir, "socket"));
    term.tmux(
      "-f",
      conf,
      "new-session",
      "-d",
      "-s",
      SESSION,
      "-x",
      String(COLS),
      "-y",
      String(ROWS),
      "-c",
      ROOT,
      "-e",
      "NO_COLOR=1",
      "-e",
      `STATUS_FILE=${join(dir, STATUS)}`,
      "--",
      // The command's status goes to a file as it ends: tmux's own pane_dead_status came too late now and then.
      "/bin/sh",
      "-c",
      '"$@"; echo $? > "$STATUS_FILE"',
      "sh",
      ...argv,
    );
    return term;
  }

  private tmux(...args: string[]): string {
    return execFileSync("tmux", ["-S", this.socket, ...args], { encoding: "utf8" });
  }

  /** Everything the pane has shown, scrollback included, wrapped lines joined. */
  screen(): string {
    return this.tmux("capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", SESSION);
  }

  /** Types text as it is (no key names), then Enter. */
  type(text: string): void {
    if (text) this.tmux("send-keys", "-t", SESSION, "-l", text);
    this.tmux("send-keys", "-t", SESSION, "Enter");
  }

  /** The command's exit status once it has ended (128+N for signal N, as a shell says); undefined while it runs. */
  exitStatus(): number | undefined {
    try {
      const text = readFileSync(join(this.dir, STATUS), "utf8").trim();
      return text === "" ? undefined : Number(text);
    } catch {
      return undefined; // not written yet: the command runs
    }
  }

  /** Polls the pane until `ready(screen)` holds; throws with what the pane shows after `timeoutMs`. */
  async waitFor(what: string, ready: (screen: string) => boolean, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (ready(screen)) return screen;
      if (Date.now() > deadline)
        throw new Error(
          `timed out after ${timeoutMs / 1000}s waiting for ${what}; the terminal shows:\n${screen.trimEnd()}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits for the command to end; its exit status. */
  async exited(timeoutMs = 30_000): Promise<number> {
    await this.waitFor("the command to end", () => this.exitStatus() !== undefined, timeoutMs);
    return this.exitStatus() as number;
  }

  /** Stops this tmux server (and whatever still runs in its pane) and removes its directory. */
  close(): void {
    try {
      this.tmux("kill-server");
    } catch {
      // The server is already gone: nothing of it is left to stop.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
