#!/usr/bin/env python3
"""Changes one byte of the payload of the first record of a given type in a journal segment and
re-computes the record's CRC32C, so the journal still verifies clean: a change only a replay can
find. Usage: tamper_record.py SEGMENT TYPE OFFSET. Prints the record's sequence number."""
import struct
import sys

POLY = 0x82F63B78  # CRC32C (Castagnoli), reflected
TABLE = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ POLY if c & 1 else c >> 1
    TABLE.append(c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def main():
    path, want_type, offset = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    data = bytearray(open(path, "rb").read())
    pos = 64  # the segment header
    while pos + 32 <= len(data):
        crc, length, rtype, _flags, _res, seq, _ts = struct.unpack_from("<IIHHIQq", data, pos)
        if length == 0 and crc == 0:
            break  # preallocated zeros: the end of what was written
        if rtype == want_type:
            if crc32c(bytes(data[pos + 4:pos + 32 + length])) != crc:
                sys.exit("record at %d does not verify before the change" % pos)
            data[pos + 32 + offset] ^= 0x01
            struct.pack_into("<I", data, pos, crc32c(bytes(data[pos + 4:pos + 32 + length])))
            open(path, "wb").write(data)
            print(seq)
            return
        pos += (32 + length + 7) // 8 * 8
    sys.exit("no record of type %d" % want_type)


main()
