/** `natlab script LAB`: the lab's plan as a shell script you can paste. */
import { UsageError } from "../errors.ts";
import { labPath } from "../lab/names.ts";
import { ROOT } from "../root.ts";
import type { Command } from "./command.ts";
import { variantOption } from "./lab-build.ts";

export const script: Command = {
  name: "script",
  args: "LAB",
  summary:
    "print the lab's plan as a shell script you can paste; for the article lab, the write-up's steps 6-13 " +
    "next to what runs in their place on this kernel, and why",
  options: [
    { name: "variant", type: "string", value: "V", description: "clsact or literal (default: as natlab run would)" },
    {
      name: "kernel",
      type: "string",
      value: "NAME",
      default: "host",
      description: "plan for that kernel, from its own build configuration (debian-6.1, linux-image-...)",
    },
  ],
  async run({ values, positionals }) {
    if (positionals.length !== 1) throw new UsageError("give one lab file or lab name (see natlab script --help)");
    const requested = variantOption(values.variant);
    const file = labPath(positionals[0], ROOT);
    const { loadLab } = await import("../lab/load.ts");
    const { defaultVariant, detectFeatures } = await import("../plan/features.ts");
    const { planLab } = await import("../plan/plan.ts");
    const { planToScript } = await import("../plan/script.ts");
    const lab = loadLab(file);
    let features = detectFeatures();
    if (values.kernel !== "host") {
      // The plan for another kernel is made from that kernel's own build configuration.
      const { prepareKernel } = await import("../vm/kernels.ts");
      const { kernelFeatures } = await import("../vm/labs.ts");
      const onProgress = (m: string) => process.stderr.write(`natlab: ${m}\n`);
      features = kernelFeatures(await prepareKernel(String(values.kernel), { onProgress }));
    }
    const variant = requested ?? defaultVariant(features, lab.literal !== undefined);
    const plan = planLab(lab, { runId: "script", features, root: ROOT, variant, labPath: file });
    process.stdout.write(planToScript(plan));
    return 0;
  },
};
