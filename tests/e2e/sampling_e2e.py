"""Packet-sampled exports replayed to a running scanflowd with a real
redis-server: pmacctd's exports of the scan captures with sampling_rate 10
and 100 (nfprobe NetFlow v5, v9, IPFIX; fixtures/exports/
MANIFEST-sampled.tsv), every other capture whose manifest row sets
sampling_rate above 1 (sfprobe's sFlow at 1:10), sfprobe's sFlow at 1:1,
and, when present, fixtures/nearthreshold/: benign clients just under the
thresholds with multi-packet flows, and a scanner, exported at 1:1, 1:10
and 1:100 (its own manifest and scenarios).

For each capture, per scenario source, what the sampler left is counted
here from `scanflow decode` with a plain reading of the evidence rules
(SYN without ACK, ICMP echo/timestamp requests, UDP of at most 2 datagrams
that is not a reply; outside to inside): distinct ports k_p, distinct
hosts, most hosts in one /24 k_h.  Then:
  - a scanner whose true count (from the unsampled export of the same
    capture and version) reaches the floor of tests/sampling_floor.py's
    table (found with 95% probability) must be alerted with that kind,
    once; so must one whose observed k reaches k_min (the same definition
    as correlate/sampling.c, with r = its hosts for ports and its ports
    for hosts) plus one (HyperLogLog may merge two);
  - no benign or allow-listed source is alerted (near-threshold clients
    included), and no scanner with a kind it does not have;
  - every alert at 1:N > 1 carries sampling_interval N, estimated: true
    and the observed counts; at 1:1 none of them; all pass
    schemas/alert.schema.json.
It also prints, per scanner, the true count against the floor.  Prints
TAP."""
import ipaddress, json, os, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
import sfredis
import sampling_floor as fl

top, build = sfredis.TOP, sfredis.BUILD
exports = os.path.join(top, 'fixtures', 'exports')
ALPHA = 1e-5
PORT_T, SWEEP_T = 64, 32

try:
    import jsonschema
    validator = jsonschema.Draft202012Validator(
        json.load(open(os.path.join(top, 'schemas', 'alert.schema.json'))))
except ImportError:
    validator = None


NEAR = os.path.join(top, 'fixtures', 'nearthreshold')


def manifest():
    """(path, version, rate, capture) of the sampled captures
    (sampling_rate > 1) of both manifests, sFlow at 1:1, and every export
    of fixtures/nearthreshold/."""
    rows = [r + ('traffic',) for r in sfredis.export_rows()
            if r[2] > 1 or str(r[1]).startswith('sflow')]
    return rows + [r + ('nearthreshold',) for r in near_rows()]


def near_rows():
    """(path, version, rate) of fixtures/nearthreshold/exports/MANIFEST*.tsv."""
    rows = []
    folder = os.path.join(NEAR, 'exports')
    for m in sorted(os.listdir(folder)) if os.path.isdir(folder) else ():
        if not (m.startswith('MANIFEST') and m.endswith('.tsv')):
            continue
        for line in open(os.path.join(folder, m)):
            if line.startswith('#') or line.startswith('file\t') or not line.strip():
                continue
            f, _, ver, _, cmd = line.rstrip('\n').split('\t')[:5]
            rate = int(cmd.split('sampling_rate: ')[1].split(';')[0]) \
                if 'sampling_rate: ' in cmd else 1
            p = os.path.join(folder, f)
            if os.path.exists(p):
                rows.append((p, int(ver) if ver.isdigit() else ver, rate))
    return sorted(rows)


def near_scenarios():
    """The near-threshold capture's scenario rows: fixtures/scenarios.tsv
    rows of capture "nearthreshold", else fixtures/nearthreshold/
    scenarios.tsv."""
    rows = sfredis.scenarios('nearthreshold')
    own = os.path.join(NEAR, 'scenarios.tsv')
    if rows or not os.path.exists(own):
        return rows
    return sfredis.read_tsv(own)


def truth_path(path, ver, capture):
    """The unsampled export of the same capture and version."""
    if capture == 'nearthreshold':
        same = [p for p, v, rate in near_rows() if v == ver and rate == 1]
        return same[0] if same else None
    return os.path.join(exports, {5: 'pmacctd-v5.pcap', 9: 'pmacctd-v9.pcap',
                                  10: 'pmacctd-ipfix.pcap'}.get(ver, 'pmacctd-sflow.pcap'))


def home_nets():
    nets = []
    args = sfredis.home_args()
    for i, a in enumerate(args):
        if a == '--home-net':
            nets.append(ipaddress.ip_network(args[i + 1]))
    return nets


def is_probe(f):
    p, fl_ = f.get('proto'), f.get('tcp_flags', 0)
    if p == 6:
        return bool(fl_ & 2) and not fl_ & 16
    if p in (1, 58):
        t = f['icmp_type'] if 'icmp_type' in f else f.get('dst_port', 0) >> 8
        return t in ((8, 13, 15, 17) if p == 1 else (128,))
    if p == 17:
        return f.get('packets', 0) <= 2 and not (f['src_port'] < 1024 <= f['dst_port'])
    return False


def observed(path, home):
    """{src: (distinct ports, distinct hosts, most hosts in one /24 or /64)}"""
    out = subprocess.run([os.path.join(build, 'scanflow'), 'decode', path],
                         capture_output=True, text=True, check=True).stdout
    per = {}
    for line in out.splitlines():
        if not line.startswith('{'):
            continue
        f = json.loads(line)
        src, dst = ipaddress.ip_address(f['src_addr']), ipaddress.ip_address(f['dst_addr'])
        if any(src in n for n in home) or not any(dst in n for n in home):
            continue
        if not is_probe(f):
            continue
        ports, hosts, nets = per.setdefault(str(src), (set(), set(), {}))
        if f['proto'] in (6, 17):
            ports.add(f['dst_port'])
        hosts.add(dst)
        plen = 24 if dst.version == 4 else 64
        nets.setdefault(ipaddress.ip_network('%s/%d' % (dst, plen), strict=False), set()).add(dst)
    return {s: (len(p), len(h), max((len(v) for v in n.values()), default=0))
            for s, (p, h, n) in per.items()}


def run(path, args):
    r = sfredis.Redis()
    port = sfredis.free_port()
    d = sfredis.start_daemon(build, port, r.url, args, os.path.join(tmp, 'd.log'))
    try:
        subprocess.run([os.path.join(build, 'scanflow'), 'replay', path,
                        '127.0.0.1:%d' % port, '--rate', '20000', '--quiet'], check=True)
        time.sleep(3.0)
        return sfredis.stream_alerts(r)
    finally:
        d.terminate()
        d.wait()
        r.stop()


def check(path, ver, rate, rows, home, truth):
    obs = observed(path, home)
    want, notes = set(), []
    for r in rows:
        if ver == 5 and r['family'] == 'v6':
            continue
        kp, kd, kh = obs.get(r['src'], (0, 0, 0))
        if r['role'] == 'benign' and r['tool'].startswith('near-'):
            notes.append('%-16s %-16s benign: probe-like ports %d (alert at %d), '
                         'hosts in one /24 %d (alert at %d)'
                         % (r['src'], r['tool'], kp,
                            fl.k_min(PORT_T, rate, ALPHA, fl.r_class(max(kd, 1))), kh,
                            fl.k_min(SWEEP_T, rate, ALPHA, fl.r_class(max(kp, 1)))))
        if r['role'] != 'scanner':
            continue
        kinds = set(r['expect'].split(','))
        need_p = fl.k_min(PORT_T, rate, ALPHA, fl.r_class(max(kd, 1)))
        need_h = fl.k_min(SWEEP_T, rate, ALPHA, fl.r_class(max(kp, 1)))
        if 'port_scan' in kinds and kp >= need_p + 1:
            want.add((r['src'], 'port_scan'))
        if 'host_sweep' in kinds and kh >= need_h + 1:
            want.add((r['src'], 'host_sweep'))
        tp, _, th = truth.get(r['src'], (0, 0, 0))
        floor_p, floor_h = fl.floor_n(PORT_T, rate, ALPHA), fl.floor_n(SWEEP_T, rate, ALPHA)
        if 'port_scan' in kinds and 0 < floor_p <= tp:
            want.add((r['src'], 'port_scan'))
        if 'host_sweep' in kinds and 0 < floor_h <= th:
            want.add((r['src'], 'host_sweep'))
        kind = 'port_scan' if 'port_scan' in kinds else 'host_sweep'
        n, k, need = (tp, kp, need_p) if kind == 'port_scan' else (th, kh, need_h)
        floor = floor_p if kind == 'port_scan' else floor_h
        notes.append('%-16s %-16s %-10s true %4d (floor %4d) observed %3d, k_min %2d: %s'
                     % (r['src'], r['tool'], kind, n, floor, k, need,
                        'required' if (r['src'], kind) in want else 'not required'))
    alerts = run(path, sfredis.home_args() + ['--flush-interval', '0.5'])
    problems = []
    role = {r['src']: r for r in rows}
    got = [(a['src'], a['kind']) for a in alerts]
    for key in sorted(want):
        if got.count(key) != 1:
            problems.append('%s %s alerted %d times, want 1' % (key[0], key[1], got.count(key)))
    for a in alerts:
        r = role.get(a['src'])
        if r is None or r['role'] != 'scanner' or a['kind'] not in r['expect'].split(','):
            problems.append('unexpected alert %s %s (%s)' % (a['src'], a['kind'],
                                                            r['role'] if r else 'no scenario'))
        if rate == 1:
            if any(k in a for k in ('sampling_interval', 'estimated', 'observed_ports')):
                problems.append('%s: sampling members in an unsampled alert' % a['src'])
        elif a.get('sampling_interval') != rate or a.get('estimated') is not True:
            problems.append('%s: sampling_interval %s estimated %s, want %d true'
                            % (a['src'], a.get('sampling_interval'), a.get('estimated'), rate))
        elif 'observed_ports' not in a or a['observed_ports'] > a['distinct_ports']:
            problems.append('%s: observed_ports %s, distinct_ports %s'
                            % (a['src'], a.get('observed_ports'), a['distinct_ports']))
        if validator:
            errs = list(validator.iter_errors(a))
            if errs:
                problems.append('schema: %s' % errs[0].message)
    return alerts, problems, notes


def main():
    if subprocess.run(['which', 'redis-server'], capture_output=True).returncode:
        print('1..0 # SKIP redis-server not installed')
        return 0
    if not os.path.exists(os.path.join(exports, 'MANIFEST-sampled.tsv')):
        print('1..0 # SKIP no sampled export fixtures')
        return 0
    rows = {'traffic': sfredis.scenarios(), 'nearthreshold': near_scenarios()}
    home, files = home_nets(), manifest()
    truths = {}
    print('1..%d' % (len(files) + 1))
    n = 0
    for n, (path, ver, rate, capture) in enumerate(files, 1):
        unsampled = truth_path(path, ver, capture)
        if unsampled not in truths:
            truths[unsampled] = observed(unsampled, home) if unsampled else {}
        alerts, problems, notes = check(path, ver, rate, rows[capture], home,
                                        truths[unsampled])
        name = '%s%s (1:%d): %d alerts' % ('nearthreshold/' if capture != 'traffic' else '',
                                           os.path.basename(path), rate, len(alerts))
        if not rows[capture]:
            problems.append('no scenario rows for capture %s' % capture)
        print(('not ok %d - %s' if problems else 'ok %d - %s') % (n, name))
        for p in problems[:15]:
            print('# ' + p)
        for line in notes:
            print('#   ' + line)
        sys.stdout.flush()
    if near_rows():
        print('ok %d - fixtures/nearthreshold: %d exports' % (n + 1, len(near_rows())))
    else:
        print('ok %d # SKIP fixtures/nearthreshold not present' % (n + 1))
    subprocess.run(['rm', '-rf', tmp])
    return 0


tmp = tempfile.mkdtemp(prefix='sf-sampling.')
if __name__ == '__main__':
    sys.exit(main())
