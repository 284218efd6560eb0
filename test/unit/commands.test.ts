import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import type { Command } from "../../harness/commands/command.ts";
import { dispatch, findCommand } from "../../harness/commands/dispatch.ts";
import { commandHelp, readmeTable, usage, withReadmeTable } from "../../harness/commands/help.ts";
import { commands } from "../../harness/commands/index.ts";
import { UsageError } from "../../harness/errors.ts";
import { labPath } from "../../harness/lab/names.ts";
import { chooseVariant, type Features } from "../../harness/plan/features.ts";
import { ROOT } from "../../harness/root.ts";

/** natlab as a user runs it: exit status, stdout and stderr. */
function natlab(...args: string[]) {
  const r = spawnSync(join(ROOT, "bin/natlab"), args, { encoding: "utf8", cwd: ROOT, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The table with every handler replaced by one that records that it ran. */
function spied(): { table: Command[]; ran: string[] } {
  const ran: string[] = [];
  const table = commands.map((c) => ({
    ...c,
    run: async () => {
      ran.push(c.name);
      return 0;
    },
  }));
  return { table, ran };
}

/** Runs fn with process.stdout.write collected; returns what it wrote. */
async function stdoutOf(fn: () => Promise<unknown>): Promise<string> {
  const write = process.stdout.write;
  let out = "";
  process.stdout.write = ((chunk: string) => {
    out += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = write;
  }
  return out;
}

test("README.md's command table is the one the command table makes (natlab readme writes it)", (t) => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  t.is(withReadmeTable(readme, commands), readme);
  t.true(readme.includes(readmeTable(commands)));
});

test("the table: unique names, a summary and a description for every option, internal ones marked", (t) => {
  const names = commands.map((c) => c.name);
  t.deepEqual([...new Set(names)], names);
  for (const c of commands) {
    t.true(c.summary.length > 10, c.name);
    for (const o of c.options) t.true(o.description.length > 5, `${c.name} --${o.name}`);
    t.is(new Set(c.options.map((o) => o.name)).size, c.options.length, c.name);
  }
  t.deepEqual(
    commands
      .filter((c) => c.internal)
      .map((c) => c.name)
      .sort(),
    ["bpf-config", "matrix-worker", "readme", "translate"],
  );
  const listed = usage(commands);
  for (const c of commands) t.is(listed.includes(`natlab ${c.name}`), !c.internal, c.name);
});

test("every command's --help and -h print its usage, every option, and run nothing", async (t) => {
  for (const c of commands) {
    for (const h of ["--help", "-h"]) {
      const { table, ran } = spied();
      let code: number | undefined;
      const out = await stdoutOf(async () => {
        code = await dispatch([...c.name.split(" "), h], table);
      });
      t.is(code, 0, `${c.name} ${h}`);
      t.deepEqual(ran, [], `${c.name} ${h} ran its handler`);
      t.is(out, commandHelp(c));
      t.true(out.startsWith(`usage: natlab ${c.name}`), c.name);
      for (const o of c.options)
        t.true(out.includes(`--${o.name}`) && out.includes(o.description), `${c.name} --${o.name}`);
    }
  }
});

test("help after options and positionals still only prints the usage", async (t) => {
  const { table, ran } = spied();
  const out = await stdoutOf(() => dispatch(["run", "labs/article.yaml", "--filter", "x", "--help"], table));
  t.deepEqual(ran, []);
  t.true(out.startsWith("usage: natlab run"));
});

test("two-word commands are found before one-word ones; a group alone lists its commands", async (t) => {
  t.is(findCommand(["golden", "check", "--filter", "x"])?.cmd.name, "golden check");
  t.is(findCommand(["run", "check"])?.cmd.name, "run");
  const { table, ran } = spied();
  const out = await stdoutOf(() => dispatch(["golden", "--help"], table));
  t.deepEqual(ran, []);
  for (const sub of ["build", "check", "verify"]) t.true(out.includes(`natlab golden ${sub}`));
});

test("option errors are usage errors naming the command", async (t) => {
  const { table } = spied();
  const missing = await t.throwsAsync(() => dispatch(["run", "--filter"], table), { instanceOf: UsageError });
  t.regex(
    missing.message,
    /^natlab run: Option '--filter <value>' argument missing \(natlab run --help lists the options\)$/,
  );
  const unknown = await t.throwsAsync(() => dispatch(["golden", "check", "--bogus"], table), {
    instanceOf: UsageError,
  });
  t.is(unknown.message, "natlab golden check: Unknown option '--bogus' (natlab golden check --help lists the options)");
  await t.throwsAsync(() => dispatch(["bogus"], table), {
    instanceOf: UsageError,
    message: /^natlab: no command bogus/,
  });
  await t.throwsAsync(() => dispatch(["golden", "bogus"], table), {
    instanceOf: UsageError,
    message: /^natlab golden: no subcommand/,
  });
});

test("a usage error thrown by a handler gets the command's name in front", async (t) => {
  const failing: Command = {
    name: "x",
    summary: "fails on purpose",
    options: [],
    run: () => Promise.reject(new UsageError("what, and what to do")),
  };
  await t.throwsAsync(() => dispatch(["x"], [failing]), {
    instanceOf: UsageError,
    message: "natlab x: what, and what to do",
  });
});

test("the literal variant on a kernel without its modules is a usage error, not a crash", (t) => {
  const noLiteral: Features = {
    kernel: "6.18",
    clsact: true,
    clsBpf: true,
    prio: false,
    matchall: false,
    actBpf: false,
    actCsum: false,
    dummy: false,
    source: "test",
  };
  t.throws(() => chooseVariant(noLiteral, "literal"), {
    instanceOf: UsageError,
    message: /the literal variant needs sch_prio/,
  });
});

test("a lab is a file or a name under labs/", (t) => {
  t.is(labPath("labs/article.yaml", ROOT), "labs/article.yaml");
  t.is(join(ROOT, labPath("nat66-nat64", ROOT)), join(ROOT, "labs/nat66-nat64.yaml"));
  t.throws(() => labPath("no-such-lab", ROOT), { instanceOf: UsageError, message: /one of .*article.*nat66-nat64/ });
});

test("bin/natlab: --help exits 0, a known error is one line without a stack trace", (t) => {
  const help = natlab("run", "--help");
  t.is(help.status, 0);
  t.true(help.stdout.startsWith("usage: natlab run"));
  t.is(help.stderr, "");
  for (const args of [
    ["golden", "check", "--filter", "zzzz"],
    ["run", "--filter"],
    ["run", "no-such-lab"],
  ]) {
    const r = natlab(...args);
    t.is(r.status, 2, args.join(" "));
    t.is(r.stdout, "", args.join(" "));
    t.regex(r.stderr, new RegExp(`^natlab ${args[0]}( ${args[1]})?: [^\\n]+\\n$`), args.join(" "));
  }
});
