"""SIGHUP and --user against a running scanflowd fed a real exporter's
capture: SIGHUP re-reads --allow (and the other rules) from the
configuration file and applies them without losing state (a source taken
off the allow-list is alerted on its next probes, the others are not
alerted twice); a configuration that no longer parses keeps the running
rules; --user drops root after binding and detection still works.
Prints TAP."""
import os, signal, subprocess, sys, time

sys.path.insert(0, os.path.dirname(__file__))
import reliability as rel

HOME = ['--home-net', '198.18.0.0/15', '--home-net', '2001:db8:a::/48',
        '--flush-interval', '0.5']


def write_conf(path, allow):
    with open(path, 'w') as f:
        f.write('[correlate]\nallow=%s\n' % ';'.join(allow))


def start(url, name, conf, extra=()):
    port = rel.sfredis.free_port()
    log = os.path.join(rel.tmp, name + '.log')
    cmd = [os.path.join(rel.build, 'scanflowd'), '--listen', 'udp://127.0.0.1:%d' % port,
           '--redis', url, '--name', name] + HOME + list(extra)
    if conf:
        cmd += ['--config', conf]
    p = subprocess.Popen(cmd, stdout=open(log, 'w'), stderr=subprocess.STDOUT)
    deadline = time.time() + 10
    while time.time() < deadline and 'listening on' not in open(log).read():
        time.sleep(0.05)
    return p, port, log


def kinds(alerts):
    return sorted((a['src'], a['kind']) for a in alerts)


def test_hup(srv):
    conf = os.path.join(rel.tmp, 'hup.conf')
    write_conf(conf, ['203.0.113.101/32', '198.51.100.200/32'])
    p, port, log = start(srv.url, 'hup', conf)
    rel.replay(port)
    first = rel.wait_alerts(srv, want=len(rel.SCANNERS) - 1)
    srcs = {a['src'] for a in first}
    rel.ok('203.0.113.101' not in srcs and len(first) == len(rel.SCANNERS) - 1,
           'allow-listed in the file: 203.0.113.101 not alerted, the others once',
           kinds(first))
    write_conf(conf, ['198.51.100.200/32'])
    p.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while time.time() < deadline and 'reloaded' not in open(log).read():
        time.sleep(0.1)
    rel.replay(port)
    second = rel.wait_alerts(srv, want=len(rel.SCANNERS))
    probs = rel.once(second)
    rel.ok(not probs and p.poll() is None and
           ('203.0.113.101', 'port_scan') in kinds(second),
           'SIGHUP took 203.0.113.101 off the allow-list: alerted once, nobody twice',
           probs + open(log).read().splitlines()[-5:])
    with open(conf, 'w') as f:
        f.write('[correlate]\nallow=not-a-network\n')
    p.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while time.time() < deadline and 'not reloaded' not in open(log).read():
        time.sleep(0.1)
    text = open(log).read()
    rel.ok(p.poll() is None and 'not reloaded' in text and 'not-a-network' in text,
           'SIGHUP with a broken file: one warning naming the value, rules kept, running',
           text.splitlines()[-3:])
    p.send_signal(signal.SIGTERM)
    rel.ok(p.wait(timeout=60) == 0, 'exits 0 after the reloads')


def test_user(srv):
    if os.getuid() != 0:
        print('ok 5 # SKIP --user needs root')
        rel.n += 1
        return
    p, port, log = start('redis://127.0.0.1:%d' % srv.port, 'user', None,
                         ['--user', 'nobody'])
    time.sleep(0.5)
    uid = [l.split()[1:] for l in open('/proc/%d/status' % p.pid) if l.startswith('Uid:')]
    rel.replay(port)
    alerts = rel.wait_alerts(srv, want=len(rel.SCANNERS) - 1)
    rel.ok(uid and set(uid[0]) == {'65534'} and len(alerts) >= len(rel.SCANNERS) - 1,
           '--user nobody: all uids 65534 after binding, scans still alerted',
           ['uid %s' % uid, '%d alerts' % len(alerts)] + open(log).read().splitlines()[-3:])
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)


def main():
    if subprocess.run(['which', 'redis-server'], capture_output=True).returncode:
        print('1..0 # SKIP redis-server not installed')
        return 0
    print('1..5')
    srv = rel.Server('hup')
    srv.start()
    usrv = rel.Server('user', tcp=True)
    usrv.start()
    try:
        test_hup(srv)
        test_user(usrv)
    finally:
        srv.kill()
        usrv.kill()
        subprocess.run(['rm', '-rf', rel.tmp])
    return 0


if __name__ == '__main__':
    sys.exit(main())
