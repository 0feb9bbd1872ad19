"""Hostile peers against a running scanflowd (IPFIX over TCP and /metrics).

The daemon takes exporters from 127.0.0.0/30 (127.0.0.1 to .3) with
--tcp-max-connections 64 and --tcp-max-per-address 48, so both caps are hit:
- 1,000 idle connections from 127.0.0.2 and 100 from 127.0.0.3 that dribble
  a byte of an announced 1,000-byte IPFIX message every 0.4 s;
- then softflowd -v 10 -P tcp from 127.0.0.1 exports a real capture: every
  record it reports ("Flows exported: N (R records)") must be counted in
  scanflow_records_total{version="ipfix"} within BOUND_S of its start;
- 50 connections from 127.0.0.9 (outside --exporter) are closed at accept
  and counted;
- the held connections are closed by --tcp-idle-timeout and
  --tcp-message-timeout, each reason counted, the gauge back to 0;
- 100 half-open /metrics clients ("GET /metr") from 127.0.0.2, then a
  scrape from 127.0.0.1 answers within HTTP_BOUND_S; the half-open ones are
  closed by the server's read deadline; 100 more from the scraper's own
  address delay a scrape by the read deadline at most;
- `scanflow stats` takes scanflowd's own --metrics value and refuses a
  stray argument in one line;
- RSS of scanflowd stays under RSS_BOUND_MB throughout (sampled every
  0.1 s); the daemon exits 0 on SIGTERM.
Prints TAP."""
import os, re, resource, shutil, signal, socket, subprocess, sys, threading, time, \
    urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import sfredis
from sfredis import ok

BUILD = sfredis.BUILD
CAPTURE = os.path.join(sfredis.TOP, 'fixtures', 'traffic', 'traffic.pcap')
BOUND_S = 3.0           # softflowd start -> all its records counted
HTTP_BOUND_S = 2.0      # scrape next to 100 half-open clients elsewhere
SAME_ADDR_BOUND_S = 8.0  # ... from the scraper's own address (5 s deadline)
IDLE_S, MESSAGE_S = 8, 5


def asan_build():
    out = subprocess.run(['ldd', os.path.join(BUILD, 'scanflowd')],
                         capture_output=True, text=True).stdout
    return 'libasan' in out


# ASan adds shadow memory, redzones and a quarantine of freed blocks.
RSS_BOUND_MB = 200 if asan_build() else 64


class RssWatch(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.max_kb, self.stop = pid, 0, False

    def run(self):
        while not self.stop:
            try:
                for line in open('/proc/%d/status' % self.pid):
                    if line.startswith('VmRSS:'):
                        self.max_kb = max(self.max_kb, int(line.split()[1]))
            except OSError:
                return
            time.sleep(0.1)


def scrape(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def metric(text, name):
    m = re.search(r'^%s (\d+)$' % re.escape(name), text, re.M)
    return int(m.group(1)) if m else None


def wait_metric(url, name, want, timeout=3):
    """Scrapes until name equals want (snapshots are 100 ms apart)."""
    deadline = time.time() + timeout
    while True:
        v = metric(scrape(url), name)
        if v == want or time.time() > deadline:
            return v
        time.sleep(0.05)


def connect_from(src, port, timeout=5):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(('127.0.0.1', port))
    return s


def open_many(src, port, n):
    socks = []
    for _ in range(n):
        try:
            socks.append(connect_from(src, port))
        except OSError:
            pass
    return socks


def closed_by_peer(s, wait):
    """True if the peer closed s (EOF or reset) within wait seconds."""
    s.settimeout(wait)
    try:
        return s.recv(1) == b''
    except ConnectionResetError:
        return True
    except (socket.timeout, OSError):
        return False


def dribble(socks, stop):
    """An IPFIX header announcing 1,000 bytes, then a byte every 0.4 s."""
    hdr = b'\x00\x0a\x03\xe8' + b'\x00' * 12
    for s in socks:
        try:
            s.sendall(hdr)
        except OSError:
            pass
    while not stop.wait(0.4):
        for s in socks:
            try:
                s.send(b'\x00')
            except OSError:
                pass


def softflowd(port):
    t0 = time.time()
    p = subprocess.run(['softflowd', '-d', '-r', CAPTURE, '-n', '127.0.0.1:%d' % port,
                        '-v', '10', '-P', 'tcp'], capture_output=True, text=True,
                       timeout=60)
    m = re.search(r'Flows exported: \d+ \((\d+) records\)', p.stdout)
    return t0, int(m.group(1)) if m else None, p.stdout[-400:]


def tcp_part(port, url):
    before = scrape(url)
    rec0 = metric(before, 'scanflow_records_total{version="ipfix"}') or 0
    idle = open_many('127.0.0.2', port, 1000)
    drib = open_many('127.0.0.3', port, 100)
    stop = threading.Event()
    dt = threading.Thread(target=dribble, args=(drib, stop), daemon=True)
    dt.start()
    held = wait_metric(url, 'scanflow_tcp_connections', 64)
    ok(len(idle) == 1000 and len(drib) == 100 and held == 64,
       'hostile: %d idle connections from 127.0.0.2, %d dribbling from 127.0.0.3 '
       'connected; the table holds %s (cap 64)' % (len(idle), len(drib), held))
    t0, want, out = softflowd(port)
    got, t_got = None, None
    while time.time() - t0 < BOUND_S + 5:
        got = (metric(scrape(url), 'scanflow_records_total{version="ipfix"}') or 0) - rec0
        if want is not None and got >= want:
            t_got = time.time() - t0
            break
        time.sleep(0.05)
    ok(want and got == want and t_got is not None and t_got <= BOUND_S,
       'softflowd -v 10 -P tcp from 127.0.0.1 under the flood: %s of %s records '
       'decoded %.2f s after its start (bound %.1f s)'
       % (got, want, t_got if t_got is not None else -1, BOUND_S), [out])
    text = scrape(url)
    evicted = {r: metric(text, 'scanflow_tcp_closed_total{reason="%s"}' % r)
               for r in ('table_full', 'address_cap')}
    ok(all(v and v > 0 for v in evicted.values()),
       'newcomers made room: closed for table_full %(table_full)s, address_cap '
       '%(address_cap)s' % evicted)

    denied = open_many('127.0.0.9', port, 50)
    shut = sum(closed_by_peer(s, 2) for s in denied)
    n_denied = wait_metric(url, 'scanflow_refused_total{reason="tcp_not_allowed"}', 50)
    ok(len(denied) == 50 and shut == 50 and n_denied == 50,
       'outside --exporter: %d of %d connections from 127.0.0.9 closed at once, '
       'refused_tcp_not_allowed %s' % (shut, len(denied), n_denied))

    deadline = time.time() + IDLE_S + MESSAGE_S + 5
    while time.time() < deadline:
        text = scrape(url)
        if metric(text, 'scanflow_tcp_connections') == 0:
            break
        time.sleep(0.2)
    stop.set()
    dt.join()
    why = {r: metric(text, 'scanflow_tcp_closed_total{reason="%s"}' % r)
           for r in ('idle', 'slow_message')}
    ok(metric(text, 'scanflow_tcp_connections') == 0 and why['idle'] and why['slow_message'],
       'held connections closed by the deadlines (idle %ds: %s, message %ds: %s)'
       % (IDLE_S, why['idle'], MESSAGE_S, why['slow_message']))
    for s in idle + drib + denied:
        s.close()


def http_part(port):
    url = 'http://127.0.0.1:%d/metrics' % port
    half = []
    for _ in range(100):
        try:
            s = connect_from('127.0.0.2', port)
            s.sendall(b'GET /metr')
            half.append(s)
        except OSError:
            pass
    time.sleep(0.2)
    t0 = time.time()
    try:
        body = scrape(url, timeout=HTTP_BOUND_S)
    except OSError as e:
        body = str(e)
    dt = time.time() - t0
    ok('scanflow_tcp_connections' in body and dt <= HTTP_BOUND_S,
       '/metrics answers in %.2f s next to %d half-open clients from 127.0.0.2 '
       '(bound %.1f s)' % (dt, len(half), HTTP_BOUND_S))
    t0 = time.time()
    shut = sum(closed_by_peer(s, max(0.1, 8 - (time.time() - t0))) for s in half)
    ok(shut == len(half) == 100,
       'all %d half-open clients closed by the server within %.1f s (read deadline 5 s)'
       % (shut, time.time() - t0))
    for s in half:
        s.close()

    same = []
    for _ in range(100):
        try:
            s = connect_from('127.0.0.1', port)
            s.sendall(b'GET /metr')
            same.append(s)
        except OSError:
            pass
    t0, body = time.time(), ''
    while time.time() - t0 < SAME_ADDR_BOUND_S + 2 and 'scanflow_' not in body:
        try:
            body = scrape(url, timeout=1)
        except OSError:
            time.sleep(0.2)
    dt = time.time() - t0
    ok('scanflow_' in body and dt <= SAME_ADDR_BOUND_S,
       '100 half-open clients from the scraper\'s own address delay it %.2f s '
       '(bound %.1f s)' % (dt, SAME_ADDR_BOUND_S))
    for s in same:
        s.close()


def stats_part(port):
    scanflow = os.path.join(BUILD, 'scanflow')
    a = subprocess.run([scanflow, 'stats', '--metrics', '127.0.0.1:%d' % port, '--all'],
                       capture_output=True, text=True, timeout=20)
    b = subprocess.run([scanflow, 'stats', 'http://127.0.0.1:%d/metrics' % port],
                       capture_output=True, text=True, timeout=20)
    ok(a.returncode == 0 and re.search(r'^tcp_closed +idle +[1-9]', a.stdout, re.M) and
       b.returncode != 0 and len(b.stderr.strip().splitlines()) == 1 and
       'unexpected argument' in b.stderr,
       'scanflow stats takes --metrics ADDR:PORT; a stray argument is refused in one line',
       [a.stdout[-300:], a.stderr, b.stderr])


def main():
    if shutil.which('softflowd') is None or shutil.which('redis-server') is None:
        print('1..0 # SKIP softflowd or redis-server not installed')
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 4096:
        print('1..0 # SKIP descriptor limit %d < 4096' % hard)
        return 0
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 4096), hard))
    print('1..10')
    redis = sfredis.Redis()
    tcp_port, http_port = sfredis.free_port(), sfredis.free_port()
    log = os.path.join(redis.dir, 'daemon.log')
    d = subprocess.Popen(
        [os.path.join(BUILD, 'scanflowd'), '--listen', 'tcp://127.0.0.1:%d' % tcp_port,
         '--exporter', '127.0.0.0/30', '--redis', redis.url,
         '--metrics', '127.0.0.1:%d' % http_port,
         '--tcp-max-connections', '64', '--tcp-max-per-address', '48',
         '--tcp-idle-timeout', str(IDLE_S), '--tcp-message-timeout', str(MESSAGE_S)],
        stdout=open(log, 'w'), stderr=subprocess.STDOUT)
    watch = RssWatch(d.pid)
    try:
        deadline = time.time() + 10
        while time.time() < deadline and 'metrics on' not in open(log).read():
            time.sleep(0.05)
        watch.start()
        url = 'http://127.0.0.1:%d/metrics' % http_port
        tcp_part(tcp_port, url)
        http_part(http_port)
        stats_part(http_port)
        watch.stop = True
        d.send_signal(signal.SIGTERM)
        rc = d.wait(timeout=20)
        ok(rc == 0 and watch.max_kb > 0 and watch.max_kb <= RSS_BOUND_MB * 1024,
           'scanflowd exits 0; its RSS peaked at %.1f MiB (bound %d MiB)'
           % (watch.max_kb / 1024, RSS_BOUND_MB), open(log).read().splitlines()[-5:])
    finally:
        if d.poll() is None:
            d.kill()
            d.wait()
        redis.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
