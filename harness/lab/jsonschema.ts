/**
 * The lab file's JSON Schema, generated from the zod schema so the two never
 * disagree. Editors with a YAML language server read it from the comment at
 * the top of each lab file:
 *   # yaml-language-server: $schema=../schema/lab.schema.json
 * A unit test fails when schema/lab.schema.json is older than schema.ts:
 * regenerate it with writeLabJsonSchema() (`natlab schema`).
 */
import { writeFileSync } from "node:fs";
import { z } from "zod";
import * as layers from "../packet/layers.ts";
import * as lab from "./schema.ts";

export const LAB_SCHEMA_ID = "https://natlab.invalid/schema/lab.schema.json";

/** Named parts become $defs with readable names (Ipv4, Endpoint, ...); the rest is inlined. */
function namedParts(): z.core.$ZodRegistry<Record<string, unknown>> {
  const registry = z.registry<Record<string, unknown>>();
  const parts: Record<string, unknown> = {
    Eth: layers.Eth,
    Ipv4: layers.Ipv4,
    Ipv6: layers.Ipv6,
    Ipv6Opts: layers.Ipv6Opts,
    Ipv6Routing: layers.Ipv6Routing,
    Ipv6Frag: layers.Ipv6Frag,
    Tcp: layers.Tcp,
    Udp: layers.Udp,
    Icmp: layers.Icmp,
    Payload: layers.Payload,
    IpOption: layers.IpOption,
    Layer: layers.Layer,
    Packet: layers.Packet,
    Endpoint: lab.Endpoint,
    Link: lab.Link,
    Route: lab.Route,
    Neighbour: lab.Neighbour,
    Namespace: lab.Namespace,
    BpfAttach: lab.BpfAttach,
    Service: lab.Service,
    Expect: lab.Expect,
    RunSpec: lab.RunSpec,
    InjectSpec: lab.InjectSpec,
    Flow: lab.Flow,
  };
  for (const [id, schema] of Object.entries(parts)) {
    const s = schema as z.ZodType;
    registry.add(s, { ...z.globalRegistry.get(s), id });
  }
  return registry;
}

export function labJsonSchema(): Record<string, unknown> {
  // "input": what a person writes (defaults optional, on/off accepted), not what the loader returns.
  const schema = z.toJSONSchema(lab.Lab, {
    io: "input",
    target: "draft-2020-12",
    unrepresentable: "any",
    metadata: namedParts(),
    // Editors show a description on hover and on a failed match: use the pattern's human message.
    override: ({ zodSchema, jsonSchema }) => {
      const checks = (
        zodSchema._zod.def as { checks?: { _zod: { def: { format?: string; error?: () => unknown } } }[] }
      ).checks;
      const message = checks?.find((c) => c._zod.def.format === "regex")?._zod.def.error?.();
      if (typeof message === "string" && !jsonSchema.description) jsonSchema.description = message;
      // A description given outside a default (`.default(x).describe(...)`) is kept by zod only in its registry.
      const described = z.globalRegistry.get(zodSchema as unknown as z.ZodType)?.description;
      if (described)
        jsonSchema.description =
          typeof message === "string" && message !== described ? `${described}: ${message}` : described;
    },
  });
  return {
    $schema: schema.$schema,
    $id: LAB_SCHEMA_ID,
    title: "natlab lab file",
    description:
      "A NAT64 lab: namespaces, veth links, BPF attachments and the flows with the packets expected through them.",
    ...schema,
  };
}

/** The schema as committed: two-space JSON with a final newline. */
export function labJsonSchemaText(): string {
  return `${JSON.stringify(labJsonSchema(), null, 2)}\n`;
}

export function writeLabJsonSchema(
  path: string | URL = new URL("../../schema/lab.schema.json", import.meta.url),
): void {
  writeFileSync(path, labJsonSchemaText());
}
