import { withLab } from "./up.ts";
import { run } from "../exec/command.ts";
await withLab("labs/bench/nat66-nat64.yaml", { root: process.cwd(), onProgress: console.log }, async (ctx) => {
  const c = ctx.nsOf("client");
  const t = await run(["iperf3", "-c", "64:ff9b:1:fffe::cb00:7101", "-t", "2", "-J", "--get-server-output"], { ns: c, timeoutSec: 30 });
  const j = JSON.parse(t.stdout);
  console.log(Object.keys(j), Object.keys(j.end), j.end.sum_received?.bits_per_second, j.end.sum_sent?.retransmits);
  console.log(JSON.stringify(j.server_output_json?.end?.sum_received));
  const u = await run(["iperf3", "-c", "64:ff9b:1:fffe::cb00:7101", "-t", "2", "-J", "-u", "-l", "64", "-b", "0", "--get-server-output"], { ns: c, timeoutSec: 30 });
  const k = JSON.parse(u.stdout);
  console.log(JSON.stringify(k.end.sum), JSON.stringify(k.server_output_json.end.sum));
  const n = await run(["iperf3", "-c", "64:ff9b:1:fffe::cb00:7101", "-n", "4M", "-J"], { ns: c, timeoutSec: 30 });
  console.log(JSON.parse(n.stdout).end.sum_received);
});
