/**
 * The VM runner's pure parts, without booting anything (no root, no qemu): the initramfs
 * archive format, module load order, qemu's command line, the config handed to init.sh.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { cpioNewc } from "../../harness/vm/cpio.ts";
import { parseKernelName } from "../../harness/vm/kernels.ts";
import { loadOrder, moduleName, parseModulesDep } from "../../harness/vm/modules.ts";
import { commandOutput, qemuArgs, shellAssignments } from "../../harness/vm/qemu.ts";

const DEP = `kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko
kernel/net/9p/9pnet.ko:
kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko
kernel/fs/netfs/netfs.ko:
kernel/net/9p/9pnet_virtio.ko: kernel/drivers/virtio/virtio.ko kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/crypto/crc32c_generic.ko:
`;

test("load order puts every dependency first, each module once", (t) => {
  const deps = parseModulesDep(DEP);
  const order = loadOrder(deps, ["9pnet_virtio", "9p"]).map(moduleName);
  t.deepEqual(order, ["virtio", "9pnet", "virtio_ring", "9pnet_virtio", "netfs", "fscache", "9p"]);
});

test("module names treat - and _ alike; a missing module is named in the error", (t) => {
  const deps = parseModulesDep(DEP);
  t.deepEqual(loadOrder(deps, ["crc32c-generic"]), ["kernel/crypto/crc32c_generic.ko"]);
  t.throws(() => loadOrder(deps, ["act_csum"]), { message: /no module named act_csum/ });
});

const busybox = "/bin/busybox";
(existsSync(busybox) ? test : test.skip)("busybox cpio reads our newc archive back, device node included", (t) => {
  const archive = cpioNewc([
    { kind: "dir", path: "dev" },
    { kind: "chardev", path: "dev/console", major: 5, minor: 1 },
    { kind: "file", path: "init", data: Buffer.from("#!/bin/sh\n"), mode: 0o755 },
    { kind: "symlink", path: "sh", target: "busybox" },
  ]);
  t.is(archive.length % 4, 0);
  const dir = mkdtempSync(join(tmpdir(), "natlab-h4-cpio-"));
  try {
    writeFileSync(join(dir, "a.cpio"), archive);
    const listing = execFileSync(busybox, ["cpio", "-tv", "-F", join(dir, "a.cpio")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    t.regex(listing, /^drwxr-xr-x .* dev$/m);
    t.regex(listing, /^crw------- .* dev\/console$/m);
    t.regex(listing, /^-rwxr-xr-x .* 10 .* init$/m);
    t.regex(listing, /^lrwxrwxrwx .* sh -> busybox$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("qemu's command line: TCG, three 9p shares, commas in paths doubled", (t) => {
  const args = qemuArgs({
    kernel: { boot: "/k/vmlinux", initramfs: "/k/initramfs.cpio" },
    ctlDir: "/tmp/ctl",
    shareDir: "/tmp/a,b",
    accel: "tcg",
  });
  const after = (flag: string) => args.filter((_, i) => args[i - 1] === flag);
  t.deepEqual(after("-accel"), ["tcg"]);
  t.deepEqual(after("-kernel"), ["/k/vmlinux"]);
  t.true(args.includes("-no-reboot"));
  t.deepEqual(after("-virtfs"), [
    "local,path=/,mount_tag=hostroot,security_model=none,multidevs=remap,readonly=on",
    "local,path=/tmp/ctl,mount_tag=natlab-ctl,security_model=none,multidevs=remap",
    "local,path=/tmp/a,,b,mount_tag=natlab-share,security_model=none,multidevs=remap",
  ]);
});

test("config for init.sh survives quotes and spaces", (t) => {
  const text = shellAssignments({ NATLAB_SHARE: "/tmp/it's here", NATLAB_CWD: "/work/main" });
  const echoed = execFileSync("sh", ["-c", `${text}printf '%s|%s' "$NATLAB_SHARE" "$NATLAB_CWD"`], {
    encoding: "utf8",
  });
  t.is(echoed, "/tmp/it's here|/work/main");
});

test("kernel names: host, debian-5.10/6.1/6.12, package names; anything else is refused with the forms", (t) => {
  t.deepEqual(parseKernelName("host"), { kind: "host" });
  for (const name of ["debian-5.10", "debian-6.1", "debian-6.12"])
    t.deepEqual(parseKernelName(name), { kind: "vm", name });
  t.deepEqual(parseKernelName("linux-image-6.1.0-56-amd64"), { kind: "vm", name: "linux-image-6.1.0-56-amd64" });
  t.throws(() => parseKernelName("6.1"), {
    message: /use host, debian-5.10, debian-6.1, debian-6.12, or a Debian kernel package name/,
  });
});

test("the command's output is the console after init's ready line, without the power-off line", (t) => {
  const console =
    "boot noise\nnatlab-vm: ready, kernel 6.1.0-56-amd64, running the command\nhello\nworld\n[    8.651183] reboot: Power down\n";
  t.is(commandOutput(console), "hello\nworld\n");
  t.is(commandOutput("the VM never got ready\n"), "");
});
