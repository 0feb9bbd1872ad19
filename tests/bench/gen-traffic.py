#!/usr/bin/env python3
"""gen-traffic.py - synthetic packet capture for scanflow's benchmark.

Writes a classic pcap (Ethernet, IPv4) that softflowd turns into real
exporter bytes (tests/bench/make-inputs.sh).  Python standard library only,
deterministic for a given --seed, so `make bench` rebuilds the same inputs.

The mix, over --seconds of capture time, towards the home network
198.18.0.0/15 (RFC 2544 benchmarking space):

  noise     --noise distinct internet sources, each sending one or two TCP
            SYNs (or one UDP probe, or one ICMP echo) to a random home host
            and port: the background radiation every public network sees.
            Each is a one-flow source: the worst case for per-source state.
  scanners  --scanners heavy sources: half port-scan one host (SYN to
            --scan-width ports, closed ports answer RST+ACK), half sweep
            /24s on one port (SYN to --scan-width hosts).
  benign    --benign TCP conversations from home clients to outside servers
            (handshake, data, FIN) and as many DNS exchanges: flows that
            must never count as evidence.

Usage: gen-traffic.py OUT.pcap [--seed N] [--noise N] [--scanners N]
                      [--scan-width N] [--benign N] [--seconds S]
"""
import argparse
import random
import struct

ETH_HDR = b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02" + b"\x08\x00"
HOME = (198 << 24) | (18 << 16)            # 198.18.0.0/15
HOME_SIZE = 1 << 17


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload, ident):
    hdr = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + len(payload), ident & 0xFFFF,
                      0x4000, 64, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def tcp(sport, dport, flags, seq=0, ack=0, data=b""):
    # checksum left 0: softflowd does not verify it
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                       65535, 0, 0) + data


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def icmp_echo(ident, seq):
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"scanflow"
    return body[:2] + struct.pack("!H", csum(body)) + body[4:]


FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.packets = []

    def add(self, t, frame):
        self.packets.append((t, frame))

    def close(self):
        self.packets.sort(key=lambda p: p[0])
        for t, frame in self.packets:
            sec = int(t)
            usec = int((t - sec) * 1e6)
            self.f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
            self.f.write(frame)
        self.f.close()
        return len(self.packets)


def outside(rng):
    # a public-looking IPv4 address outside the home net, 127/8, 0/8, 224/3
    while True:
        a = rng.randrange(1 << 24, 224 << 24)
        if (a >> 24) != 127 and (a & 0xFFFE0000) != HOME:
            return a


def home_host(rng):
    return HOME + rng.randrange(1, HOME_SIZE - 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--noise", type=int, default=40000)
    ap.add_argument("--scanners", type=int, default=4)
    ap.add_argument("--scan-width", type=int, default=4000)
    ap.add_argument("--benign", type=int, default=3000)
    ap.add_argument("--seconds", type=float, default=60.0)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    t0 = 1700000000.0
    pc = Pcap(a.out)
    ident = 0

    def pkt(t, src, dst, proto, l4):
        nonlocal ident
        ident += 1
        pc.add(t, ETH_HDR + ipv4(src, dst, proto, l4, ident))

    def when():
        return t0 + rng.random() * a.seconds

    # internet background noise: one-flow sources
    common = [22, 23, 80, 443, 445, 3389, 8080, 5900, 1433, 3306, 6379, 8443]
    for _ in range(a.noise):
        src, dst, t = outside(rng), home_host(rng), when()
        kind = rng.random()
        sport = rng.randrange(1024, 65536)
        if kind < 0.75:
            dport = rng.choice(common) if rng.random() < 0.6 else rng.randrange(1, 65536)
            for k in range(1 if rng.random() < 0.7 else 2):
                pkt(t + k, src, dst, 6, tcp(sport, dport, SYN, rng.getrandbits(32)))
        elif kind < 0.92:
            dport = rng.choice([53, 123, 161, 1900, 5060, 11211, 137])
            pkt(t, src, dst, 17, udp(sport, dport, b"\0" * 16))
        else:
            pkt(t, src, dst, 1, icmp_echo(sport, 1))

    # heavy scanners: port scans of one host, sweeps of /24s on one port
    for s in range(a.scanners):
        src = outside(rng)
        start = t0 + rng.random() * a.seconds / 2
        step = (a.seconds / 2) / max(1, a.scan_width)
        sport = rng.randrange(1024, 65536)
        if s % 2 == 0:
            dst = home_host(rng)
            ports = rng.sample(range(1, 65536), a.scan_width)
            for i, dport in enumerate(ports):
                t = start + i * step
                pkt(t, src, dst, 6, tcp(sport, dport, SYN, i))
                if i % 2 == 0:      # closed port answers
                    pkt(t + 0.0005, dst, src, 6, tcp(dport, sport, RST | ACK, 0, i + 1))
        else:
            base = HOME + (rng.randrange(0, HOME_SIZE >> 8) << 8)
            dport = rng.choice([22, 445, 3389, 23])
            for i in range(a.scan_width):
                dst = base + ((i // 254) << 8) + (i % 254) + 1
                t = start + i * step
                pkt(t, src, dst, 6, tcp(sport, dport, SYN, i))

    # benign conversations from home clients, and DNS
    for _ in range(a.benign):
        cli, srv, t = home_host(rng), outside(rng), when()
        cport, sport = rng.randrange(32768, 61000), rng.choice([80, 443, 443, 993, 22])
        c2s = lambda fl, d=b"": pkt(t, cli, srv, 6, tcp(cport, sport, fl, 1, 1, d))
        s2c = lambda fl, d=b"": pkt(t, srv, cli, 6, tcp(sport, cport, fl, 1, 1, d))
        for fl, d, way in ((SYN, b"", c2s), (SYN | ACK, b"", s2c), (ACK, b"", c2s),
                           (PSH | ACK, b"x" * 300, c2s), (PSH | ACK, b"y" * 1200, s2c),
                           (FIN | ACK, b"", c2s), (FIN | ACK, b"", s2c), (ACK, b"", c2s)):
            way(fl, d)
            t += 0.002
        dns_cli, dns_srv, t = home_host(rng), outside(rng), when()
        q = rng.randrange(1024, 65536)
        pkt(t, dns_cli, dns_srv, 17, udp(q, 53, b"\1" * 30))
        pkt(t + 0.01, dns_srv, dns_cli, 17, udp(53, q, b"\2" * 90))

    n = pc.close()
    print("gen-traffic: %d packets, %d noise sources, %d scanners x %d, "
          "%d conversations -> %s" % (n, a.noise, a.scanners, a.scan_width,
                                       a.benign, a.out))


if __name__ == "__main__":
    main()
