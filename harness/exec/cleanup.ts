/**
 * Process-wide cleanup: whatever a run creates (namespaces, capture
 * processes, services) registers how to undo it here, so the undo runs on
 * success, failure, thrown errors, Ctrl-C (SIGINT) and SIGTERM alike.
 *
 * Handlers run last-registered first, each at most once, and a failing
 * handler does not stop the others.
 */
type Handler = () => Promise<void> | void;

const handlers = new Map<number, { what: string; fn: Handler }>();
let nextId = 1;
let installed = false;
let exiting = false;

/** True once SIGINT, SIGTERM or SIGHUP arrived: work in progress stops at its next step instead of failing on. */
export function interrupted(): boolean {
  return exiting;
}

/** Register an undo action; returns a function that unregisters it (call it once the thing is gone). */
export function onCleanup(what: string, fn: Handler): () => void {
  install();
  const id = nextId++;
  handlers.set(id, { what, fn });
  return () => {
    handlers.delete(id);
  };
}

/** Run every registered handler now (newest first) and forget them. */
export async function runCleanups(log: (line: string) => void = () => {}): Promise<void> {
  const pending = [...handlers.entries()].reverse();
  handlers.clear();
  for (const [, h] of pending) {
    try {
      await h.fn();
    } catch (err) {
      log(`cleanup of ${h.what} failed: ${(err as Error).message}`);
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    if (exiting) return; // a second Ctrl-C while cleaning up: keep cleaning, do not die half way
    exiting = true;
    process.stderr.write(`\nnatlab: ${signal} received, removing what this run created...\n`);
    void runCleanups((l) => process.stderr.write(`natlab: ${l}\n`)).finally(() => process.exit(code));
  };
  process.on("SIGINT", () => onSignal("SIGINT", 130));
  process.on("SIGTERM", () => onSignal("SIGTERM", 143));
  process.on("SIGHUP", () => onSignal("SIGHUP", 129));
}
