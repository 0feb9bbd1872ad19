"""Redis faults against a running scanflowd fed real exporters' captures:
Redis unreachable at start, killed -9 in the middle of a slow replay and
restarted (with its append-only file), killed and restarted empty, slowed
by DEBUG SLEEP and CLIENT PAUSE, a client output buffer limit far below a
flush's replies, and logins with a password and an ACL user over TCP and a
unix socket.  In every case: each scanner of fixtures/scenarios.tsv is
alerted exactly once (one claim, one alert id), the daemon never exits,
decodes every record it was sent, logs an outage once and never logs the
password.  Prints TAP."""
import json, os, signal, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(__file__))
import sfredis, sfflood
from sfredis import ok

top = sfredis.TOP
build = sfredis.BUILD
scanflow = os.path.join(build, 'scanflow')
capture = os.path.join(top, 'fixtures', 'exports', 'softflowd-ipfix.pcap')
ARGS = ['--home-net', '198.18.0.0/15', '--home-net', '2001:db8:a::/48',
        '--allow', '198.51.100.200/32', '--flush-interval', '0.5']
SCANNERS = sfredis.expected()       # fixtures/scenarios.tsv, with --allow
PASSWORD = 'Sf-s3cret-7c1e'
tmp = tempfile.mkdtemp(prefix='sf-rel.')
records_per_replay = None




class Server:
    """redis-server on a unix socket (and a TCP port on 127.0.0.1 when
    asked), restartable on the same socket path, with or without its data."""

    def __init__(self, name, aof=False, tcp=False, extra=()):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        self.sock = os.path.join(self.dir, 'redis.sock')
        self.port = sfredis.free_port() if tcp else 0
        self.aof = aof
        self.extra = list(extra)
        self.proc = None
        self.url = 'unix://' + self.sock

    def start(self, empty=False):
        if empty:
            for f in os.listdir(self.dir):
                if f.startswith('appendonly') or f.endswith('.rdb'):
                    subprocess.run(['rm', '-rf', os.path.join(self.dir, f)])
        args = ['redis-server', '--port', str(self.port), '--bind', '127.0.0.1',
                '--unixsocket', self.sock, '--save', '', '--dir', self.dir,
                '--logfile', os.path.join(self.dir, 'redis.log')]
        args += ['--appendonly', 'yes', '--appendfsync', 'always'] if self.aof \
            else ['--appendonly', 'no']
        self.proc = subprocess.Popen(args + self.extra)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                if self.cmd('PING') == 'PONG':
                    return
            except (OSError, RuntimeError) as e:
                if 'NOAUTH' in str(e):
                    return
            time.sleep(0.05)
        raise RuntimeError('redis-server did not start')

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def cmd(self, *args):
        r = sfredis.Redis.__new__(sfredis.Redis)
        r.sock = self.sock
        return r.cmd(*args)

    def alerts(self):
        r = sfredis.Redis.__new__(sfredis.Redis)
        r.sock = self.sock
        return sfredis.stream_alerts(r)


def replay(port, rate=2000):
    subprocess.run([scanflow, 'replay', capture, '127.0.0.1:%d' % port,
                    '--rate', str(rate), '--quiet'], check=True)


def daemon(url, name, extra=(), env=None):
    port = sfredis.free_port()
    log = os.path.join(tmp, name + '.log')
    cmd = [os.path.join(build, 'scanflowd'), '--listen', 'udp://127.0.0.1:%d' % port,
           '--redis', url, '--name', name] + ARGS + list(extra)
    p = subprocess.Popen(cmd, stdout=open(log, 'w'), stderr=subprocess.STDOUT,
                         env=dict(os.environ, **(env or {})))
    deadline = time.time() + 10
    while time.time() < deadline and 'listening on' not in open(log).read():
        time.sleep(0.05)
    return p, port, log


def wait_alerts(srv, want=len(SCANNERS), timeout=30):
    deadline = time.time() + timeout
    alerts = []
    while time.time() < deadline:
        try:
            alerts = srv.alerts()
        except (OSError, RuntimeError):
            alerts = []
        if len({(a['src'], a['kind']) for a in alerts}) >= want:
            break
        time.sleep(0.2)
    time.sleep(1.5)        # a duplicate would come within a flush or two
    return srv.alerts()


def once(alerts, extra_ids=()):
    """Problems with "every scanner alerted exactly once": one alert id per
    (source, kind), none unexpected.  A republished alert (same id: the
    connection died between XADD and its reply) is at-least-once delivery
    of one alert, reported but not a failure."""
    problems, ids = [], {}
    for a in alerts:
        ids.setdefault((a['src'], a['kind']), set()).add(a['id'])
    for key in sorted(SCANNERS):
        if len(ids.get(key, ())) != 1:
            problems.append('%s %s: %d alerts' % (key[0], key[1], len(ids.get(key, ()))))
    for key in sorted(set(ids) - SCANNERS):
        problems.append('unexpected alert %s %s' % key)
    if len(alerts) != sum(len(v) for v in ids.values()):
        print('# note: %d stream entries for %d alert ids (republished)'
              % (len(alerts), sum(len(v) for v in ids.values())))
    return problems


def stop(p, log):
    """SIGTERM; the daemon must still be running, exit 0, and report the
    records it decoded."""
    alive = p.poll() is None
    p.terminate()
    try:
        rc = p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = p.wait()
    text = open(log).read()
    recs = None
    for line in text.splitlines():
        if 'stopping:' in line:
            recs = int(line.split('packets,')[1].split()[0])
    return alive and rc == 0, recs, text


def check_daemon(p, log, what, replays=1, outage_logs=1):
    global records_per_replay
    fine, recs, text = stop(p, log)
    if records_per_replay is None and recs:
        records_per_replay = recs // replays
    ok(fine and recs == records_per_replay * replays,
       '%s: daemon alive, exits 0, decoded all %s records' % (what, recs),
       ['records %s, want %s' % (recs, records_per_replay and records_per_replay * replays)]
       + text.splitlines()[-5:])
    warns = text.count('redis unreachable') + text.count('reconnecting with backoff')
    if outage_logs is not None:
        ok(warns <= outage_logs and PASSWORD not in text,
           '%s: outage logged at most %d times, password never logged' % (what, outage_logs),
           text.splitlines()[-8:])


def test_unreachable_at_start():
    srv = Server('start')
    p, port, log = daemon(srv.url, 'start')
    replay(port)
    time.sleep(2.0)                 # several flushes with nothing to talk to
    srv.start()
    probs = once(wait_alerts(srv))
    ok(not probs, 'Redis unreachable at start: scanners alerted once when it comes', probs)
    check_daemon(p, log, 'unreachable at start')
    srv.kill()


def test_killed_mid_replay():
    srv = Server('kill', aof=True)
    srv.start()
    p, port, log = daemon(srv.url, 'kill')
    t = threading.Thread(target=replay, args=(port, 100))    # about 4 s
    t.start()
    time.sleep(1.5)
    srv.kill()
    time.sleep(1.5)
    srv.start()
    t.join()
    probs = once(wait_alerts(srv))
    ok(not probs, 'killed -9 mid-replay, restarted with its data: every scanner alerted once', probs)
    # Restarted empty: this collector still remembers what it alerted.
    before = srv.alerts()
    srv.kill()
    srv.start(empty=True)
    replay(port)
    time.sleep(3.0)
    again = srv.alerts()
    ok(again == [], 'restarted empty, same scans again: no second alert (%d before)' % len(before),
       ['%s %s' % (a['src'], a['kind']) for a in again])
    check_daemon(p, log, 'killed and restarted', replays=2, outage_logs=2)
    srv.kill()


def test_outage_then_empty():
    srv = Server('empty')
    srv.start()
    p, port, log = daemon(srv.url, 'empty')
    time.sleep(0.7)
    srv.kill()
    replay(port)                    # all of it during the outage
    time.sleep(2.0)
    srv.start(empty=True)
    probs = once(wait_alerts(srv))
    ok(not probs, 'whole scan during an outage: alerted once Redis is back (empty)', probs)
    check_daemon(p, log, 'outage', outage_logs=None)
    srv.kill()


def test_slow():
    srv = Server('slow', extra=['--enable-debug-command', 'local'])
    srv.start()
    p, port, log = daemon(srv.url, 'slow')

    def stall():
        for args in (('DEBUG', 'SLEEP', '4'), ('CLIENT', 'PAUSE', '3000', 'ALL')):
            try:
                srv.cmd(*args)
            except (OSError, RuntimeError) as e:
                print('# %s: %s' % (args[0], e))
            time.sleep(0.3)
    t = threading.Thread(target=stall)
    t.start()
    time.sleep(0.3)
    replay(port, 200)               # about 2 s, into the stalls
    t.join()
    probs = once(wait_alerts(srv))
    ok(not probs, 'DEBUG SLEEP 4 and CLIENT PAUSE 3000: every scanner alerted once', probs)
    check_daemon(p, log, 'slow Redis', outage_logs=None)
    srv.kill()


def test_output_buffer():
    srv = Server('obuf', extra=['--client-output-buffer-limit', 'normal 256kb 128kb 5'])
    srv.start()
    p, port, log = daemon(srv.url, 'obuf', ['--max-sources', '65536', '--max-elements', '400000'])
    s = sfflood.Sender(port, 20000)
    sfflood.spoofed(s, 20000, 0, 3)  # 20,000 sources, 3 probes each, one flush
    replay(port)
    probs = once(wait_alerts(srv))
    text = open(log).read()
    ok(not probs and 'reconnecting' not in text,
       'client output buffer limit 256 kB, 20,000 sources a flush: no disconnect, scanners alerted',
       probs + text.splitlines()[-5:])
    fine, _, text = stop(p, log)
    ok(fine, 'output buffer: daemon alive, exits 0', text.splitlines()[-5:])
    srv.kill()


ACL = ['ACL', 'SETUSER', 'sfuser', 'on', '>' + PASSWORD, 'resetkeys', '~sf:*', '~scanflow:*',
       'resetchannels', '&scanflow:*', '-@all'] + \
      ['+' + c for c in ('pfadd', 'pfcount', 'expire', 'incrby', 'zadd', 'lpush', 'ltrim',
                         'hset', 'set', 'mget', 'zrange', 'zrevrange', 'lrange',
                         'zremrangebyrank', 'publish', 'xadd', 'ping', 'select', 'auth',
                         'evalsha', 'eval', 'script|load',
                         # the exact counts' Lua scripts (correlate/exact.c)
                         'sadd', 'scard', 'del', 'sunion', 'exists', 'sismember',
                         'smembers', 'pfmerge',
                         # the alert claim's (correlate/claim.c)
                         'get', 'hmget')]


def test_auth():
    srv = Server('auth', tcp=True, extra=['--requirepass', PASSWORD])
    srv.start()
    srv.cmd('AUTH', PASSWORD)
    for name, url, env in (
            ('password in the URL, TCP', 'redis://:%s@127.0.0.1:%d/0' % (PASSWORD, srv.port), {}),
            ('password from SCANFLOW_REDIS_PASSWORD, unix socket', srv.url,
             {'SCANFLOW_REDIS_PASSWORD': PASSWORD}),
            ('ACL user, TCP', 'redis://sfuser:%s@127.0.0.1:%d/0' % (PASSWORD, srv.port), {}),
            ('ACL user, unix socket, password from the environment',
             'unix://sfuser:@' + srv.sock, {'SCANFLOW_REDIS_PASSWORD': PASSWORD})):
        r = sfredis.Redis.__new__(sfredis.Redis)
        r.sock = srv.sock
        conn = _authed(srv)
        conn('FLUSHALL')
        if 'ACL' in name:
            conn(*ACL)
        p, port, log = daemon(url, 'auth', env=env)
        replay(port)
        deadline = time.time() + 20
        alerts = []
        while time.time() < deadline:
            alerts = [json.loads(dict(zip(f[::2], f[1::2]))['alert'])
                      for _id, f in conn('XRANGE', 'scanflow:alerts', '-', '+') or []]
            if len(alerts) >= len(SCANNERS):
                break
            time.sleep(0.2)
        probs = once(alerts)
        fine, _, text = stop(p, log)
        ok(not probs and fine and PASSWORD not in text and 'NOAUTH' not in text
           and 'NOPERM' not in text, 'Redis login: %s' % name, probs + text.splitlines()[-5:])
    # A wrong password: the daemon keeps running and says so once, without it.
    p, port, log = daemon('redis://:wrong-%s@127.0.0.1:%d/0' % (PASSWORD, srv.port), 'badauth')
    replay(port)
    time.sleep(2.0)
    fine, _, text = stop(p, log)
    ok(fine and ('WRONGPASS' in text or 'invalid' in text) and PASSWORD not in text
       and text.count('redis unreachable') == 1,
       'wrong password: daemon keeps running, logs it once, never the password',
       text.splitlines()[-5:])
    srv.kill()


def _authed(srv):
    def call(*args):
        import socket
        s = socket.socket(socket.AF_UNIX)
        s.connect(srv.sock)
        try:
            sfredis.command(s, 'AUTH', PASSWORD)
            return sfredis.command(s, *args)
        finally:
            s.close()
    return call


def main():
    if subprocess.run(['which', 'redis-server'], capture_output=True).returncode:
        print('1..0 # SKIP redis-server not installed')
        return 0
    if not os.path.exists(capture):
        print('1..0 # SKIP no export fixtures')
        return 0
    tests = [(test_unreachable_at_start, 3), (test_killed_mid_replay, 4),
             (test_outage_then_empty, 2), (test_slow, 2), (test_output_buffer, 2),
             (test_auth, 5)]
    only = os.environ.get('SF_RELIABILITY_ONLY')
    if only:
        tests = [t for t in tests if only in t[0].__name__]
    print('1..%d' % sum(k for _, k in tests))
    try:
        for t, _ in tests:
            t()
    finally:
        subprocess.run(['rm', '-rf', tmp])
    return 0


if __name__ == '__main__':
    sys.exit(main())
