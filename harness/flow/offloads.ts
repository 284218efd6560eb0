/**
 * TX offloads per flow instance: on (the veth default) or off on every veth end.
 * Switched only when a flow wants a different setting from the one in
 * force, so a lab of nine flows does not run `ethtool` on every end nine
 * times. The first flow always sets it, whatever the lab file set before.
 */
export type OffloadSetting = "on" | "off";
export type Runner = (ns: string, argv: string[]) => Promise<unknown>;

export class OffloadSwitch {
  private current?: OffloadSetting;

  constructor(
    private readonly ends: { ns: string; dev: string }[],
    private readonly run: Runner,
  ) {}

  /** Puts every end in `wanted`; returns how many ethtool commands that took. */
  async set(wanted: OffloadSetting): Promise<number> {
    if (wanted === this.current) return 0;
    for (const end of this.ends) await this.run(end.ns, ["ethtool", "-K", end.dev, "tx", wanted]);
    this.current = wanted;
    return this.ends.length;
  }
}
