/**
 * `natlab bpf-config --ns NS --dev DEV --hook ingress|egress --prefix P/LEN`:
 * set the NAT64 prefix of a translator attached in a running lab.
 */
import { parseArgs } from "node:util";
import { type Hook, writePrefix } from "./config.ts";
import { parsePrefix } from "./prefix.ts";

const USAGE = "usage: natlab bpf-config --ns NS --dev DEV --hook ingress|egress --prefix P/LEN";

export async function bpfConfigCommand(argv: string[]): Promise<number> {
  let v: { ns?: string; dev?: string; hook?: string; prefix?: string };
  try {
    v = parseArgs({
      args: argv,
      options: { ns: { type: "string" }, dev: { type: "string" }, hook: { type: "string" }, prefix: { type: "string" } },
    }).values;
  } catch (e) {
    process.stderr.write(`natlab bpf-config: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!v.ns || !v.dev || !v.prefix || (v.hook !== "ingress" && v.hook !== "egress")) {
    process.stderr.write(`natlab bpf-config: --ns, --dev, --hook ingress|egress and --prefix are all needed\n${USAGE}\n`);
    return 2;
  }
  try {
    const p = parsePrefix(v.prefix);
    const map = await writePrefix(v.ns, v.dev, v.hook as Hook, p);
    console.log(`${v.ns} ${v.dev} ${v.hook}: prefix ${p.text} written to map ${map}`);
    return 0;
  } catch (e) {
    process.stderr.write(`natlab bpf-config: ${(e as Error).message}\n`);
    return 1;
  }
}
