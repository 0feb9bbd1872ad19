"""Slow scans over a day of traffic, replayed fast into scanflowd with a
real redis-server and --clock flows (the daemon's "now" is the newest flow
end time it saw): nmap -T1's pace (100 ports of one host, a probe every
15 s) must raise one port_scan with window_s 3600, nmap -T0's (a /24 swept
on port 80, a probe every 300 s) one host_sweep with window_s 86400, and
an uptime monitor checking the same 20 (host, port) pairs every 5 minutes
for 23 hours, every check refused (the worst case), nothing.

The packets are written here (SYN, then the closed port's RST-ACK, at the
times above) and exported by softflowd 1.1.0 reading the capture with -a
(flow times are the packets'), as NetFlow v5 and IPFIX; softflowd sends
its datagrams at the end of the capture, in time order, each holding about
5 minutes of flows.  They are sent to scanflowd 10 ms apart: with --clock
flows, scanflowd flushes before it files flows of a new time bucket, so
each flush holds one datagram's minutes, and a day replays in seconds.

Then the same for every export of fixtures/slow/ (real nmap runs retimed
to -T1 and -T0 pace over a day, an uptime monitor and a backup client all
day, exported by softflowd and pmacctd as v5, v9 and IPFIX): each scanner
of fixtures/slow/scenarios.tsv is alerted once with its kind and its
horizon as window_s, and nothing else is; scanflow hunt on the same
export gives the same (src, kind, window_s) as scanflowd.

Then on a Redis Cluster of 3 masters (cluster_redis.py), three scanflowd
with --clock flows are fed thirds of fixtures/slow/'s softflowd IPFIX and
pmacctd v5 exports (datagrams dealt round-robin in time order, those
carrying templates to all three, as cluster_e2e.py feeds thirds): each
scanner alerted exactly once over the three collectors, window_s its
horizon, nothing else (the same check as one collector on one
redis-server); and, the control, the first collector's third alone
raises only the 300-port scan; and softflowd's IPFIX of a port scan that
crosses the 300 s window and then grows fourfold within the hour, thirds
to the three: one port_scan, escalated once (window_s 3600, escalates
its id).  Prints TAP."""
import glob, json, os, socket, struct, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
import sfredis

build = sfredis.BUILD
tmp = tempfile.mkdtemp(prefix='sf-slow.')
T0 = 1767225600                 # 2026-01-01 00:00:00 UTC
SCANNER_T1 = '203.0.113.10'
SCANNER_T0 = '203.0.113.30'
MONITOR = '203.0.113.20'
ESCALATOR = '203.0.113.40'
PACE_S = 0.01                   # between datagrams


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def tcp_frame(src, dst, sport, dport, flags, seq=1, ack=0):
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    tcp = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4, flags,
                      1024, 0, 0)
    tcp = tcp[:16] + struct.pack('!H', csum(s + d + struct.pack('!BBH', 0, 6, len(tcp))
                                            + tcp)) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, s, d)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return b'\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00' + ip + tcp


def write_capture(path):
    pkts = []

    def probe(t, src, dst, dport, sport):
        # a SYN to a closed port and its RST-ACK 1 ms later
        pkts.append((t, tcp_frame(src, dst, sport, dport, 0x02)))
        pkts.append((t + 0.001, tcp_frame(dst, src, dport, sport, 0x14, 0, 2)))

    top20 = [21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993,
             995, 1723, 3306, 3389, 5900, 8080]
    for i in range(100):        # -T1 from hour 2: 25 minutes
        probe(T0 + 7200 + 15 * i, SCANNER_T1, '198.18.1.10',
              top20[i] if i < 20 else 1000 + i, 40000)
    for h in range(256):        # -T0: 21 h 20 min
        probe(T0 + 60 + 300 * h, SCANNER_T0, '198.18.2.%d' % h, 80, 41000)
    pairs = [('198.18.3.%d' % (1 + i // 2), (80, 443)[i % 2]) for i in range(20)]
    for k in range(23 * 3600 // 300):
        for j, (host, port) in enumerate(pairs):
            probe(T0 + 30 + 300 * k + 0.2 * j, MONITOR, host, port,
                  42000 + (20 * k + j) % 20000)
    pkts.sort(key=lambda p: p[0])
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for t, p in pkts:
            f.write(struct.pack('<IIII', int(t), int(round((t % 1) * 1e6)) % 1000000,
                                len(p), len(p)) + p)


def write_escalation(path):
    """70 ports of one host in a minute, then one port every 10 s for 55
    minutes (400 in all; each refused)."""
    pkts = []
    for i in range(400):
        t = T0 + 3600 + (60.0 * i / 70 if i < 70 else 60 + 10 * (i - 70))
        pkts.append((t, tcp_frame(ESCALATOR, '198.18.5.10', 43000, 1 + i, 0x02)))
        pkts.append((t + 0.001, tcp_frame('198.18.5.10', ESCALATOR, 1 + i, 43000,
                                          0x14, 0, 2)))
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for t, p in sorted(pkts, key=lambda p: p[0]):
            f.write(struct.pack('<IIII', int(t), int(round((t % 1) * 1e6)) % 1000000,
                                len(p), len(p)) + p)


def check_escalation(alerts):
    """One port_scan over 300 s, then one at 3600 s escalating it with at
    least four times its ports; nothing else."""
    got = ['%s %s %s %d ports escalates=%s' % (a.get('src'), a['kind'], a['window_s'],
                                              a['distinct_ports'], a.get('escalates'))
           for a in alerts]
    ok = (len(alerts) == 2 and all(a.get('src') == ESCALATOR and a['kind'] == 'port_scan'
                                   for a in alerts)
          and alerts[0]['window_s'] == 300 and 'escalates' not in alerts[0]
          and alerts[1]['window_s'] == 3600
          and alerts[1].get('escalates') == alerts[0]['id']
          and alerts[1]['distinct_ports'] >= 4 * alerts[0]['distinct_ports'])
    sfredis.ok(ok, '3 collectors on the cluster, thirds of softflowd IPFIX of 70 '
               'ports in a minute then 330 over 55 min: one port_scan (300 s), '
               'escalated once at 3600 s', got)


def softflowd_datagrams(capture, version):
    """softflowd's export of the capture, as the datagrams it sent."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(('127.0.0.1', 0))
    subprocess.run(['softflowd', '-d', '-a', '-r', capture, '-n',
                    '127.0.0.1:%d' % s.getsockname()[1], '-v', str(version),
                    '-m', '100000'], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)
    s.settimeout(0.5)
    out = []
    try:
        while True:
            out.append(s.recv(65535))
    except socket.timeout:
        pass
    s.close()
    return out


def fixture_datagrams(path):
    """The UDP payloads of an export capture, in order."""
    import scan_e2e
    data = open(path, 'rb').read()
    out, i = [], 24
    while i + 16 <= len(data):
        incl = struct.unpack('<I', data[i + 8:i + 12])[0]
        p = scan_e2e.udp_payload(data[i + 16:i + 16 + incl])
        i += 16 + incl
        if p is not None:
            out.append(p)
    return out


def metric(mport, name):
    """One unlabelled sample of a daemon's /metrics (0 when unreachable)."""
    import urllib.request
    try:
        text = urllib.request.urlopen('http://127.0.0.1:%d/metrics' % mport,
                                      timeout=5).read().decode()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(name + ' '):
            return float(line.split()[1])
    return 0


def settle(mports, sent, timeout=180.0):
    """Waits until each daemon has received the datagrams sent to it and
    its flushes have stopped: with --clock flows a daemon on a loaded machine
    (or under ASan) may run far behind the sender, as it waits for a flush
    at every bucket it enters.  A fixed sleep read its backlog as missed
    alerts."""
    deadline = time.time() + timeout
    for mport, n in zip(mports, sent):
        while (metric(mport, 'scanflow_datagrams_total') < n
               and time.time() < deadline):
            time.sleep(0.2)
        # then quiet: no flush for a second (four flush intervals; a
        # daemon flushes only when it holds evidence)
        last = -1
        while time.time() < deadline:
            now = metric(mport, 'scanflow_redis_roundtrip_seconds_count')
            if now == last:
                break
            last = now
            time.sleep(1.0)


def run_cluster(c, datagrams, name, alone=False):
    """Three collectors on cluster c, datagram i sent to collector i % 3
    (template-carrying ones to all); the alerts of the one stream.  alone:
    the other two collectors' datagrams are not sent (c0's third alone)."""
    import scan_e2e
    daemons, ports = [], []
    try:
        mports, sent = [], [0, 0, 0]
        for i in range(3):
            ports.append(sfredis.free_port())
            mports.append(sfredis.free_port())
            daemons.append(sfredis.start_daemon(
                build, ports[-1], c.url(),
                ['--home-net', '198.18.0.0/15', '--clock', 'flows',
                 '--flush-interval', '0.25', '--name', '%s-c%d' % (name, i),
                 '--metrics', '127.0.0.1:%d' % mports[-1]],
                os.path.join(tmp, '%s-c%d.log' % (name, i))))
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        k = 0
        for dg in datagrams:
            to = ports if scan_e2e.carries_template(dg) else [ports[k % 3]]
            k += len(to) == 1
            for port in to:
                if port == ports[0] or not alone:
                    s.sendto(dg, ('127.0.0.1', port))
                    sent[ports.index(port)] += 1
            time.sleep(PACE_S)
        time.sleep(1.0)
        settle(mports, sent)
        out = []
        for _id, fields in c.cmd('XRANGE', 'scanflow:alerts', '-', '+') or []:
            kv = dict(zip(fields[::2], fields[1::2]))
            out.append(json.loads(kv['alert']))
        return out
    finally:
        for d in daemons:
            d.terminate()
            d.wait()
        c.flushall()


def run(datagrams, name):
    r = sfredis.Redis()
    port = sfredis.free_port()
    log = os.path.join(tmp, name + '.log')
    mport = sfredis.free_port()
    d = sfredis.start_daemon(build, port, r.url,
                             ['--home-net', '198.18.0.0/15', '--clock', 'flows',
                              '--flush-interval', '0.25', '--name', name,
                              '--metrics', '127.0.0.1:%d' % mport],
                             log)
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for dg in datagrams:
            s.sendto(dg, ('127.0.0.1', port))
            time.sleep(PACE_S)
        time.sleep(0.5)
        settle([mport], [len(datagrams)])
        return sfredis.stream_alerts(r)
    finally:
        d.terminate()
        d.wait()
        r.stop()


try:
    import jsonschema
    validator = jsonschema.Draft202012Validator(json.load(open(os.path.join(
        sfredis.TOP, 'schemas', 'alert.schema.json'))))
except ImportError:
    validator = None


def check(alerts, name):
    by = {}
    for a in alerts:
        by.setdefault((a.get('src'), a['kind']), []).append(a)
    got = sorted('%s %s %s' % (a.get('src'), a['kind'], a['window_s']) for a in alerts)
    t1 = by.get((SCANNER_T1, 'port_scan'), [])
    sfredis.ok(len(t1) == 1 and t1[0]['window_s'] == 3600
               and 64 <= t1[0]['distinct_ports'] <= 100
               and t1[0]['distinct_ports'] <= t1[0]['flows'],
               '%s: nmap -T1 pace (100 ports, 15 s apart): one port_scan, '
               'window_s 3600' % name, got)
    t0 = by.get((SCANNER_T0, 'host_sweep'), [])
    sfredis.ok(len(t0) == 1 and t0[0]['window_s'] == 86400
               and 96 <= t0[0]['hosts_in_top_net24'] <= 256
               and t0[0]['top_net24'] == '198.18.2.0/24',
               '%s: nmap -T0 pace (a /24, 300 s apart): one host_sweep, '
               'window_s 86400' % name, got)
    sfredis.ok(not any(a.get('src') == MONITOR for a in alerts),
               '%s: the uptime monitor (20 pairs every 5 min, 23 h) raises '
               'nothing' % name, got)
    errs = [e.message for a in alerts for e in (validator.iter_errors(a) if validator else [])]
    sfredis.ok(len(alerts) == 2 and not errs,
               '%s: no other alert; alerts valid against the schema' % name,
               got + errs)


def check_fixture(alerts, rows, name):
    want = {(r['src'], r['expect']): int(r['horizon']) for r in rows
            if r['expect'] != 'none'}
    got = ['%s %s %s' % (a.get('src'), a['kind'], a['window_s']) for a in alerts]
    problems = []
    for (src, kind), horizon in sorted(want.items()):
        mine = [a for a in alerts if (a.get('src'), a['kind']) == (src, kind)]
        if len(mine) != 1 or mine[0]['window_s'] != horizon:
            problems.append('%s %s: want one alert with window_s %d' % (src, kind, horizon))
    for a in alerts:
        if (a.get('src'), a['kind']) not in want:
            problems.append('unexpected alert %s %s' % (a.get('src'), a['kind']))
        if validator:
            problems += [e.message for e in validator.iter_errors(a)]
    sfredis.ok(not problems, '%s (fixtures/slow): %s alerted once at their '
               'horizon, no look-alike' % (name, ', '.join(sorted(s for s, _ in want))),
               problems + got)


def fixture_rows():
    return sfredis.read_tsv(os.path.join(sfredis.FIXTURES, 'slow',
                                         'scenarios.tsv'))


def triples(alerts):
    return sorted('%s %s %s' % (a.get('src'), a['kind'], a['window_s']) for a in alerts)


def agree(path, alerts):
    """scanflow hunt on the export, with the options scanflowd ran with:
    the same (src, kind, window_s) as scanflowd's alerts."""
    p = subprocess.run([os.path.join(build, 'scanflow'), 'hunt', '-q',
                        '--home-net', '198.18.0.0/15', path],
                       capture_output=True, text=True)
    got = [json.loads(l) for l in p.stdout.splitlines()]
    sfredis.ok(p.returncode == 0 and triples(got) == triples(alerts),
               'scanflow hunt on %s: the (src, kind, window_s) of scanflowd '
               '--clock flows' % os.path.basename(path),
               ['hunt: %s' % t for t in triples(got)]
               + ['scanflowd: %s' % t for t in triples(alerts)]
               + ([p.stderr.strip()] if p.returncode else []))


def cluster(exports, rows):
    import cluster_redis
    c = cluster_redis.Cluster(3)
    try:
        for path in exports:
            name = os.path.basename(path)[:-5]
            datagrams = fixture_datagrams(path)
            alerts = run_cluster(c, datagrams, name)
            collectors = sorted({a.get('collector') for a in alerts})
            print('# cluster %s: %d datagrams to 3 collectors; alerts from %s'
                  % (name, len(datagrams), ', '.join(collectors)))
            check_fixture(alerts, rows, '3 collectors on a 3-master cluster, thirds '
                          'of ' + name)
        # the control: c0's third alone gives the 300-port -T1 scan (80 of
        # its ports in an hour) but neither the 100-port scan nor the /24
        # sweep, so the alerts above needed the counts the three shared
        path = exports[-1]
        alerts = run_cluster(c, fixture_datagrams(path), 'alone', alone=True)
        got = sorted('%s %s %s' % (a.get('src'), a['kind'], a['window_s']) for a in alerts)
        sfredis.ok(got == ['100.72.1.2 port_scan 3600'],
                   'control: the first collector\'s third of %s alone raises only '
                   '100.72.1.2\'s port_scan' % os.path.basename(path), got)
        capture = os.path.join(tmp, 'escalation.pcap')
        write_escalation(capture)
        check_escalation(run_cluster(c, softflowd_datagrams(capture, 10), 'escalation'))
    finally:
        c.stop()


def main():
    for tool in ('redis-server', 'softflowd'):
        if subprocess.run(['which', tool], capture_output=True).returncode:
            print('1..0 # SKIP %s not installed' % tool)
            return 0
    capture = os.path.join(tmp, 'slow.pcap')
    write_capture(capture)
    exports = sorted(glob.glob(os.path.join(sfredis.FIXTURES, 'slow', 'exports',
                                            '*.pcap')))
    on_cluster = [p for p in exports if os.path.basename(p) in
                  ('softflowd-ipfix.pcap', 'pmacctd-v5.pcap')]
    if subprocess.run(['which', 'redis-cli'], capture_output=True).returncode:
        on_cluster = []
        print('# redis-cli not installed: no Redis Cluster run')
    print('1..%d' % (8 + 2 * len(exports) + len(on_cluster) + 2 * bool(on_cluster)))
    for version, name in ((5, 'softflowd-v5'), (10, 'softflowd-ipfix')):
        datagrams = softflowd_datagrams(capture, version)
        print('# %s: %d datagrams' % (name, len(datagrams)))
        check(run(datagrams, name), name)
    rows = fixture_rows()
    for path in exports:
        name = os.path.basename(path)[:-5]
        datagrams = fixture_datagrams(path)
        print('# fixtures/slow %s: %d datagrams' % (name, len(datagrams)))
        alerts = run(datagrams, name)
        check_fixture(alerts, rows, name)
        agree(path, alerts)
    if on_cluster:
        cluster(on_cluster, rows)
    subprocess.run(['rm', '-rf', tmp])
    return 0


if __name__ == '__main__':
    sys.exit(main())
