#!/bin/sh
# natlab's one install step, run by `npm start` and `npm test` (and the Vagrantfile).
# Idempotent: installs only what is missing, so a second run takes a second or two.
#   - Debian packages the labs, the BPF build and the tests use
#   - npm packages (npm ci when node_modules is missing or older than the lockfile)
#   - builds bpf/nat64.o and the xlat runner
set -eu
cd "$(dirname "$0")/.."

# Debian packages, one line each with what needs it (jool-tools: jool_siit, which sets up Jool in the VM;
# tmux: the real terminal in which the tests drive natlab step and natlab shell;
# python3: harness/translators/noted-send.py, the frame sender of a Jool fuzz run in the VM).
PKGS="
clang llvm libbpf-dev libelf-dev zlib1g-dev gcc make pkg-config
bpftool iproute2 iputils-ping traceroute
tcpdump tcpreplay tshark
nftables conntrack ethtool
socat iperf3 tayga
jool-tools
busybox-static qemu-system-x86 debian-archive-keyring xz-utils zstd
vagrant
chromium
tmux
python3
"
missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "natlab setup: missing Debian packages:$missing" >&2
    echo "  install them as root: apt-get install -y$missing" >&2
    exit 1
  fi
  echo "natlab setup: installing Debian packages:$missing"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer once, non-interactively.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -q
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing
fi

# npm packages: reinstall when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "natlab setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

# The translator and the xlat runner.
make -s -C bpf
