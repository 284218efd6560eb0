/**
 * `natlab bpf-config --ns NS --dev DEV --hook ingress|egress --prefix P/LEN`:
 * set the NAT64 prefix of a translator attached in a running lab (a step of
 * every plan that sets a prefix).
 */
import { type Hook, writePrefix } from "../bpf/config.ts";
import { UsageError } from "../errors.ts";
import { parsePrefix } from "../packet/prefix.ts";
import type { Command } from "./command.ts";

export const bpfConfig: Command = {
  name: "bpf-config",
  summary: "write a NAT64 prefix into the nat64_config map of a translator attached in a running lab",
  options: [
    { name: "ns", type: "string", value: "NS", description: "the namespace (needed)" },
    { name: "dev", type: "string", value: "DEV", description: "the device the translator is attached to (needed)" },
    { name: "hook", type: "string", value: "HOOK", description: "ingress or egress (needed)" },
    { name: "prefix", type: "string", value: "P/LEN", description: "the prefix (needed)" },
  ],
  root: true,
  internal: true,
  async run({ values }) {
    const { ns, dev, hook, prefix } = values as { ns?: string; dev?: string; hook?: string; prefix?: string };
    if (!ns || !dev || !prefix || (hook !== "ingress" && hook !== "egress")) {
      throw new UsageError("--ns, --dev, --hook ingress|egress and --prefix are all needed");
    }
    let p: ReturnType<typeof parsePrefix>;
    try {
      p = parsePrefix(prefix);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    try {
      const map = await writePrefix(ns, dev, hook as Hook, p);
      console.log(`${ns} ${dev} ${hook}: prefix ${p.text} written to map ${map}`);
      return 0;
    } catch (e) {
      process.stderr.write(`natlab bpf-config: ${(e as Error).message}\n`);
      return 1;
    }
  },
};
