"""SIGTERM against a running scanflowd: the local aggregates and pending
alerts are flushed before it exits 0 (a 30 s flush interval, so nothing
went out before the signal), and with Redis stopped (SIGSTOP: a hung
server) it still exits 0 within a bounded time, the Redis timeouts.
Prints TAP."""
import os, signal, subprocess, sys, time

sys.path.insert(0, os.path.dirname(__file__))
import reliability as rel


def main():
    if subprocess.run(['which', 'redis-server'], capture_output=True).returncode:
        print('1..0 # SKIP redis-server not installed')
        return 0
    print('1..3')
    srv = rel.Server('term')
    srv.start()
    try:
        p, port, log = rel.daemon(srv.url, 'term', ['--flush-interval', '30'])
        rel.replay(port)
        time.sleep(0.5)
        before = srv.alerts()
        t0 = time.time()
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=60)
        took = time.time() - t0
        probs = rel.once(srv.alerts())
        rel.ok(before == [] and not probs and rc == 0 and took < 15,
               'SIGTERM flushes aggregates and alerts, exits 0 in %.2f s' % took,
               ['alerts before the signal: %d' % len(before), 'rc %s' % rc] + probs)
        p, port, log = rel.daemon(srv.url, 'hung', ['--flush-interval', '0.2'])
        rel.replay(port)
        time.sleep(0.5)
        srv.proc.send_signal(signal.SIGSTOP)
        rel.replay(port)
        time.sleep(0.5)
        t0 = time.time()
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = 'hung'
        took = time.time() - t0
        rel.ok(rc == 0 and took < 30, 'Redis hung (SIGSTOP): SIGTERM still exits 0, in %.1f s' % took,
               open(log).read().splitlines()[-5:])
        srv.proc.send_signal(signal.SIGCONT)
        text = open(log).read()
        rel.ok('redis' in text and 'stopping:' in text,
               'hung Redis: the timeout is logged, the daemon reports what it decoded',
               text.splitlines()[-5:])
    finally:
        srv.proc.send_signal(signal.SIGCONT)
        srv.kill()
        subprocess.run(['rm', '-rf', rel.tmp])
    return 0


if __name__ == '__main__':
    sys.exit(main())
