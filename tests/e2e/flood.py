"""A flood of spoofed one-flow sources (NetFlow v5 over UDP, built by
sfflood.py) against a running scanflowd with a real redis-server, with a
real scan (softflowd's IPFIX export of the fixtures) and a slow synthetic
scan (one probe per flush) in the middle of it: the scanners are alerted
once each, the flood is held back locally (Redis memory stays flat: one-
flow sources are never written), and the daemon's resident memory stays
within its caps.  Reports RSS and Redis used_memory.  Prints TAP.

SF_FLOOD_SOURCES (default 1,000,000) sets the flood's size."""
import os, subprocess, sys, threading, time

sys.path.insert(0, os.path.dirname(__file__))
import sfredis, sfflood
from sfredis import ok
from reliability import SCANNERS, once

top = sfredis.TOP
build = sfredis.BUILD
capture = os.path.join(top, 'fixtures', 'exports', 'softflowd-ipfix.pcap')
SOURCES = int(os.environ.get('SF_FLOOD_SOURCES', '1000000'))
SLOW = '203.0.113.250'




def rss_kb(pid, field='VmRSS'):
    for line in open('/proc/%d/status' % pid):
        if line.startswith(field + ':'):
            return int(line.split()[1])
    return 0


def used_memory(r):
    info = r.cmd('INFO', 'memory')
    return int(info.split('used_memory:')[1].split()[0])


def sanitized(binary):
    out = subprocess.run(['ldd', binary], capture_output=True, text=True).stdout
    return 'libasan' in out or 'libubsan' in out


def main():
    if subprocess.run(['which', 'redis-server'], capture_output=True).returncode:
        print('1..0 # SKIP redis-server not installed')
        return 0
    print('1..4')
    r = sfredis.Redis()
    log = os.path.join(os.environ.get('TMPDIR', '/tmp'), 'sf-flood-%d.log' % os.getpid())
    port = sfredis.free_port()
    binary = os.path.join(build, 'scanflowd')
    d = sfredis.start_daemon(build, port, r.url,
                             ['--home-net', '198.18.0.0/15', '--home-net', '2001:db8:a::/48',
                              '--allow', '198.51.100.200/32', '--flush-interval', '0.5',
                              '--name', 'flood'], log)
    try:
        time.sleep(0.5)
        rss0, mem0 = rss_kb(d.pid), used_memory(r)
        stop = threading.Event()

        def slow_scan():
            # one probe per flush, 80 ports: a slow scan under the flood
            s = sfflood.Sender(port)
            for p in range(1, 81):
                if stop.is_set():
                    break
                s.flow(sfflood.ip(SLOW), sfflood.ip('198.18.9.9'), p)
                s.flush()
                time.sleep(0.1)
        t = threading.Thread(target=slow_scan)
        t.start()
        sender = sfflood.Sender(port, 40000)   # 1.2 M flows/s
        half = SOURCES // 2
        t0 = time.time()
        sfflood.spoofed(sender, half, 0)
        subprocess.run([os.path.join(build, 'scanflow'), 'replay', capture,
                        '127.0.0.1:%d' % port, '--rate', '20000', '--quiet'], check=True)
        sfflood.spoofed(sender, SOURCES - half, half)
        took = time.time() - t0
        t.join()
        time.sleep(3.0)
        rss1, hwm = rss_kb(d.pid), rss_kb(d.pid, 'VmHWM')
        mem1 = used_memory(r)
        alerts = sfredis.stream_alerts(r)
        want = set(SCANNERS) | {(SLOW, 'port_scan')}
        got = {}
        for a in alerts:
            got.setdefault((a['src'], a['kind']), set()).add(a['id'])
        probs = ['%s %s: %d alerts' % (k + (len(got.get(k, ())),)) for k in sorted(want)
                 if len(got.get(k, ())) != 1]
        probs += ['unexpected %s %s' % k for k in sorted(set(got) - want)]
        print('# flood: %d spoofed sources in %.1f s; daemon RSS %d -> %d kB (peak %d kB); '
              'redis used_memory %.1f -> %.1f MB, %s keys'
              % (SOURCES, took, rss0, rss1, hwm, mem0 / 1e6, mem1 / 1e6, r.cmd('DBSIZE')))
        ok(not probs, 'scanners in the middle of the flood alerted once each, '
           'the slow one (one probe per flush) too', probs)
        ok(d.poll() is None, 'daemon alive after the flood')
        ok(mem1 - mem0 < 32 * 1024 * 1024,
           'Redis memory flat: one-flow sources held locally (+%.1f MB)' % ((mem1 - mem0) / 1e6))
        if sanitized(binary):
            ok(True, 'daemon RSS %d kB (not bounded under sanitizers: shadow memory, quarantine)' % hwm)
        else:
            # two aggregates (about 30 MB at the default caps), the probation
            # table (262,144 entries of 96 bytes, 24 MiB), the decoder
            ok(hwm < 160 * 1024, 'daemon peak RSS within the caps: %d kB < 160 MB' % hwm)
    finally:
        d.terminate()
        d.wait()
        r.stop()
        for line in open(log).read().splitlines():
            if 'stopping:' in line or 'probation' in line:
                print('# daemon: ' + line)
        os.unlink(log)
    return 0


if __name__ == '__main__':
    sys.exit(main())
