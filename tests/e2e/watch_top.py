"""`scanflow watch` and `scanflow top` against a real redis-server and a
running scanflowd fed a real exporter's capture: watch prints one readable
line per alert (kind, source, counts), watch --json prints the alerts
themselves (valid against schemas/alert.schema.json, the same ids as the
stream), and top lists the scanners with the highest fan-out first, with
their counts (with --once, or into a pipe: one table); on a terminal (a
pty here) top redraws the table in place until SIGINT and shows a source
added meanwhile; a watcher survives a Redis restart.  Prints TAP."""
import fcntl, json, os, pty, select, signal, struct, subprocess, sys, tempfile, termios, time

sys.path.insert(0, os.path.dirname(__file__))
import sfredis
from sfredis import ok

top = sfredis.TOP
build = sfredis.BUILD
scanflow = os.path.join(build, 'scanflow')
capture = os.path.join(top, 'fixtures', 'exports', 'softflowd-ipfix.pcap')
HOME = ['--home-net', '198.18.0.0/15', '--home-net', '2001:db8:a::/48',
        '--allow', '198.51.100.200/32', '--flush-interval', '0.5']
SCANNERS = dict(sfredis.expected())  # fixtures/scenarios.tsv: one kind each





CLEAR = b'\x1b[H\x1b[J'


class Pty:
    """A command with a pseudo-terminal (40 rows) as its stdin/stdout/stderr."""

    def __init__(self, argv):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 120, 0, 0))
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                                     close_fds=True)
        os.close(slave)
        self.out = b''

    def read_until(self, done, timeout):
        """Reads until done(output) or timeout or EOF; returns done(output)."""
        deadline = time.time() + timeout
        while not done(self.out) and time.time() < deadline:
            if select.select([self.master], [], [], 0.1)[0]:
                try:
                    data = os.read(self.master, 65536)
                except OSError:      # EIO: the command closed the terminal
                    break
                if not data:
                    break
                self.out += data
        return done(self.out)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        os.close(self.master)


def frames(out):
    """The tables drawn in place: what follows each clear-screen."""
    return out.split(CLEAR)[1:]


def wait_lines(path, count, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        lines = [l for l in open(path).read().splitlines() if l.strip()]
        if len(lines) >= count:
            return lines
        time.sleep(0.1)
    return [l for l in open(path).read().splitlines() if l.strip()]


def main():
    if subprocess.run(['which', 'redis-server'], capture_output=True).returncode:
        print('1..0 # SKIP redis-server not installed')
        return 0
    if not os.path.exists(capture):
        print('1..0 # SKIP no export fixtures')
        return 0
    try:
        import jsonschema
        validator = jsonschema.Draft202012Validator(
            json.load(open(os.path.join(top, 'schemas', 'alert.schema.json'))))
    except ImportError:
        validator = None
    tmp = tempfile.mkdtemp(prefix='sf-watch.')
    r = sfredis.Redis()
    procs = []
    print('1..11')
    try:
        port = sfredis.free_port()
        d = sfredis.start_daemon(build, port, r.url, HOME + ['--name', 'wt'],
                                 os.path.join(tmp, 'd.log'))
        procs.append(d)
        text, js = os.path.join(tmp, 'watch.txt'), os.path.join(tmp, 'watch.json')
        for out, extra in ((text, []), (js, ['--json'])):
            procs.append(subprocess.Popen([scanflow, 'watch', '--redis', r.url] + extra,
                                          stdout=open(out, 'w'),
                                          stderr=open(out + '.err', 'w')))
        # both subscribed before anything is published
        deadline = time.time() + 10
        while time.time() < deadline:
            subs = r.cmd('PUBSUB', 'NUMSUB', 'scanflow:alerts')
            if int(subs[1]) >= 2:
                break
            time.sleep(0.05)
        subprocess.run([scanflow, 'replay', capture, '127.0.0.1:%d' % port,
                        '--rate', '20000', '--quiet'], check=True)
        lines = wait_lines(text, len(SCANNERS))
        jlines = wait_lines(js, len(SCANNERS))
        stream = sfredis.stream_alerts(r)

        seen = {}
        bad = []
        for l in lines:
            f = l.split()
            if len(f) < 3 or f[1] not in ('port_scan', 'host_sweep') \
                    or 'ports=' not in l or 'hosts=' not in l:
                bad.append(l)
                continue
            seen[f[2]] = f[1]
        ok(seen == SCANNERS and not bad,
           'watch prints one readable line per alert (%d lines)' % len(lines),
           ['got %s' % sorted(seen.items()), 'want %s' % sorted(SCANNERS.items())] + bad[:5])

        alerts, errs = [], []
        for l in jlines:
            try:
                a = json.loads(l)
            except ValueError as e:
                errs.append('not JSON: %r (%s)' % (l[:80], e))
                continue
            alerts.append(a)
            if validator:
                errs += [e.message for e in validator.iter_errors(a)]
        ok(not errs and {a['src']: a['kind'] for a in alerts} == SCANNERS,
           'watch --json prints valid alerts%s' % ('' if validator else ' (no jsonschema: not validated)'),
           errs[:5])
        ok(sorted(a['id'] for a in alerts) == sorted(a['id'] for a in stream),
           'watch --json saw exactly the alerts of the stream (%d)' % len(stream),
           ['watch %d, stream %d' % (len(alerts), len(stream))])

        out = subprocess.run([scanflow, 'top', '5', '--once', '--redis', r.url],
                             capture_output=True, text=True)
        rows = [l.split() for l in out.stdout.splitlines()[1:]]
        fan = [int(x[2]) for x in rows]
        ok(out.returncode == 0 and len(rows) == 5 and fan == sorted(fan, reverse=True)
           and rows[0][1] in ('203.0.113.101', '198.51.100.200') and int(rows[0][2]) >= 900,
           'top 5 --once: five sources, highest fan-out first, the 1000-port scan on top',
           out.stdout.splitlines() + [out.stderr])
        srcs = {x[1]: x for x in rows}
        row = srcs.get('203.0.113.101')
        ok(row is not None and int(row[3]) >= 900 and row[-1] == '198.18.1.0/24',
           'top shows ports and the top /24 of the port scanner', [str(row)])
        out = subprocess.run([scanflow, 'top', '--redis', r.url], capture_output=True, text=True)
        listed = {l.split()[1] for l in out.stdout.splitlines()[1:]}
        ok(set(SCANNERS) <= listed and CLEAR.decode() not in out.stdout,
           'top into a pipe (default 20): one table listing every scanner',
           ['missing %s' % (set(SCANNERS) - listed)])

        bad = [(argv, subprocess.run([scanflow] + argv + ['--redis', r.url],
                                     capture_output=True, text=True))
               for argv in (['watch', 'x'], ['top', '5', 'x'])]
        ok(all(p.returncode == 2 and len(p.stderr.splitlines()) == 1
               and "unexpected argument 'x'" in p.stderr and not p.stdout for _, p in bad),
           'watch and top refuse a stray argument in one line, exit status 2',
           ['%s: %d %r' % (' '.join(a), p.returncode, p.stderr) for a, p in bad])

        # on a terminal: frames redrawn in place every --interval; a source
        # added to this minute's index shows on top of a later frame
        t = Pty([scanflow, 'top', '--interval', '0.3', '--redis', r.url])
        try:
            two = t.read_until(lambda o: len(frames(o)) >= 2, 15)
            r.cmd('ZADD', 'sf:top:%d' % (int(time.time()) // 60), '999999', '192.0.2.250')
            # a frame: title, header, then rank 1 (the pty writes \r\n)
            seen = t.read_until(lambda o: any(
                f.split(b'\n')[2:3] and f.split(b'\n')[2].startswith(b'  1  192.0.2.250 ')
                for f in frames(o)), 15)
            n = len(frames(t.out))
            ok(two and seen and all(b'rank src' in f for f in frames(t.out)[:-1]),
               'top on a terminal redraws the table in place (%d frames), '
               'a new source shows in a later frame' % n,
               [repr(t.out[-600:])])
            t.proc.send_signal(signal.SIGINT)
            try:
                rc = t.proc.wait(5)
            except subprocess.TimeoutExpired:
                rc = None
            ok(rc == 0, 'top on a terminal stops on SIGINT, exit status 0', ['status %r' % rc])
        finally:
            t.close()
        t = Pty([scanflow, 'top', '--once', '--redis', r.url])
        try:
            t.read_until(lambda o: False, 10)     # to EOF: top exits
            try:
                rc = t.proc.wait(10)
            except subprocess.TimeoutExpired:
                rc = None
            ok(rc == 0 and CLEAR not in t.out and t.out.count(b'rank src') == 1,
               'top --once on a terminal prints one table and exits', [repr(t.out[-300:]), 'status %r' % rc])
        finally:
            t.close()

        # a watcher survives a Redis restart (same socket path) and prints
        # what is published after it
        r.proc.kill()
        r.proc.wait()
        r.proc = subprocess.Popen(
            ['redis-server', '--port', '0', '--unixsocket', r.sock, '--save', '',
             '--appendonly', 'no', '--dir', r.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        got = []
        while time.time() < deadline:
            try:
                subs = r.cmd('PUBSUB', 'NUMSUB', 'scanflow:alerts')
                if int(subs[1]) >= 2:
                    r.cmd('PUBLISH', 'scanflow:alerts', json.dumps(
                        dict(alerts[0], src='192.0.2.77')))
                    got = [l for l in wait_lines(text, len(lines) + 1, 5) if '192.0.2.77' in l]
                    break
            except (OSError, RuntimeError):
                pass
            time.sleep(0.1)
        ok(len(got) == 1, 'watch reconnects after a Redis restart', [open(text + '.err').read()[-300:]])
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        r.stop()
        subprocess.run(['rm', '-rf', tmp])
    return 0


if __name__ == '__main__':
    sys.exit(main())
