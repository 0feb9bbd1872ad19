#!/usr/bin/env python3
"""gen-flood.py - NetFlow v5 export payloads of a spoofed-source flood.

Writes a raw payload file (v5 messages back to back, 30 records each, as
`scanflow replay` and `scanflow decode` read them): --sources distinct
source addresses, each sending one TCP SYN flow to a random host and port
of the home network 198.18.0.0/15, or, with --per-source K, K flows to K
distinct ports (K <= 3 keeps a source "low fan-out").  Built directly
rather than through softflowd: a million one-packet flows is a v5 record
layout exercise, not an exporter behaviour, and takes seconds this way.

Usage: gen-flood.py OUT.raw [--sources N] [--per-source K] [--seed S]
                            [--first-octet A]
"""
import argparse
import random
import struct


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--sources", type=int, default=1000000)
    ap.add_argument("--per-source", type=int, default=1)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--first-octet", type=int, default=20,
                    help="sources are A.0.0.0 + i (consecutive, distinct)")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    home = (198 << 24) | (18 << 16)
    base = a.first_octet << 24
    recs = []
    for i in range(a.sources):
        src = base + i + 1
        for k in range(a.per_source):
            dst = home + rng.randrange(1, 1 << 17)
            dport = 1 + (rng.randrange(65535) + k * 7919) % 65535
            # srcaddr dstaddr nexthop input output dPkts dOctets First Last
            # srcport dstport pad tcp_flags prot tos src_as dst_as masks pad
            recs.append(struct.pack("!IIIHHIIIIHHBBBBHHBBH", src, dst, 0, 1, 2, 1, 40,
                                    1000, 1000, 40000 + k, dport, 0, 2, 6, 0,
                                    0, 0, 0, 0, 0))
    seq = 0
    with open(a.out, "wb") as f:
        for off in range(0, len(recs), 30):
            chunk = recs[off:off + 30]
            f.write(struct.pack("!HHIIIIBBH", 5, len(chunk), 2000, 1700000000, 0,
                                seq, 0, 0, 0))
            f.write(b"".join(chunk))
            seq += len(chunk)
    print("gen-flood: %d flows from %d sources -> %s" % (len(recs), a.sources, a.out))


if __name__ == "__main__":
    main()
