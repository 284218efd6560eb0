/**
 * DOT to SVG with Graphviz compiled to WebAssembly (@viz-js/viz): the layout
 * engine network drawings are made with, pinned by package-lock.json, and the
 * same wherever node runs (no `dot` binary to install, the same picture in CI
 * and in the VM). The instance is made once per process.
 */
import { instance, type Viz } from "@viz-js/viz";

let viz: Promise<Viz> | undefined;

/** The SVG element only (no XML prolog or doctype): it goes inline into a page. */
export async function dotToSvg(dot: string): Promise<string> {
  viz ??= instance();
  const result = (await viz).render(dot, { format: "svg" });
  if (result.status !== "success") throw new Error(`graphviz: ${result.errors.map((e) => e.message).join("; ")}`);
  return result.output.slice(result.output.indexOf("<svg"));
}
