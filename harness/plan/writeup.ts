/**
 * Matching the write-up's numbered steps (a lab's `literal.steps`) to the
 * plan's steps, so a reader sees which command of ours stands in for which
 * line of the article. A step is known by what it acts on, not its spelling:
 * `ip link set dev za up` and `ip -n NS link set za up` are both "up:host:za".
 */

/** What a command does, as keys like "up:host:za" or "tc-filter:host:za:4to6" (lab namespace names). */
export function stepKeys(ns: string, argv: string[]): string[] {
  const [tool, obj = "", cmd = ""] = argv;
  const after = (word: string) => {
    const i = argv.indexOf(word);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (tool === "ip") {
    if ("link".startsWith(obj) && obj) {
      const dev = after("dev") ?? argv[3];
      if (cmd === "add") {
        const first = argv[3] === "name" ? argv[4] : argv[3];
        const p = argv.indexOf("peer");
        const peer = p >= 0 ? (argv[p + 1] === "name" ? argv[p + 2] : argv[p + 1]) : undefined;
        return [`link:${ns}:${first}`, ...(peer ? [`link:${ns}:${peer}`] : [])];
      }
      if (cmd === "set") {
        const keys: string[] = [];
        if (argv.includes("up")) keys.push(`up:${ns}:${dev}`);
        if (argv.includes("arp")) keys.push(`arp:${ns}:${dev}`);
        if (argv.includes("mtu")) keys.push(`mtu:${ns}:${dev}`);
        return keys;
      }
    }
    if ("neighbour".startsWith(obj) && obj && (cmd === "add" || cmd === "replace")) {
      return [`neigh:${ns}:${after("dev")}:${argv[3]?.toLowerCase()}`];
    }
    if ("address".startsWith(obj) && obj && cmd === "add") {
      const addr = argv.slice(3).find((a) => a.includes("/") || /^[0-9a-fA-F:.]+$/.test(a));
      return [`addr:${ns}:${after("dev")}:${addr?.toLowerCase()}`];
    }
    if ("route".startsWith(obj) && obj && cmd === "add") return [`route:${ns}:${argv[3]}`];
  }
  if (tool === "tc") {
    const dev = after("dev");
    // Every qdisc step, and clearing old filters, is what `tc qdisc add dev D clsact` stands in for.
    if (obj === "qdisc" || (obj === "filter" && cmd === "del")) return [`tc-qdisc:${ns}:${dev}`];
    if (obj === "filter") return [`tc-filter:${ns}:${dev}:${after("sec")}`];
  }
  return [];
}

/** "20 tc -s filter show dev za": why a write-up step has no counterpart in the plan. */
export function unmatchedReason(argv: string[]): string {
  if (argv.includes("show") || ["cat", "echo"].includes(argv[0])) {
    return "looks at the running lab rather than building it (natlab stats shows the counters; results/<lab>/latest/trace.txt keeps the bpf_printk output)";
  }
  if (argv[0] === "tc") return "no BPF program is attached to that device here";
  return "no counterpart in this plan";
}
