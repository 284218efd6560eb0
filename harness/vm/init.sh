#!/bin/busybox sh
# natlab VM init: PID 1 of a throwaway VM that runs one command on another kernel.
#
# Stage 1 (this file as /init in the initramfs):
#   load the boot modules, mount the host's / (9p, read-only) under a tmpfs overlay,
#   mount the control share, then switch_root into the overlay and run stage 2.
# Stage 2 (this file again, copied to /run/natlab/init.sh in the new root):
#   mount the usual pseudo filesystems, make /lib/modules/<ver> visible, mount the results
#   share, run the command, write its exit code to the control share, power off.
#
# The host (harness/vm/qemu.ts) passes three 9p shares, by mount tag:
#   hostroot      the host's /, read-only
#   natlab-ctl    a host temp dir: config.sh (variables below), command.sh; we write exit-code
#   natlab-share  the caller's results dir, read-write, mounted at its host path
# config.sh sets NATLAB_SHARE, NATLAB_CWD, NATLAB_KVER, NATLAB_MODULES (host path of
# /lib/modules/<ver>, visible through hostroot).
#
# Every failure prints "natlab-vm: ..." and powers off without an exit-code file: the host
# reports it as a VM failure, not as the command's result.

BB=/bin/busybox
MSIZE=512000

fail() {
  echo "natlab-vm: $*"
  $BB sync
  $BB poweroff -f
  exit 1
}

stage1() {
  $BB mkdir -p /proc /sys /dev /lower /rw /newroot /ctl
  $BB mount -t proc proc /proc
  # --install finds busybox through /proc/self/exe, hence after /proc.
  $BB --install -s /bin
  export PATH=/bin
  mount -t sysfs sysfs /sys
  mount -t devtmpfs devtmpfs /dev
  # Keep the console for the command's output: only emergencies from the kernel.
  dmesg -n 1

  # Boot modules, in dependency order (written by harness/vm/initramfs.ts).
  while read -r mod; do
    insmod "/modules/$mod" || fail "insmod $mod failed"
  done </modules/load-order

  # The host's / is read-only and does not change under us: let the page cache keep it.
  mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=$MSIZE hostroot /lower ||
    fail "mounting the host root (9p tag hostroot) failed"
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=$MSIZE natlab-ctl /ctl ||
    fail "mounting the control share (9p tag natlab-ctl) failed"
  mount -t tmpfs -o mode=755 tmpfs /rw
  mkdir -p /rw/upper /rw/work
  mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
    fail "overlay of tmpfs on the host root failed"

  # Stage 2 runs from /run/natlab, a tmpfs of its own in the new root.
  mount -t tmpfs -o mode=755 tmpfs /newroot/run
  mkdir -p /newroot/run/natlab/bin /newroot/run/natlab/ctl
  cp /bin/busybox /init /newroot/run/natlab/
  mount --move /ctl /newroot/run/natlab/ctl
  mount --move /dev /newroot/dev
  umount /proc /sys
  exec switch_root /newroot /run/natlab/busybox sh /run/natlab/init stage2
  fail "switch_root failed"
}

stage2() {
  BB=/run/natlab/busybox
  CTL=/run/natlab/ctl
  # This script uses busybox's applets only (/run/natlab/busybin); the command gets the
  # host's tools, plus busybox's module tools, as the host's root may have no kmod at all.
  $BB mount -t proc proc /proc
  $BB mkdir -p /run/natlab/busybin
  $BB --install -s /run/natlab/busybin
  for tool in modprobe insmod rmmod lsmod modinfo depmod; do
    $BB ln -sf $BB /run/natlab/bin/$tool
  done
  command_path=/run/natlab/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  export PATH=/run/natlab/busybin
  export HOME=/root TERM=dumb LANG=C.UTF-8
  . $CTL/config.sh || fail "reading $CTL/config.sh failed"

  mount -t sysfs sysfs /sys
  mkdir -p /dev/pts /dev/shm
  mount -t devpts devpts /dev/pts
  mount -t tmpfs tmpfs /dev/shm
  # /tmp stays the overlay's: the host's temp files (a kernel cache, a test's objects) are
  # readable, and what the VM writes there goes to the tmpfs upper layer, not the host.
  mount -t bpf bpf /sys/fs/bpf
  mount -t tracefs tracefs /sys/kernel/tracing
  # The write-up reads /sys/kernel/debug/tracing/trace_pipe: debugfs carries that path.
  mount -t debugfs debugfs /sys/kernel/debug
  hostname natlab-vm
  echo natlab-vm >/etc/hostname
  ip link set lo up

  # The kernel's own module requests (tc asking for sch_prio, ...) go through busybox too.
  mkdir -p "/lib/modules/$NATLAB_KVER"
  mount --bind "$NATLAB_MODULES" "/lib/modules/$NATLAB_KVER" ||
    fail "binding $NATLAB_MODULES to /lib/modules/$NATLAB_KVER failed"
  echo /run/natlab/bin/modprobe >/proc/sys/kernel/modprobe
  # libcrc32c (act_csum's dependency) wants a crc32c implementation, a soft dependency
  # that busybox's modprobe does not follow.
  modprobe crc32c_generic
  # /dev/net/tun appears only once tun is loaded (no udev here to make static nodes), and
  # opening a missing node loads nothing: user-space translators (TAYGA) need it.
  modprobe tun 2>/dev/null || true

  if [ -n "$NATLAB_SHARE" ]; then
    mkdir -p "$NATLAB_SHARE"
    mount -t 9p -o trans=virtio,version=9p2000.L,msize=$MSIZE natlab-share "$NATLAB_SHARE" ||
      fail "mounting the results share at $NATLAB_SHARE failed"
  fi

  cd "$NATLAB_CWD" || fail "no such directory in the VM: $NATLAB_CWD"
  echo "natlab-vm: ready, kernel $(uname -r), running the command"
  if [ -x /bin/bash ]; then shell=/bin/bash; else shell=/bin/sh; fi
  PATH=$command_path $shell $CTL/command.sh </dev/null
  rc=$?
  echo "$rc" >$CTL/exit-code.tmp && mv $CTL/exit-code.tmp $CTL/exit-code
  cd /
  sync
  [ -n "$NATLAB_SHARE" ] && umount "$NATLAB_SHARE"
  poweroff -f
}

case "${1:-stage1}" in
stage2) stage2 ;;
*) stage1 ;;
esac
