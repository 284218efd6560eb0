/**
 * A writer for the cpio "newc" format, the one format the kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst).
 *
 * Written by hand rather than with `cpio -o`: the archive needs a /dev/console device node
 * (the kernel opens it for init's stdin/stdout before init runs), and building that with a
 * real mknod would need a scratch tree on a filesystem that allows device nodes.
 */

export type CpioEntry =
  | { kind: "dir"; path: string; mode?: number }
  | { kind: "file"; path: string; data: Uint8Array; mode?: number }
  | { kind: "symlink"; path: string; target: string }
  | { kind: "chardev"; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

/** Serialise entries in the order given (parents before children) and add the trailer. */
export function cpioNewc(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  let ino = 1;
  const push = (b: Buffer) => {
    parts.push(b);
    offset += b.length;
  };
  const pad4 = () => {
    const n = (4 - (offset % 4)) % 4;
    if (n) push(Buffer.alloc(n));
  };
  const record = (name: string, mode: number, data: Uint8Array, rdevMajor = 0, rdevMinor = 0) => {
    const fields = [
      ino++,
      mode,
      0, // uid
      0, // gid
      (mode & S_IFDIR) === S_IFDIR ? 2 : 1, // nlink
      0, // mtime: fixed, so the same inputs give the same archive
      data.length,
      0, // devmajor
      0, // devminor
      rdevMajor,
      rdevMinor,
      Buffer.byteLength(name) + 1, // namesize, with the NUL
      0, // check: unused in newc
    ];
    push(Buffer.from(`070701${fields.map((f) => f.toString(16).padStart(8, "0")).join("")}`, "ascii"));
    push(Buffer.from(`${name}\0`, "utf8"));
    pad4(); // the header plus name is padded to a multiple of 4
    push(Buffer.from(data));
    pad4(); // and so is the data
  };

  for (const e of entries) {
    const name = e.path.replace(/^\/+/, "");
    switch (e.kind) {
      case "dir":
        record(name, S_IFDIR | (e.mode ?? 0o755), new Uint8Array());
        break;
      case "file":
        record(name, S_IFREG | (e.mode ?? 0o644), e.data);
        break;
      case "symlink":
        record(name, S_IFLNK | 0o777, Buffer.from(e.target, "utf8"));
        break;
      case "chardev":
        record(name, S_IFCHR | (e.mode ?? 0o600), new Uint8Array(), e.major, e.minor);
        break;
    }
  }
  record("TRAILER!!!", 0, new Uint8Array());
  return Buffer.concat(parts);
}
