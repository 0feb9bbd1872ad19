"""The campaigns capture (fixtures/campaigns/: scanning networks,
many-to-one scans, an ACK ping sweep, a wide sweep and their benign
look-alikes), exported by softflowd and pmacctd (v5, v9, IPFIX), replayed
over UDP to a running scanflowd with a real redis-server: every campaign of
fixtures/scenarios.tsv (capture "campaigns") is alerted once with its kind,
no look-alike and no member of a campaign is alerted, for every exporter
and version; then three scanflowd fed thirds of one export alert each
campaign once.  Campaigns of kinds this scanflowd does not raise yet are
listed in a TAP comment, not counted as tests.  Prints TAP."""
import glob, os, subprocess, sys

sys.path.insert(0, os.path.dirname(__file__))
import scan_e2e
import sfredis

# The kinds scanflowd raises; a campaign of another kind is a TODO.
KINDS = {'port_scan', 'host_sweep', 'wide_sweep', 'net_port_scan', 'net_host_sweep',
         'distributed_port_scan'}

EXPORTER_LIMITS = {}


def entity(a):
    return a.get('src') or a.get('target')


def check(alerts, rows, v5):
    """(problems, todo): problems fail the test, todo lists the campaigns of
    kinds not raised yet."""
    want, todo = set(), []
    for r in rows:
        if v5 and r['family'] == 'v6':
            continue
        for k in r['expect'].split(','):
            if k == 'none':
                continue
            (want.add((r['src'], k)) if k in KINDS
             else todo.append('%s %s' % (r['src'], k)))
    got = [(entity(a), a['kind']) for a in alerts]
    problems = []
    for key in sorted(want):
        if got.count(key) != 1:
            problems.append('%s %s alerted %d times, want 1'
                            % (key[0], key[1], got.count(key)))
    for key in sorted(set(got) - want):
        problems.append('unexpected alert %s %s' % key)
    if scan_e2e.validator:
        for a in alerts:
            errs = list(scan_e2e.validator.iter_errors(a))
            if errs:
                problems.append('alert fails schema: %s' % errs[0].message)
    return problems, todo


def main():
    if subprocess.run(['which', 'redis-server'], capture_output=True).returncode:
        print('1..0 # SKIP redis-server not installed')
        return 0
    exports = sorted(glob.glob(os.path.join(sfredis.FIXTURES, 'campaigns', 'exports',
                                            '*.pcap')))
    rows = sfredis.scenarios('campaigns')
    if not exports or not rows:
        print('1..0 # SKIP no campaigns fixtures')
        return 0
    args = sfredis.home_args() + ['--flush-interval', '0.5',
                                   '--distributed-threshold', '64:8']
    tests = [(p, 1) for p in exports]
    tests += [(p, 3) for p in exports if os.path.basename(p) == 'softflowd-ipfix.pcap']
    print('1..%d' % len(tests))
    n = 0
    for path, collectors in tests:
        name = os.path.basename(path) + (' (%d collectors, thirds)' % collectors
                                         if collectors > 1 else '')
        alerts = scan_e2e.run_one(path, rows, args, collectors)
        problems, todo = check(alerts, rows, '-v5' in os.path.basename(path))
        n += 1
        if problems:
            print('not ok %d - %s' % (n, name))
            for p in problems[:15]:
                print('# ' + p)
        else:
            print('ok %d - %s: %d alerts, no look-alike' % (n, name, len(alerts)))
        if todo:
            print('# %s: campaigns of kinds not built yet: %s'
                  % (name, ', '.join(todo)))
    subprocess.run(['rm', '-rf', scan_e2e.tmp])
    return 0


if __name__ == '__main__':
    sys.exit(main())
