"""NetFlow v5 packets built in Python, for flood and fault tests: spoofed
one-flow sources, or a scanner's probes, sent over UDP to a running
scanflowd.  Every flow is a TCP SYN probe (SYN, one 44-byte packet), the
kind correlate/evidence.c counts.

    python3 sfflood.py PORT SOURCES [FLOWS_PER_SOURCE] [PPS]
        sends SOURCES spoofed sources (100.64.0.0/10 and up, counted up)
        each probing FLOWS_PER_SOURCE random hosts in 198.18.0.0/15.
"""
import socket, struct, sys, time

RECORDS = 30            # per v5 packet (the protocol's maximum)
_seq = [0]


def v5_packet(flows, now=None):
    """flows: (src_u32, dst_u32, dport) tuples, at most 30."""
    now = time.time() if now is None else now
    hdr = struct.pack('!HHIIIIBBH', 5, len(flows), 100000, int(now),
                      int((now % 1) * 1e9), _seq[0], 0, 0, 0)
    _seq[0] = (_seq[0] + len(flows)) & 0xffffffff
    body = b''.join(struct.pack('!IIIHHIIIIHHBBBBHHBBH', src, dst, 0, 0, 0, 1, 44,
                                99000, 99500, 40000, dport, 0, 0x02, 6, 0, 0, 0,
                                0, 0, 0)
                    for src, dst, dport in flows)
    return hdr + body


def ip(text):
    return struct.unpack('!I', socket.inet_aton(text))[0]


class Sender:
    """Sends v5 packets to 127.0.0.1:port at about pps packets/s."""

    def __init__(self, port, pps=0):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
        self.addr = ('127.0.0.1', port)
        self.pps = pps
        self.sent = 0
        self.t0 = time.time()
        self.buf = []

    def flow(self, src, dst, dport):
        self.buf.append((src, dst, dport))
        if len(self.buf) == RECORDS:
            self.flush()

    def flush(self):
        if not self.buf:
            return
        self.s.sendto(v5_packet(self.buf), self.addr)
        self.buf = []
        self.sent += 1
        if self.pps:
            ahead = self.sent / self.pps - (time.time() - self.t0)
            if ahead > 0:
                time.sleep(ahead)


def spoofed(sender, n, first=0, flows_per_source=1, base=ip('100.64.0.0')):
    """n one-probe (or few-probe) sources, as a spoofed SYN flood makes."""
    x = 0x9e3779b9
    for i in range(first, first + n):
        for k in range(flows_per_source):
            x = (x * 1103515245 + 12345) & 0xffffffff
            sender.flow(base + i, ip('198.18.0.0') + (x & 0x1ffff), 1 + (x >> 17) % 1024)
    sender.flush()


def port_scan(sender, src, dst, ports):
    for p in ports:
        sender.flow(ip(src), ip(dst), p)
    sender.flush()


if __name__ == '__main__':
    port, n = int(sys.argv[1]), int(sys.argv[2])
    per = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    pps = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    s = Sender(port, pps)
    spoofed(s, n, 0, per)
