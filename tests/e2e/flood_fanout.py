"""A flood of spoofed sources WITH fan-out (each sends four probes to four
random hosts and ports: enough to pass --share-after 4, so probation alone
would write every one of them to Redis) against a running scanflowd with a
real redis-server, with a real scan (softflowd's IPFIX export of the
fixtures) in the middle.  --max-redis-sources bounds the sources written
to Redis per window (a tenth per time bucket; here window 30 s, buckets of
3 s, 200 new sources per bucket): the number of sources with keys in Redis
stays within that budget (five tiers of it: correlate/probation.c), the
rest are counted as refused, and every scanner is still alerted exactly
once: its fan-out gets it into a tier the flood did not spend.  With
distributed_port_scan on (64:8), the scanned hosts written to Redis stay
within --max-redis-targets (2 per bucket here) and the others are
counted.  Prints TAP.

SF_FANOUT_SOURCES (default 100,000) sets the flood's size."""
import os, re, subprocess, sys, time

sys.path.insert(0, os.path.dirname(__file__))
import sfredis, sfflood
from sfredis import ok
from reliability import SCANNERS

top = sfredis.TOP
build = sfredis.BUILD
capture = os.path.join(top, 'fixtures', 'exports', 'softflowd-ipfix.pcap')
SOURCES = int(os.environ.get('SF_FANOUT_SOURCES', '100000'))
BUDGET = 2000           # per 30 s window: 200 per 3 s bucket
TARGETS = 2             # scanned hosts per 3 s bucket




TARGET_KEYS = ('tp:', 'ts:', 'tz', 'tf', 'a:distributed_port_scan')


def sources_in_redis(r, targets=None):
    """Distinct {SRC} hash tags among the keys; the scanned hosts' keys of
    distributed_port_scan (sf:{T}:tp:B, ts:B, tz, tf) are not sources:
    their tags go to targets when it is a set."""
    srcs, cursor = set(), '0'
    while True:
        cursor, keys = r.cmd('SCAN', cursor, 'MATCH', 'sf:{*', 'COUNT', '10000')
        for k in keys:
            tag, rest = k.split('}', 1)
            if rest[1:].startswith(TARGET_KEYS):
                if targets is not None:
                    targets.add(tag)
            else:
                srcs.add(tag)
        if cursor == '0':
            return srcs


def main():
    if subprocess.run(['which', 'redis-server'], capture_output=True).returncode:
        print('1..0 # SKIP redis-server not installed')
        return 0
    print('1..6')
    r = sfredis.Redis()
    log = os.path.join(os.environ.get('TMPDIR', '/tmp'), 'sf-fanout-%d.log' % os.getpid())
    port = sfredis.free_port()
    d = sfredis.start_daemon(build, port, r.url,
                             ['--home-net', '198.18.0.0/15', '--home-net', '2001:db8:a::/48',
                              '--allow', '198.51.100.200/32', '--flush-interval', '0.5',
                              '--window', '30', '--max-redis-sources', str(BUDGET),
                              '--distributed-threshold', '64:8',
                              '--max-redis-targets', str(TARGETS),
                              '--name', 'fanout'], log)
    try:
        time.sleep(0.5)
        sender = sfflood.Sender(port, 10000)   # 300,000 flows/s
        half = SOURCES // 2
        t0 = time.time()
        sfflood.spoofed(sender, half, 0, flows_per_source=4)
        subprocess.run([os.path.join(build, 'scanflow'), 'replay', capture,
                        '127.0.0.1:%d' % port, '--rate', '20000', '--quiet'], check=True)
        sfflood.spoofed(sender, SOURCES - half, half, flows_per_source=4)
        took = time.time() - t0
        # the scanners may wait one bucket (3 s) for budget; then a flush
        time.sleep(5.0)
        alerts = sfredis.stream_alerts(r)
        targets = set()
        srcs = sources_in_redis(r, targets)
        print('# scanned hosts with distributed_port_scan keys: %d' % len(targets))
        buckets = int(took / 3) + 3
        got = {}
        for a in alerts:
            got.setdefault((a.get('src') or a.get('target'), a['kind']),
                           set()).add(a['id'])
        probs = ['%s %s: %d alerts' % (k + (len(got.get(k, ())),)) for k in sorted(SCANNERS)
                 if len(got.get(k, ())) != 1]
        probs += ['unexpected %s %s' % k for k in sorted(set(got) - set(SCANNERS))]
        print('# %d sources with 4 probes each in %.1f s; %d sources in Redis '
              '(budget %d per bucket, %d buckets at most)'
              % (SOURCES, took, len(srcs), BUDGET // 10, buckets))
        ok(not probs, 'scanners inside a flood of sources with fan-out alerted once each', probs)
        bound = 5 * buckets * (BUDGET // 10)
        ok(len(srcs) <= bound,
           'sources in Redis within the budget: %d <= %d' % (len(srcs), bound))
        ok(len(targets) <= buckets * TARGETS,
           'scanned hosts in Redis within --max-redis-targets: %d <= %d'
           % (len(targets), buckets * TARGETS))
        ok(d.poll() is None, 'daemon alive after the flood')
    finally:
        d.terminate()
        d.wait()
        r.stop()
    text = open(log).read()
    os.unlink(log)
    m = re.search(r'(\d+) refused', text)
    refused = int(m.group(1)) if m else 0
    ok(refused > 1000, 'sources over the budget counted as refused: %d' % refused)
    m = re.search(r'(\d+) targets refused', text)
    trefused = int(m.group(1)) if m else 0
    ok(trefused > 0, 'scanned hosts over the budget counted as refused: %d'
       % trefused)
    for line in text.splitlines():
        if 'correlator:' in line:
            print('# daemon: ' + line)
    return 0


if __name__ == '__main__':
    sys.exit(main())
