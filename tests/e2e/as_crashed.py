#!/usr/bin/env python3
"""Makes a cleanly closed journal look like one a crashed process left: its MANIFEST back to
state open, each stream's last segment unsealed (the segments it rolled past keep their
seals, as the writers left them; journal/README.md, "The manifest"). The e2e tests that cut a tail
as a crash mid-append would use it first: in a closed journal such a cut is damage (exit 2),
in a crashed one a torn tail (exit 1). A journal without a manifest is left alone.
Usage: as_crashed.py DIR"""
import os
import sys


def crc32c(data):
    """CRC32C (Castagnoli), as the manifest's last line carries it."""
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def mark_crashed(journal):
    path = os.path.join(journal, "MANIFEST")
    if not os.path.exists(path):
        return
    lines = open(path).read().splitlines()
    last_seal = {}  # stream -> its last seal line's index in lines
    for i, line in enumerate(lines):
        if line.startswith("seal "):
            last_seal[line.split()[1]] = i
    out = []
    for i, line in enumerate(lines):
        if line.startswith(("crc ", "state ")) or i in last_seal.values():
            continue
        out.append(line)
        if line.startswith("session "):
            out.append("state open")
    text = "".join(l + "\n" for l in out)
    open(path, "w").write(text + "crc %08x\n" % crc32c(text.encode()))


if __name__ == "__main__":
    mark_crashed(sys.argv[1])
