#!/bin/sh
# tests/bench/cluster.sh - one collector on a single Redis versus on a
# 3-master Redis Cluster.  Not a test: prints a table.
#
#   tests/bench/cluster.sh [BUILDDIR] [FLOWS]
#
# Synthetic NetFlow v5 (30 flows a datagram, home net 198.18.0.0/15) is
# replayed over loopback UDP to one scanflowd, twice per workload: with
# --redis redis://127.0.0.1:PORT (TCP, like the cluster) and with
# --redis redis+cluster://...  Workloads:
#   scan   40 sources scanning (half ports of one host, half hosts of a /24
#          on one port), 10% noise of one-flow sources: the usual case;
#   flood  every two flows from a new source: the worst case for Redis
#          (about 18 commands per source, README-design.md).  scanflowd
#          runs with --share-after 1, so every source is written to Redis
#          (by default sources without fan-out stay on local probation).
# Figures: flows per CPU-second of the collector (user + sys of scanflowd,
# from wait4, including its final flush), and Redis CPU per flow (INFO cpu
# of every master, before and after; a cluster also spends some on its bus).
# Absolute numbers are noisy on a shared 2-vCPU machine: compare the rows of
# one run.
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top}
flows=${2:-300000}
for tool in redis-server redis-cli python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool not installed"; exit 1; }
done
[ -x "$build/scanflowd" ] || { echo "no $build/scanflowd (give the build dir)"; exit 1; }
exec python3 - "$top" "$build" "$flows" <<'EOF'
import os, random, resource, signal, socket, struct, subprocess, sys, tempfile, time

top, build, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, os.path.join(top, 'tests', 'e2e'))
import cluster_redis

tmp = tempfile.mkdtemp(prefix='sf-bench-cluster.')
HOME = (198 << 24) | (18 << 16)


def v5_packet(recs, seq):
    now = int(time.time())
    hdr = struct.pack('!HHIIIIBBH', 5, len(recs), 100000, now, 0, seq, 0, 0, 0)
    body = b''
    for src, dst, dport in recs:
        body += struct.pack('!IIIHHIIIIHHBBBBHHBBH', src, dst, 0, 0, 0, 1, 44,
                            99000, 99000, 40000 + (dport % 20000), dport, 0, 0x02,
                            6, 0, 0, 0, 0, 0, 0)
    return hdr + body


def frame(payload):
    udp = struct.pack('!HHHH', 9995, 2055, 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBHII', 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                     0x7f000001, 0x7f000001)
    return b'\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00' + ip + udp


def flows(kind, n, rnd):
    if kind == 'flood':
        for i in range(n):
            yield (0x0b000000 + i // 2, HOME + rnd.randrange(1 << 17), rnd.choice((22, 80, 443)))
        return
    scanners = [(0xcb007100 + i) for i in range(40)]
    for i in range(n):
        if i % 10 == 0:
            yield (0x0c000000 + i, HOME + rnd.randrange(1 << 17), 22)
            continue
        s = scanners[i % 40]
        k = i // 40
        if s % 2:
            yield (s, HOME + (s & 0xff), 1 + k % 65535)             # port scan
        else:
            yield (s, HOME + ((k // 254) % 512 << 8) + 1 + k % 254, 22)  # sweep


def write_pcap(kind):
    path = os.path.join(tmp, kind + '.pcap')
    rnd = random.Random(7)
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        batch, seq = [], 0
        for fl in flows(kind, total, rnd):
            batch.append(fl)
            if len(batch) == 30:
                p = frame(v5_packet(batch, seq))
                f.write(struct.pack('<IIII', 0, 0, len(p), len(p)) + p)
                seq += 30
                batch = []
    return path


def redis_cpu(ports):
    cpu = 0.0
    for p in ports:
        text = cluster_redis.node_cmd(p, 'INFO', 'cpu')
        i = dict(l.split(':', 1) for l in text.split('\r\n') if ':' in l)
        cpu += float(i['used_cpu_user']) + float(i['used_cpu_sys'])
    return cpu


def run(url, redis_ports, pcap):
    port = cluster_redis._free_pair()
    log = os.path.join(tmp, 'd.log')
    d = subprocess.Popen([os.path.join(build, 'scanflowd'), '--listen',
                          'udp://127.0.0.1:%d' % port, '--redis', url,
                          '--home-net', '198.18.0.0/15', '--flush-interval', '1',
                          # every source written, as before probation by
                          # fan-out: this compares Redis's work per command
                          '--share-after', '1'],
                         stdout=open(log, 'w'), stderr=subprocess.STDOUT)
    for _ in range(100):
        if 'listening on' in open(log).read():
            break
        time.sleep(0.05)
    r0 = redis_cpu(redis_ports)
    t0 = time.time()
    subprocess.run([os.path.join(build, 'scanflow'), 'replay', pcap,
                    '127.0.0.1:%d' % port, '--rate', '4000', '--quiet'], check=True)
    time.sleep(2.5)                     # the last flushes
    d.send_signal(signal.SIGTERM)
    _, status, ru = os.wait4(d.pid, 0)
    d.returncode = status
    wall = time.time() - t0
    r1 = redis_cpu(redis_ports)
    text = open(log).read()
    recs = 0
    for line in text.splitlines():
        if 'stopping:' in line:
            recs = int(line.split(',')[1].split()[0])
    cpu = ru.ru_utime + ru.ru_stime
    for line in text.splitlines():
        if 'WARNING' in line or 'CRITICAL' in line or 'slot map' in line:
            print('#   ' + line[:200])
    return recs, cpu, r1 - r0, wall


def single_redis():
    port = cluster_redis._free_pair()
    d = os.path.join(tmp, 'single')
    os.mkdir(d)
    p = subprocess.Popen(['redis-server', '--port', str(port), '--bind', '127.0.0.1',
                          '--save', '', '--appendonly', 'no', '--dir', d],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            if cluster_redis.node_cmd(port, 'PING') == 'PONG':
                break
        except OSError:
            time.sleep(0.05)
    return p, port


def main():
    single, sport = single_redis()
    cl = cluster_redis.Cluster(3, 0, 5000)
    try:
        print('%d flows per workload, v5, 30 flows a datagram, replayed at 4000 '
              'datagrams/s to one scanflowd' % total)
        print('%-6s %-8s %9s %9s %12s %14s %12s' % ('load', 'redis', 'flows', 'cpu s',
              'flows/cpu-s', 'redis us/flow', 'wall s'))
        for kind in ('scan', 'flood'):
            pcap = write_pcap(kind)
            for name, url, ports in (('single', 'redis://127.0.0.1:%d' % sport, [sport]),
                                     ('cluster', cl.url(), cl.masters())):
                cluster_redis.node_cmd(ports[0], 'PING')
                for p in ports:
                    cluster_redis.node_cmd(p, 'FLUSHALL')
                recs, cpu, rcpu, wall = run(url, ports, pcap)
                print('%-6s %-8s %9d %9.2f %12.0f %14.2f %12.1f' % (
                    kind, name, recs, cpu, recs / cpu if cpu else 0,
                    rcpu * 1e6 / recs if recs else 0, wall))
                sys.stdout.flush()
    finally:
        cl.stop()
        single.kill()
        single.wait()
        subprocess.run(['rm', '-rf', tmp])


main()
EOF
