/**
 * The files a lab names, checked before anything is built: each BPF
 * attachment's object must exist, be a BPF ELF object, and hold the program
 * section the attachment asks for; each nftables file must exist. Without
 * this, a typo shows only at the last setup step, in tc's words ("Cannot
 * initialize ELF context!").
 *
 * Section names come from the object's ELF section headers: a program
 * section is one with code in it (SHF_EXECINSTR and a size). The header
 * layout is the ELF64 one from <elf.h>; BPF objects are always ELF64.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { suggest } from "./issues.ts";
import type { Lab } from "./schema.ts";
import type { Problem } from "./where.ts";

/** e_machine of a BPF object (EM_BPF in <elf.h>). */
const EM_BPF = 247;
/** ELFCLASS64 and ELFDATA2LSB: BPF objects built for x86-64 and arm64 hosts. */
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
/** A section holding instructions. */
const SHF_EXECINSTR = 0x4;
/** Offsets into the ELF64 file header and section header (Elf64_Ehdr, Elf64_Shdr). */
const E_MACHINE = 0x12;
const E_SHOFF = 0x28;
const E_SHENTSIZE = 0x3a;
const E_SHNUM = 0x3c;
const E_SHSTRNDX = 0x3e;
const SH_FLAGS = 0x08;
const SH_OFFSET = 0x18;
const SH_SIZE = 0x20;

/** The program sections of a BPF object, or why the file is not one. */
export function programSections(path: string): { sections: string[] } | { problem: string } {
  let elf: Buffer;
  try {
    elf = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { problem: code === "ENOENT" ? "no such file" : `cannot be read (${code ?? (err as Error).message})` };
  }
  // Too short for a file header, or not ELF at all (a source file, a README).
  if (elf.length < 64 || elf.toString("latin1", 0, 4) !== "\x7fELF")
    return { problem: "is not an ELF object (build it with clang -target bpf)" };
  if (elf[4] !== ELFCLASS64 || elf[5] !== ELFDATA2LSB) return { problem: "is not a 64-bit little-endian ELF object" };
  if (elf.readUInt16LE(E_MACHINE) !== EM_BPF)
    return { problem: "is an ELF object for another machine, not BPF (build it with clang -target bpf)" };
  const shoff = Number(elf.readBigUInt64LE(E_SHOFF));
  const shentsize = elf.readUInt16LE(E_SHENTSIZE);
  const shnum = elf.readUInt16LE(E_SHNUM);
  const header = (i: number) => shoff + i * shentsize;
  // A truncated object: the section headers would run past its end.
  if (shoff + shnum * shentsize > elf.length)
    return { problem: "is truncated (its section headers run past the end of the file)" };
  const strtab = Number(elf.readBigUInt64LE(header(elf.readUInt16LE(E_SHSTRNDX)) + SH_OFFSET));
  const name = (i: number) => {
    const start = strtab + elf.readUInt32LE(header(i));
    return elf.toString("latin1", start, elf.indexOf(0, start));
  };
  const sections: string[] = [];
  for (let i = 1; i < shnum; i++) {
    const flags = Number(elf.readBigUInt64LE(header(i) + SH_FLAGS));
    const size = Number(elf.readBigUInt64LE(header(i) + SH_SIZE));
    // .text holds the helpers a program calls; it is not a program of its own.
    if (flags & SHF_EXECINSTR && size > 0 && name(i) !== ".text") sections.push(name(i));
  }
  return { sections };
}

export interface ObjectOverride {
  /** `--object`: every attachment uses this object instead of its own (relative to the working directory). */
  object?: string;
}

/**
 * Problems with the files a lab names: BPF objects (relative to `root`) and
 * nftables files (relative to the lab file). `override.object` replaces every
 * attachment's object; a problem with the override itself is the caller's to
 * report (it has no place in the lab file), so only its sections are checked here.
 */
export function checkLabFiles(lab: Lab, labPath: string, root: string, override: ObjectOverride = {}): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, ReturnType<typeof programSections>>();
  lab.bpf.forEach((b, i) => {
    const path = override.object ? resolve(override.object) : resolve(root, b.object);
    const shown = override.object ? `--object ${override.object}` : b.object;
    if (!seen.has(path)) seen.set(path, programSections(path));
    const found = seen.get(path) as ReturnType<typeof programSections>;
    if ("problem" in found) {
      if (!override.object)
        problems.push({
          path: ["bpf", i, "object"],
          message: `${b.object}: ${found.problem} (objects are found from the project root)`,
        });
      return;
    }
    if (!found.sections.includes(b.section)) {
      const list = found.sections.join(", ") || "none";
      problems.push({
        path: ["bpf", i, "section"],
        message: `${shown} has no program section \`${b.section}\` (it has: ${list})${suggest(b.section, found.sections)}`,
      });
    }
  });
  for (const [ns, n] of Object.entries(lab.namespaces)) {
    if (typeof n.nftables !== "object" || n.nftables === null) continue;
    const path = join(dirname(labPath), n.nftables.file);
    if (!existsSync(path))
      problems.push({
        path: ["namespaces", ns, "nftables", "file"],
        message: `no such file: ${path} (nftables files are found from the lab file's directory)`,
      });
  }
  return problems;
}
