/**
 * `inject` flows: a packet written field by field in the lab file is built
 * by the codec, its Ethernet addresses filled in from the topology (the
 * injecting device's MAC as source, its veth peer's as destination), written
 * to a pcap and sent with tcpreplay. A frame sent on a device passes that
 * device's tc egress hook, exactly like a locally routed packet.
 */

import { run } from "../exec/command.ts";
import type { InjectSpec } from "../lab/schema.ts";
import type { DeviceInfo } from "../lab/topology.ts";
import { build, writePcap } from "../packet/index.ts";
import type { Packet } from "../packet/layers.ts";

/** The packet with the Ethernet layer's missing addresses taken from the topology. */
export function withTopologyMacs(packet: Packet, dev: DeviceInfo | undefined): Packet {
  return packet.map((layer, i) => {
    if (i !== 0 || !("eth" in layer)) return layer;
    return { eth: { src: dev?.mac, dst: dev?.peer?.mac, ...stripUndefined(layer.eth) } };
  });
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export async function inject(
  spec: InjectSpec,
  realNs: string,
  dev: DeviceInfo | undefined,
  pcapPath: string,
): Promise<{ bytes: number }> {
  const name = spec.dev.slice(spec.dev.indexOf(":") + 1);
  const frame = build(withTopologyMacs(spec.packet, dev));
  writePcap(
    pcapPath,
    Array.from({ length: spec.count }, () => ({ ts: Date.now() / 1000, data: frame })),
  );
  await run(["tcpreplay", "-q", "-i", name, pcapPath], { ns: realNs, timeoutSec: 10 });
  return { bytes: frame.length };
}
