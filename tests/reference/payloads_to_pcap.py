#!/usr/bin/env python3
"""Wrap raw flow-export payloads into a pcap that tshark and scanflow both read.

The corpus (fixtures/corpus) holds bare export messages: no pcap, Ethernet,
IP or UDP header.  Wireshark only dissects packets, so each message becomes
one Ethernet/IPv4/UDP frame from one exporter address (192.0.2.1, RFC 5737)
to UDP port 2055, where `-d udp.port==2055,cflow` makes tshark decode it.

A file may hold several messages back to back.  It is split the way an
exporter would have sent it:
  - NetFlow v5: header count field, 24 + 48 * count bytes (RFC-less; Cisco);
  - IPFIX: the 16-bit message length in the header (RFC 7011 section 3.1);
  - NetFlow v9 has no length field (RFC 3954 section 5.1): the rest of the
    file is one datagram.
Whatever cannot be split (a length past the end, a length below the header
size, an unknown version, trailing bytes) becomes one datagram of its own,
so both decoders see exactly the same bytes and neither is spared garbage.

Python standard library only.  Usage:
    payloads_to_pcap.py OUT.pcap FILE...
"""

import struct
import sys

EXPORTER_IP = "192.0.2.1"
COLLECTOR_IP = "192.0.2.2"
EXPORTER_SPORT = 2055
COLLECTOR_PORT = 2055

V5_HEADER = 24
V5_RECORD = 48
IPFIX_HEADER = 16
MAX_UDP_PAYLOAD = 65535 - 20 - 8

PCAP_MAGIC = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1


def split_messages(data):
    """Return the list of datagrams in a raw payload file, in order."""
    out = []
    pos = 0
    n = len(data)
    while pos < n:
        rest = n - pos
        size = rest
        if rest >= 4:
            version, field = struct.unpack_from("!HH", data, pos)
            if version == 5 and rest >= V5_HEADER:
                want = V5_HEADER + V5_RECORD * field
                if want <= rest:
                    size = want
            elif version == 10 and rest >= IPFIX_HEADER:
                if IPFIX_HEADER <= field <= rest:
                    size = field
            # v9, unknown versions, and lengths that do not fit: the rest
            # of the file is one datagram.
        out.append(data[pos:pos + size])
        pos += size
    return out


def _ip_checksum(header):
    total = 0
    for i in range(0, len(header), 2):
        total += (header[i] << 8) | header[i + 1]
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def _ipv4(addr):
    return bytes(int(x) for x in addr.split("."))


def frame(payload, ident, src_ip=EXPORTER_IP, dst_port=COLLECTOR_PORT):
    """One Ethernet/IPv4/UDP frame carrying payload (UDP checksum 0)."""
    if len(payload) > MAX_UDP_PAYLOAD:
        raise ValueError("payload of %d bytes does not fit a UDP datagram"
                         % len(payload))
    udp_len = 8 + len(payload)
    udp = struct.pack("!HHHH", EXPORTER_SPORT, dst_port, udp_len, 0)
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len,
                               ident & 0xFFFF, 0x4000, 64, 17, 0,
                               _ipv4(src_ip), _ipv4(COLLECTOR_IP)))
    struct.pack_into("!H", ip, 10, _ip_checksum(ip))
    eth = (b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01"
           + b"\x08\x00")
    return eth + bytes(ip) + udp + payload


def write_pcap(path, datagrams, src_ip=EXPORTER_IP, dst_port=COLLECTOR_PORT):
    """Write datagrams as a classic pcap, one frame each, 1 ms apart."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", PCAP_MAGIC, 2, 4, 0, 0, 262144,
                            LINKTYPE_ETHERNET))
        base = 1500000000
        for i, payload in enumerate(datagrams):
            pkt = frame(payload, i + 1, src_ip, dst_port)
            f.write(struct.pack("<IIII", base + i // 1000, (i % 1000) * 1000,
                                len(pkt), len(pkt)))
            f.write(pkt)


def files_to_datagrams(paths):
    datagrams = []
    for p in paths:
        with open(p, "rb") as f:
            datagrams.extend(split_messages(f.read()))
    return datagrams


def main(argv):
    if len(argv) < 3:
        sys.stderr.write("usage: %s OUT.pcap FILE...\n" % argv[0])
        return 2
    datagrams = files_to_datagrams(argv[2:])
    write_pcap(argv[1], datagrams)
    print("%s: %d datagrams" % (argv[1], len(datagrams)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
