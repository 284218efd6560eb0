/** The Jool guest (guest.ts and what it imports) as one file: see harness/vm/bundle.ts for why. */
import { join } from "node:path";
import { ROOT } from "../../root.ts";
import { bundleForGuest } from "../../vm/bundle.ts";

export async function bundleGuest(outfile: string): Promise<void> {
  await bundleForGuest(join(ROOT, "harness", "translators", "jool", "guest.ts"), outfile);
}
