"""`scanflow hunt` over the fixtures' export captures, no Redis: every
campaign of fixtures/campaigns (scenarios.tsv, capture "campaigns") is
alerted once with its kind and no look-alike or member is, on every export
(softflowd and pmacctd, v5, v9, IPFIX); every scanner of fixtures/traffic
(capture "traffic") likewise on every unsampled export, with and without
--allow, and on the packet-sampled ones as sampling_e2e.py judges the
daemon; those v5 exports with the interval zeroed in every header plus
--sampling (or [collector] sampling in --config) give hunt's alerts on
the original, and none of them estimated without it; --config reads
scanflowd's file; alerts come in time order.
fixtures/slow (when present): each slow scan once at the horizon its row
names, no look-alike; the sampled exports and fixtures/nearthreshold's
as sampling_e2e.py judges the daemon (no client just under a threshold).
Then nfcapd stores each campaigns export (replayed over UDP on loopback)
and `nfdump -R DIR -o csv | scanflow hunt --nfdump -` must give the same
(entity, kind) pairs as hunt on the capture itself.  The expected kinds
are the scenario tables', not hunt's.  Prints TAP."""
import glob, json, os, shutil, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
import campaigns_e2e
import sampling_e2e
import scan_e2e
import sfredis

SCANFLOW = os.path.join(sfredis.BUILD, 'scanflow')
TMP = tempfile.mkdtemp(prefix='sf-hunt.')
CAMPAIGN_ARGS = ['--distributed-threshold', '64:8']


def hunt(inputs, args, stdin=None):
    """Alerts (parsed) and stderr of one hunt run; check=True."""
    p = subprocess.run([SCANFLOW, 'hunt'] + list(args) + list(inputs),
                       input=stdin, capture_output=True, check=True)
    return [json.loads(l) for l in p.stdout.decode().splitlines()], p.stderr.decode()


def in_order(alerts):
    times = [a['time'] for a in alerts]
    return times == sorted(times)


def report(name, problems, alerts):
    if not in_order(alerts):
        problems.append('alerts not in time order')
    sfredis.ok(not problems, '%s: %d alerts' % (name, len(alerts)), problems[:15])


def campaigns(exports, rows):
    for path in exports:
        alerts, _ = hunt([path], sfredis.home_args() + CAMPAIGN_ARGS)
        problems, todo = campaigns_e2e.check(alerts, rows, '-v5' in path)
        report('campaigns ' + os.path.basename(path), problems + todo, alerts)


def traffic(exports, rows):
    for path in exports:
        lim = scan_e2e.limits(path)
        ignore = {r['src'] for r in rows if r['tool'] in lim}
        alerts, _ = hunt([path], sfredis.home_args(rows))
        want = sfredis.expected(rows, '-v5' in path, lim)
        report('traffic ' + os.path.basename(path),
               scan_e2e.check_alerts(alerts, want, ignore), alerts)


def sampled(files):
    """Packet-sampled exports (and fixtures/nearthreshold's, sampled or
    not): sampling_e2e.py's check (k_min on what the sampler left,
    sampling_interval and estimates in every alert, no near-threshold
    client), with hunt in place of scanflowd and Redis."""
    sampling_e2e.run = lambda path, args: hunt([path], args)[0]
    rows = {'traffic': sfredis.scenarios(),
            'nearthreshold': sampling_e2e.near_scenarios()}
    home = sampling_e2e.home_nets()
    truths = {}
    for path, ver, rate, capture in files:
        unsampled = sampling_e2e.truth_path(path, ver, capture)
        if unsampled not in truths:
            truths[unsampled] = (sampling_e2e.observed(unsampled, home)
                                 if unsampled else {})
        alerts, problems, _ = sampling_e2e.check(path, ver, rate, rows[capture],
                                                 home, truths[unsampled])
        report('sampled %s%s (1:%d)' % ('nearthreshold/' if capture != 'traffic'
                                        else '', os.path.basename(path), rate),
               problems, alerts)


def without_allow(path, rows):
    """The allow-listed scanner alerts once --allow is left out."""
    args = [a for a in sfredis.home_args(rows)]
    while '--allow' in args:
        i = args.index('--allow')
        del args[i:i + 2]
    alerts, _ = hunt([path], args)
    lim = scan_e2e.limits(path)
    want = set()
    for r in rows:
        if r['tool'] in lim:
            continue
        for k in r['kinds_without_allow'].split(','):
            if k and k != 'none':
                want.add((r['src'], k))
    ignore = {r['src'] for r in rows if r['tool'] in lim}
    report('traffic %s without --allow' % os.path.basename(path),
           scan_e2e.check_alerts(alerts, want, ignore), alerts)


def config_file(path, rows):
    """scanflowd's configuration file: [correlate] applies, [collector]
    (the daemon's own keys) is skipped; the same alerts as the options."""
    conf = os.path.join(TMP, 'scanflowd.conf')
    args = sfredis.home_args() + CAMPAIGN_ARGS
    homes = [args[i + 1] for i in range(len(args)) if args[i] == '--home-net']
    with open(conf, 'w') as f:
        f.write('[collector]\nlisten=udp://127.0.0.1:2055\n\n[correlate]\n')
        f.write('home-net=%s\ndistributed-threshold=64:8\n' % ';'.join(homes))
    alerts, _ = hunt([path], ['--config', conf])
    problems, todo = campaigns_e2e.check(alerts, rows, False)
    report('--config scanflowd.conf, ' + os.path.basename(path), problems + todo,
           alerts)


def strip_v5_sampling(path, out):
    """Copies pcap path (Ethernet, IPv4/UDP) to out with every NetFlow v5
    header's sampling field (bytes 22-23) zeroed and the UDP checksum 0
    (none); returns how many headers were changed."""
    import struct
    d = bytearray(open(path, 'rb').read())
    assert d[:4] == b'\xd4\xc3\xb2\xa1' and struct.unpack('<I', d[20:24])[0] == 1
    off, n = 24, 0
    while off + 16 <= len(d):
        incl = struct.unpack('<I', d[off + 8:off + 12])[0]
        p = off + 16
        if d[p + 12:p + 14] == b'\x08\x00' and d[p + 23] == 17:
            udp = p + 14 + (d[p + 14] & 15) * 4
            v5 = udp + 8
            if v5 + 24 <= off + 16 + incl and d[v5:v5 + 2] == b'\x00\x05':
                d[v5 + 22:v5 + 24] = b'\x00\x00'
                d[udp + 6:udp + 8] = b'\x00\x00'
                n += 1
        off += 16 + incl
    open(out, 'wb').write(bytes(d))
    return n


def without_id(alerts):
    return [{k: v for k, v in a.items() if k != 'id'} for a in alerts]


def stripped_v5(files):
    """v5 exports sampled 1:N with the interval zeroed (v5.c: says
    nothing): --sampling CIDR=N, or sampling= in --config's [collector]
    (next to a key of the daemon's that hunt does not read; --config or
    -c), gives the
    alerts hunt gives on the export that announces 1:N, which sampled()
    judges as sampling_e2e.py judges the daemon; without it no alert is
    estimated (so the option is what made the difference)."""
    for path, rate in files:
        bare = os.path.join(TMP, 'bare-' + os.path.basename(path))
        n = strip_v5_sampling(path, bare)
        conf = os.path.join(TMP, 'sampling.conf')
        with open(conf, 'w') as f:
            f.write('[collector]\nlisten=udp://127.0.0.1:2055\n'
                    'sampling=10.0.0.0/8=7;127.0.0.0/24=%d\n' % rate)
        want, _ = hunt([path], sfredis.home_args())
        problems = [] if n else ['no v5 header in %s' % path]
        if not want or any(a.get('sampling_interval') != rate for a in want):
            problems.append('the 1:%d export: alerts without sampling_interval %d'
                            % (rate, rate))
        for args in (['--sampling', '127.0.0.0/8=%d' % rate], ['--config', conf],
                     ['-c', conf]):
            got, _ = hunt([bare], sfredis.home_args() + args)
            if without_id(got) != without_id(want):
                problems.append('%s: %d alerts, not the %d of the 1:%d export'
                                % (' '.join(args), len(got), len(want), rate))
        got, _ = hunt([bare], sfredis.home_args())
        if any(a.get('estimated') for a in got):
            problems.append('estimated alerts without --sampling')
        report('v5 1:%d, interval zeroed in %d headers, --sampling and --config'
               % (rate, n), problems, want)


def udp_port():
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def nfcapd_store(path, name, rate=5000):
    """Replays an export capture to nfcapd; returns the directory of its
    files (None if nfcapd did not start)."""
    d = os.path.join(TMP, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    port = udp_port()
    log = open(os.path.join(TMP, name + '.log'), 'w')
    p = subprocess.Popen(['nfcapd', '-w', d, '-p', str(port), '-b', '127.0.0.1',
                          '-t', '3600', '-I', 'hunt'], stdout=log, stderr=log)
    try:
        for _ in range(100):
            if 'Startup' in open(log.name).read():
                break
            time.sleep(0.05)
        else:
            return None
        subprocess.run([SCANFLOW, 'replay', '--quiet', '--rate', str(rate), path,
                        '127.0.0.1:%d' % port], check=True)
        time.sleep(0.5)
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
        log.close()
    return d


def records_in(path):
    """Flow records of an export capture, as scanflow decode counts them."""
    out = subprocess.run([SCANFLOW, 'decode', '--format', 'csv', path],
                         capture_output=True, check=True).stdout
    return max(0, len(out.splitlines()) - 1)


def stored_records(csv):
    """Flow lines of nfdump's CSV: after the header, up to the summary."""
    n = 0
    for line in csv.splitlines()[1:]:
        if not line.strip() or line.startswith(b'Summary'):
            break
        n += 1
    return n


def pairs(alerts):
    return sorted((a.get('src') or a.get('target'), a['kind']) for a in alerts)


def nfdump(exports):
    """nfdump's CSV of what nfcapd stored gives hunt the same alerts."""
    for path in exports:
        name = '%s-%s' % (os.path.basename(os.path.dirname(os.path.dirname(path))),
                          os.path.basename(path).rsplit('.', 1)[0])
        args = sfredis.home_args() + CAMPAIGN_ARGS
        # UDP on a loaded machine may drop datagrams before nfcapd reads
        # them: the store is made again, slower, while it holds fewer
        # records than the capture (a loss, not a difference of hunt's)
        sent = records_in(path)
        for rate in (5000, 1000, 200):
            d = nfcapd_store(path, name, rate)
            if d is None:
                break
            csv = subprocess.run(['nfdump', '-R', d, '-o', 'csv'],
                                 capture_output=True, check=True).stdout
            stored = stored_records(csv)
            if stored >= sent:
                break
            print('# nfcapd stored %d of %d records of %s at %d packets/s'
                  % (stored, sent, name, rate))
        if d is None:
            sfredis.ok(False, 'nfcapd did not start for ' + name)
            continue
        via, err = hunt([], args + ['--nfdump', '-'], stdin=csv)
        direct, _ = hunt([path], args)
        problems = [] if pairs(via) == pairs(direct) else [
            'nfdump: %s' % pairs(via), 'capture: %s' % pairs(direct)]
        problems += [] if direct else ['no alert at all on the capture']
        report('nfdump -R (nfcapd of %s) | hunt --nfdump -' % name, problems, via)


def slow_rows():
    """fixtures/slow/scenarios.tsv (nmap runs spread over hours at -T1 and
    -T0 pace, an uptime monitor and a backup client all day), as dicts by
    column; [] when absent."""
    path = os.path.join(sfredis.FIXTURES, 'slow', 'scenarios.tsv')
    if not os.path.exists(path):
        return []
    return sfredis.read_tsv(path)


def slow(rows):
    """Each slow scan alerted once with its kind at the horizon its row
    names (window_s), nothing else: not the scan under every threshold,
    not the monitor nor the backup client."""
    exports = sorted(glob.glob(os.path.join(sfredis.FIXTURES, 'slow', 'exports',
                                            '*.pcap')))
    for path in exports:
        alerts, _ = hunt([path], sfredis.home_args())
        want = {(r['src'], k, int(r['horizon'])) for r in rows
                for k in r['expect'].split(',') if k and k != 'none'}
        got = [(a.get('src') or a.get('target'), a['kind'], a['window_s'])
               for a in alerts]
        problems = ['%s %s window_s %d alerted %d times, want 1' % (k + (got.count(k),))
                    for k in sorted(want) if got.count(k) != 1]
        problems += ['unexpected alert %s %s window_s %d' % k
                     for k in sorted(set(got) - want)]
        report('slow ' + os.path.basename(path), problems, alerts)
    return len(exports)


def main():
    exports = sorted(glob.glob(os.path.join(sfredis.FIXTURES, 'campaigns', 'exports',
                                            '*.pcap')))
    rows = sfredis.scenarios('campaigns')
    traffic_rows = sfredis.scenarios('traffic')
    traffic_exports = sfredis.unsampled_exports()
    if not os.path.exists(SCANFLOW) or not exports or not rows:
        print('1..0 # SKIP no campaigns fixtures')
        return 0
    have_nfdump = all(shutil.which(t) for t in ('nfcapd', 'nfdump'))
    # biflows: nfcapd 1.7.1 stores one as one record with one set of TCP
    # flags and no times: the scanners' SYNs are not in what it stores
    nf_exports = [p for p in exports if 'biflow' not in p] if have_nfdump else []
    srows = slow_rows()
    slow_exports = sorted(glob.glob(os.path.join(sfredis.FIXTURES, 'slow', 'exports',
                                                 '*.pcap'))) if srows else []
    n_slow = len(slow_exports)
    if have_nfdump:
        nf_exports += [p for p in slow_exports if 'biflow' not in p]
    sampled_files = sampling_e2e.manifest() if os.path.exists(
        os.path.join(sampling_e2e.exports, 'MANIFEST-sampled.tsv')) else []
    v5_sampled = [(os.path.join(sampling_e2e.exports, 'pmacctd-s%d-v5.pcap' % r), r)
                  for r in (10, 100)]
    v5_sampled = [(p, r) for p, r in v5_sampled if os.path.exists(p)]
    print('1..%d' % (len(exports) + len(traffic_exports) + 2 + len(nf_exports)
                     + n_slow + len(sampled_files) + len(v5_sampled)))
    campaigns(exports, rows)
    if srows:
        slow(srows)
    else:
        print('# no fixtures/slow: slow scans over hours not tested here')
    traffic(traffic_exports, traffic_rows)
    sampled(sampled_files)
    stripped_v5(v5_sampled)
    ipfix = [p for p in traffic_exports if p.endswith('softflowd-ipfix.pcap')]
    without_allow(ipfix[0] if ipfix else traffic_exports[0], traffic_rows)
    config_file([p for p in exports if p.endswith('softflowd-ipfix.pcap')][0], rows)
    if not have_nfdump:
        print('# nfcapd/nfdump not installed: the nfdump tests are not run')
    nfdump(nf_exports)
    shutil.rmtree(TMP, ignore_errors=True)
    shutil.rmtree(scan_e2e.tmp, ignore_errors=True)
    shutil.rmtree(sampling_e2e.tmp, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
