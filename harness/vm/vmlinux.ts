/**
 * The uncompressed kernel (vmlinux) inside a bzImage (vmlinuz), for a faster boot under TCG.
 *
 * qemu boots an ELF vmlinux directly through its PVH entry point (CONFIG_PVH), skipping the
 * BIOS's real-mode setup and the kernel's self-decompression, which under emulation takes
 * several seconds (about 5 s of a 15 s boot for Debian's xz-compressed 6.1 here).
 * When the payload cannot be extracted, callers boot the vmlinuz as it is.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
/** x86 boot protocol: setup_sects (byte), payload_offset and payload_length (u32) in the setup header. */
const SETUP_SECTS = 0x1f1;
const PAYLOAD_OFFSET = 0x248;
const PAYLOAD_LENGTH = 0x24c;
/** The build appends the uncompressed size (4 bytes) to the payload; zstd refuses trailing bytes. */
const SIZE_TRAILER = 4;

/** The zstd payload of a bzImage (Debian 13's kernels), cut exactly where the setup header says. */
function zstdPayload(bzImage: Buffer): Buffer | undefined {
  const start = (bzImage[SETUP_SECTS] + 1) * 512 + bzImage.readUInt32LE(PAYLOAD_OFFSET);
  const length = bzImage.readUInt32LE(PAYLOAD_LENGTH);
  const payload = bzImage.subarray(start, start + length - SIZE_TRAILER);
  if (!payload.subarray(0, 4).equals(ZSTD_MAGIC)) return undefined;
  const out = execFileSync("zstd", ["-dc"], { input: payload, maxBuffer: 1 << 30 });
  return out.subarray(0, 4).equals(ELF_MAGIC) ? out : undefined;
}

/** The ELF payload of a bzImage, or undefined when its compression is not one we read. */
export function vmlinuxOf(bzImage: Buffer): Buffer | undefined {
  const xz = bzImage.indexOf(XZ_MAGIC);
  if (xz >= 0) {
    // The payload is followed by other data: --single-stream stops at the end of the stream.
    const out = execFileSync("xz", ["-dc", "--single-stream"], { input: bzImage.subarray(xz), maxBuffer: 1 << 30 });
    if (out.subarray(0, 4).equals(ELF_MAGIC)) return out;
  }
  const zst = zstdPayload(bzImage);
  if (zst) return zst;
  const gz = bzImage.indexOf(GZIP_MAGIC);
  if (gz >= 0) {
    try {
      const out = gunzipSync(bzImage.subarray(gz));
      if (out.subarray(0, 4).equals(ELF_MAGIC)) return out;
    } catch {
      // not the payload: another gzip magic by chance, or trailing data gunzip refuses
    }
  }
  return undefined;
}

/** Write the vmlinux of `vmlinuz` to `out`; false when it cannot be extracted. */
export function extractVmlinux(vmlinuz: string, out: string): boolean {
  let elf: Buffer | undefined;
  try {
    elf = vmlinuxOf(readFileSync(vmlinuz));
  } catch {
    return false; // xz missing or the stream damaged: the compressed image still boots
  }
  if (!elf) return false;
  const tmp = `${out}.tmp-${process.pid}`;
  writeFileSync(tmp, elf);
  renameSync(tmp, out);
  return true;
}
