#!/usr/bin/python3
"""Send a pcap's frames on a device, writing down each input before it goes.

    noted-send.py DEVICE PCAP PPS NOTE IDS

The frames of PCAP go out on DEVICE (an AF_PACKET socket, as tcpreplay's),
PPS a second. Frame 2k is an input, frame 2k+1 its marker (datapath.ts).
Before input k is sent, line k of IDS (its position in the run) is written
over the start of NOTE. The datapath's receive path runs inside send()
on the same CPU, so when a translator panics the kernel on a frame, NOTE
names that frame: the host reads it from the share after the VM is gone.

Standard library only: it runs under the VM's /usr/bin/python3.
"""

import os
import socket
import struct
import sys
import time

PCAP_HEADER = 24
PCAP_RECORD = 16
PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D
# Wide enough for any position, so that a shorter one leaves no digits behind.
NOTE_WIDTH = 16


def frames(path):
    """The frames of a pcap file (either byte order, micro- or nanosecond)."""
    with open(path, "rb") as f:
        data = f.read()
    order = "<" if struct.unpack("<I", data[:4])[0] in (PCAP_MAGIC_US, PCAP_MAGIC_NS) else ">"
    at = PCAP_HEADER
    out = []
    while at + PCAP_RECORD <= len(data):
        incl = struct.unpack(order + "I", data[at + 8 : at + 12])[0]
        out.append(data[at + PCAP_RECORD : at + PCAP_RECORD + incl])
        at += PCAP_RECORD + incl
    return out


def main():
    if len(sys.argv) != 6:
        sys.stderr.write("usage: noted-send.py DEVICE PCAP PPS NOTE IDS\n")
        return 2
    device, pcap, pps, note, ids_file = sys.argv[1:]
    with open(ids_file) as f:
        ids = f.read().split()
    seq = frames(pcap)
    gap = 1.0 / float(pps)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((device, 0))
    # The note lives on the 9p share (no cache): each write reaches the host before send().
    fd = os.open(note, os.O_WRONLY | os.O_CREAT, 0o644)
    start = time.monotonic()
    for i, frame in enumerate(seq):
        due = start + i * gap
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        if i % 2 == 0 and i // 2 < len(ids):
            os.pwrite(fd, ids[i // 2].ljust(NOTE_WIDTH).encode() + b"\n", 0)
        try:
            sock.send(frame)
        except OSError as e:
            # Larger than the device's MTU (EMSGSIZE): not sent, as tcpreplay skips it; its marker still goes.
            sys.stderr.write("noted-send.py: frame %d not sent: %s\n" % (i, e.strerror))
    os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
