/**
 * Packet (a list of layers) to bytes. Layers are encoded innermost first,
 * because lengths and checksums depend on what follows; each layer gets the
 * bytes of everything after it and the addresses of the nearest enclosing IP
 * header for its pseudo-header. Fields left out are derived or defaulted
 * (see README.md); fields given are written as given, even when wrong.
 */
import { parseIpv4, parseIpv6 } from "./addr.ts";
import { encodeEth } from "./eth.ts";
import { encodeIcmp } from "./icmp.ts";
import { encodeIpv4 } from "./ipv4.ts";
import { encodeIpv6 } from "./ipv6.ts";
import { encodeFrag, encodeIpv6Opts, encodeRouting, finalDestination } from "./ipv6ext.ts";
import { type Layer, type LayerName, layerFields, layerName, Packet } from "./layers.ts";
import { payloadBytes } from "./payload.ts";
import { encodeTcp, type Pseudo } from "./tcp.ts";
import { encodeUdp } from "./udp.ts";

/** Check a packet against the syntax; the error names each wrong field by its path, e.g. "1.ipv4.ttl". */
export function validatePacket(packet: unknown): Layer[] {
  const r = Packet.safeParse(packet);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `  at ${i.path.join(".") || "(packet)"}: ${i.message}`);
  throw new Error(`packet does not follow the layer syntax (harness/packet/layers.ts):\n${lines.join("\n")}`);
}

export function build(packet: Packet): Buffer {
  const layers = validatePacket(packet);
  // Outer to inner: which addresses each layer's pseudo-header uses.
  const pseudo: (Pseudo | undefined)[] = [];
  let ip: Pseudo | undefined;
  for (const layer of layers) {
    pseudo.push(ip);
    if ("ipv4" in layer)
      ip = { src: parseIpv4(layer.ipv4.src ?? "0.0.0.0"), dst: parseIpv4(layer.ipv4.dst ?? "0.0.0.0") };
    else if ("ipv6" in layer) ip = { src: parseIpv6(layer.ipv6.src ?? "::"), dst: parseIpv6(layer.ipv6.dst ?? "::") };
    else if ("routing" in layer && ip?.src.length === 16) {
      const final = finalDestination(layer.routing);
      if (final !== undefined) ip = { src: ip.src, dst: parseIpv6(final) };
    }
  }
  // Inner to outer: each layer wraps the bytes after it.
  let tail: Buffer = Buffer.alloc(0);
  for (let i = layers.length - 1; i >= 0; i--) {
    const next: LayerName | undefined = layers[i + 1] === undefined ? undefined : layerName(layers[i + 1]);
    tail = encodeLayer(layers[i], next, tail, pseudo[i]);
  }
  return tail;
}

function encodeLayer(layer: Layer, next: LayerName | undefined, tail: Buffer, pseudo: Pseudo | undefined): Buffer {
  if ("eth" in layer) return encodeEth(layer.eth, next, tail);
  if ("ipv4" in layer) return encodeIpv4(layer.ipv4, next, tail);
  if ("ipv6" in layer) return encodeIpv6(layer.ipv6, next, tail);
  if ("hbh" in layer) return encodeIpv6Opts(layer.hbh, next, tail);
  if ("dstopts" in layer) return encodeIpv6Opts(layer.dstopts, next, tail);
  if ("routing" in layer) return encodeRouting(layer.routing, next, tail);
  if ("frag" in layer) return encodeFrag(layer.frag, next, tail);
  if ("tcp" in layer) return encodeTcp(layer.tcp, tail, pseudo);
  if ("udp" in layer) return encodeUdp(layer.udp, tail, pseudo);
  if ("icmp" in layer) return encodeIcmp(layer.icmp, 4, tail, pseudo);
  if ("icmpv6" in layer) return encodeIcmp(layer.icmpv6, 6, tail, pseudo);
  if ("payload" in layer) return Buffer.concat([payloadBytes(layer.payload), tail]);
  throw new Error(`unknown layer "${layerName(layer)}" with fields ${JSON.stringify(layerFields(layer))}`);
}
