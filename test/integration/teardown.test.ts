/**
 * Nothing is left behind: no natlab namespace and no veth survives a passing
 * run, a failing run, a run whose setup fails half way, or a run interrupted
 * with SIGINT (Ctrl-C) or SIGTERM.
 */
import test from "ava";
import { natlabNamespaces as allNatlabNamespaces, natlab, rootVeths } from "./helpers.ts";

/** This test's own namespaces: natlab-<run id>-<lab namespace> for the fixture labs' namespaces (other labs may run beside us). */
const natlabNamespaces = () => allNatlabNamespaces().filter((n) => /^natlab-[0-9a-f]{6}-(left|right)$/.test(n));

const F = "test/fixtures/labs";

test("a failing run removes its namespaces", async (t) => {
  const before = natlabNamespaces();
  const r = await natlab(["run", `${F}/failing.yaml`]);
  t.not(r.code, 0, r.out);
  t.regex(r.out, /✗ ping nobody/);
  t.deepEqual(natlabNamespaces(), before);
  t.deepEqual(rootVeths(["fa", "fb"]), []);
});

test("a setup step that fails removes what the steps before it made, and says which step", async (t) => {
  const before = natlabNamespaces();
  const r = await natlab(["run", `${F}/bad-setup.yaml`]);
  t.log(r.out);
  t.not(r.code, 0);
  t.regex(r.out, /nft/, `the failing step is named:\n${r.out}`);
  t.deepEqual(natlabNamespaces(), before);
  t.deepEqual(rootVeths(["ba", "bb"]), []);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  test(`a run interrupted with ${signal} removes its namespaces`, async (t) => {
    const before = natlabNamespaces();
    let sent = false;
    let during: string[] = [];
    const r = await natlab(["run", `${F}/slow.yaml`], {
      onOutput: (_text, child) => {
        // Interrupt once the lab is built and the flow is running.
        if (!sent && natlabNamespaces().length > before.length) {
          sent = true;
          setTimeout(() => {
            during = natlabNamespaces();
            child.kill(signal);
          }, 1500);
        }
      },
    });
    t.true(sent, `the lab started: ${r.out}`);
    t.true(during.length > before.length, "namespaces existed while the lab ran");
    t.is(r.code, signal === "SIGINT" ? 130 : 143, r.out);
    t.deepEqual(natlabNamespaces(), before, `after ${signal}, no natlab namespace is left`);
    t.deepEqual(rootVeths(["sa", "sb"]), []);
  });
}

test("an invalid lab file names file:line:column and creates nothing", async (t) => {
  const before = natlabNamespaces();
  const r = await natlab(["run", `${F}/invalid-ttl.yaml`]);
  t.not(r.code, 0);
  t.regex(r.out, /test\/fixtures\/labs\/invalid-ttl\.yaml:13:\d+/, r.out);
  t.regex(r.out, /ttl/);
  t.deepEqual(natlabNamespaces(), before);
});
