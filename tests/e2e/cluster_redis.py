"""A private Redis Cluster on loopback for scanflow's tests: N masters (and
optional replicas) of redis-server --cluster-enabled yes on free ports in a
temporary directory, joined with redis-cli --cluster create, and a small
RESP client that follows MOVED.  Processes are killed by stop().

As a command:  cluster_redis.py [--replicas R] -- CMD ARGS...
starts a 3-master cluster, runs CMD with SF_CLUSTER_URL (redis+cluster://
with every master as a seed) and SF_CLUSTER_PORTS set, and stops the
cluster; exit status: CMD's."""
import os, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
import sfredis


def _free_pair():
    """A port p with p and its cluster bus port p + 10000 free."""
    for _ in range(200):
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        p = s.getsockname()[1]
        s.close()
        if p + 10000 > 65535:
            continue
        b = socket.socket()
        try:
            b.bind(('127.0.0.1', p + 10000))
            return p
        except OSError:
            continue
        finally:
            b.close()
    raise RuntimeError('no free port pair')


RedisError = sfredis.RedisError


def node_cmd(port, *args, timeout=5.0):
    """One command to one node; an error reply is returned as RedisError."""
    s = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    try:
        return sfredis.command(s, *args, raise_errors=False)
    finally:
        s.close()


class Cluster:
    def __init__(self, masters=3, replicas=0, node_timeout=1000):
        self.dir = tempfile.mkdtemp(prefix='sf-cluster.')
        self.procs = {}
        self.ports = []
        n = masters * (1 + replicas)
        try:
            for _ in range(n):
                self._start(_free_pair(), node_timeout)
            for p in self.ports:
                self._wait(lambda: node_cmd(p, 'PING') == 'PONG', 'node %d up' % p)
            r = subprocess.run(
                ['redis-cli', '--cluster', 'create'] +
                ['127.0.0.1:%d' % p for p in self.ports] +
                ['--cluster-replicas', str(replicas), '--cluster-yes'],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
            if r.returncode:
                raise RuntimeError('cluster create failed: %s' % r.stdout.decode()[-800:])
            self.wait_ok(self.ports)
            self._wait(self.replicas_synced, 'replicas in sync')
        except BaseException:
            self.stop()
            raise

    def _start(self, port, node_timeout):
        d = os.path.join(self.dir, str(port))
        os.mkdir(d)
        self.procs[port] = subprocess.Popen(
            ['redis-server', '--port', str(port), '--bind', '127.0.0.1',
             '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
             '--cluster-node-timeout', str(node_timeout), '--save', '',
             # replicas sync at once and may always take over (the test
             # kills a master seconds after the cluster is made)
             '--repl-diskless-sync-delay', '0',
             '--cluster-replica-validity-factor', '0',
             '--appendonly', 'no', '--dir', d, '--logfile', 'redis.log'],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ports.append(port)

    @staticmethod
    def _wait(pred, what, timeout=60.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if pred():
                    return
            except (OSError, ConnectionError):
                pass
            time.sleep(0.1)
        raise RuntimeError('timed out waiting for ' + what)

    def info(self, port, section='cluster'):
        text = node_cmd(port, 'CLUSTER', 'INFO') if section == 'cluster' else \
            node_cmd(port, 'INFO', section)
        return dict(l.split(':', 1) for l in text.split('\r\n') if ':' in l)

    def wait_ok(self, ports, timeout=60.0):
        """cluster_state:ok with all slots served, on every given node, and
        every node agrees on the masters."""
        def ok():
            views = set()
            for p in ports:
                i = self.info(p)
                if i.get('cluster_state') != 'ok' or i.get('cluster_slots_ok') != '16384':
                    return False
                views.add(tuple(sorted(m for _, _, m in self.slot_map(p))))
            return len(views) == 1
        self._wait(ok, 'cluster_state:ok', timeout)

    def wait_failover(self, dead, timeout=60.0):
        """Until no live node maps a slot to the dead master, then ok."""
        self._wait(lambda: all(dead not in [m for _, _, m in self.slot_map(p)]
                               for p in self.alive()), 'failover', timeout)
        self.wait_ok(self.alive(), timeout)

    def replicas_synced(self):
        for p in self.ports:
            i = self.info(p, 'replication')
            if i.get('role') == 'slave' and i.get('master_link_status') != 'up':
                return False
        return True

    def slot_map(self, port=None):
        """[(start, end, master port)] as node port sees it."""
        for p in ([port] if port else self.alive()):
            r = node_cmd(p, 'CLUSTER', 'SLOTS')
            if isinstance(r, list):
                return [(e[0], e[1], e[2][1]) for e in r]
        return []

    def masters(self):
        return sorted({m for _, _, m in self.slot_map()})

    def master_of(self, key):
        slot = node_cmd(self.alive()[0], 'CLUSTER', 'KEYSLOT', key)
        for lo, hi, m in self.slot_map():
            if lo <= slot <= hi:
                return m
        return None

    def alive(self):
        return [p for p in self.ports if self.procs[p].poll() is None]

    def url(self):
        return 'redis+cluster://' + ','.join('127.0.0.1:%d' % p for p in self.ports)

    def cmd(self, *args):
        """A command routed by its first key, following MOVED."""
        port = self.master_of(args[1]) if len(args) > 1 else self.alive()[0]
        for _ in range(5):
            r = node_cmd(port, *args)
            if isinstance(r, RedisError) and r.startswith('MOVED '):
                port = int(r.split()[2].rsplit(':', 1)[1])
                continue
            if isinstance(r, RedisError):
                raise RuntimeError(r)
            return r
        raise RuntimeError('too many redirections')

    def keys(self, pattern):
        out = []
        for m in self.masters():
            out += node_cmd(m, 'KEYS', pattern) or []
        return out

    def flushall(self):
        for m in self.masters():
            node_cmd(m, 'FLUSHALL')

    def kill(self, port):
        self.procs[port].kill()
        self.procs[port].wait()

    def cpu_seconds(self, port):
        i = self.info(port, 'cpu')
        return float(i['used_cpu_sys']) + float(i['used_cpu_user'])

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.kill()
            p.wait()
        subprocess.run(['rm', '-rf', self.dir])


def main(argv):
    replicas = 0
    if argv[:1] == ['--replicas']:
        replicas = int(argv[1])
        argv = argv[2:]
    if argv[:1] == ['--']:
        argv = argv[1:]
    try:
        c = Cluster(3, replicas)
    except Exception as e:
        print('Bail out! %s' % e)
        return 1
    try:
        env = dict(os.environ, SF_CLUSTER_URL=c.url(),
                   SF_CLUSTER_PORTS=','.join(str(p) for p in c.ports))
        return subprocess.run(argv, env=env).returncode
    finally:
        c.stop()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
