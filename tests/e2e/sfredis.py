"""Minimal helpers for scanflow's end-to-end tests: a private redis-server,
a RESP client over its unix socket, free ports, the daemon, and what
fixtures/scenarios.tsv says must (not) alert."""
import os, socket, subprocess, sys, tempfile, time

TOP = os.environ.get('top_srcdir', os.path.join(os.path.dirname(__file__), '..', '..'))
BUILD = os.environ.get('top_builddir', TOP)
FIXTURES = os.path.join(TOP, 'fixtures')


_tap_n = [0]


def ok(cond, what, detail=()):
    """One TAP line, numbered across the script; detail lines as comments
    when it fails.  Returns cond."""
    _tap_n[0] += 1
    print('%s %d - %s' % ('ok' if cond else 'not ok', _tap_n[0], what))
    if not cond:
        for d in detail:
            print('# ' + str(d))
    sys.stdout.flush()
    return cond


def read_tsv(path):
    """A tab-separated table with a header line, '#' comments and blank
    lines skipped, as dicts by column."""
    rows, header = [], None
    for line in open(path):
        if line.startswith('#') or not line.strip():
            continue
        cols = line.rstrip('\n').split('\t')
        if header is None:
            header = cols
        else:
            rows.append(dict(zip(header, cols)))
    return rows


def scenarios(capture='traffic'):
    """The rows of fixtures/scenarios.tsv of one capture ("traffic":
    fixtures/traffic/, "campaigns": fixtures/campaigns/), as dicts by
    column name."""
    return [row for row in read_tsv(os.path.join(FIXTURES, 'scenarios.tsv'))
            if row.get('capture', 'traffic') == capture]


def export_rows():
    """(path, version, sampling rate) of every capture listed in
    fixtures/exports/MANIFEST.tsv and MANIFEST-sampled.tsv; the rate is
    the exporter's sampling_rate (1 if its command sets none)."""
    rows = []
    for m in ('MANIFEST.tsv', 'MANIFEST-sampled.tsv'):
        path = os.path.join(FIXTURES, 'exports', m)
        if not os.path.exists(path):
            continue
        for line in open(path):
            if line.startswith('#') or line.startswith('file\t') or not line.strip():
                continue
            f, _, ver, _, cmd = line.rstrip('\n').split('\t')[:5]
            rate = int(cmd.split('sampling_rate: ')[1].split(';')[0]) \
                if 'sampling_rate: ' in cmd else 1
            p = os.path.join(FIXTURES, 'exports', f)
            if os.path.exists(p):
                rows.append((p, int(ver) if ver.isdigit() else ver, rate))
    return sorted(rows)


def unsampled_exports():
    """The captures made without packet sampling (sampled ones are
    e2e/sampling_e2e.py's)."""
    return [p for p, _, rate in export_rows() if rate <= 1]


def home_args(rows=None):
    """--home-net and --allow options of the scenarios' networks."""
    args = []
    for line in open(os.path.join(FIXTURES, 'scenarios.tsv')):
        if line.startswith('# home networks:'):
            rest = line.split(':', 1)[1]
            nets, _, allow = rest.partition('allow-listed:')
            for n in nets.split():
                args += ['--home-net', n]
            for a in allow.split():
                args += ['--allow', a]
    return args


def expected(rows=None, v5=False, skip_tools=()):
    """{(source, kind)} that must alert (with the allow-list applied);
    v5 exports carry no IPv6 sources."""
    want = set()
    for r in rows if rows is not None else scenarios():
        if v5 and r['family'] == 'v6':
            continue
        if r['tool'] in skip_tools:
            continue
        for k in r['expect'].split(','):
            if k and k != 'none':
                want.add((r['src'], k))
    return want


class Redis:
    """A private redis-server on a unix socket, killed by stop()."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='sf-redis.')
        self.sock = os.path.join(self.dir, 'redis.sock')
        self.proc = subprocess.Popen(
            ['redis-server', '--port', '0', '--unixsocket', self.sock, '--save', '',
             '--appendonly', 'no', '--dir', self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(self.sock):
                break
            time.sleep(0.05)
        self.url = 'unix://' + self.sock

    def cmd(self, *args):
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.sock)
        try:
            return command(s, *args)
        finally:
            s.close()

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        subprocess.run(['rm', '-rf', self.dir])


class RedisError(str):
    """An error reply, returned instead of raised when asked."""


def command(sock, *args, raise_errors=True):
    """Sends one command (RESP) on a connected socket and reads its reply."""
    out = b'*%d\r\n' % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b'$%d\r\n%s\r\n' % (len(a), a)
    sock.sendall(out)
    f = sock.makefile('rb')
    try:
        return read_reply(f, raise_errors)
    finally:
        f.close()


def read_reply(f, raise_errors=True):
    line = f.readline()
    if not line:
        raise ConnectionError('connection closed')
    t, rest = line[:1], line[1:-2]
    if t == b'+':
        return rest.decode()
    if t == b'-':
        if raise_errors:
            raise RuntimeError(rest.decode())
        return RedisError(rest.decode())
    if t == b':':
        return int(rest)
    if t == b'$':
        n = int(rest)
        return None if n < 0 else f.read(n + 2)[:-2].decode(errors='replace')
    if t == b'*':
        n = int(rest)
        return None if n < 0 else [read_reply(f, raise_errors) for _ in range(n)]
    raise RuntimeError('bad reply %r' % line)


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start_daemon(builddir, port, redis_url, args=(), log=None):
    cmd = [os.path.join(builddir, 'scanflowd'), '--listen', 'udp://127.0.0.1:%d' % port,
           '--redis', redis_url] + list(args)
    logf = open(log, 'w') if log else subprocess.DEVNULL
    p = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT)
    deadline = time.time() + 5
    while time.time() < deadline:
        if log and 'listening on' in open(log).read():
            break
        time.sleep(0.05)
    return p


def stream_alerts(r, stream='scanflow:alerts'):
    import json
    out = []
    for _id, fields in r.cmd('XRANGE', stream, '-', '+') or []:
        kv = dict(zip(fields[::2], fields[1::2]))
        out.append(json.loads(kv['alert']))
    return out
