"""Real scanners' traffic, exported by softflowd and pmacctd (v5, v9, IPFIX,
sFlow v5), replayed over UDP to a running scanflowd with a real redis-server: every
scanner in fixtures/scenarios.tsv is alerted once with the right kind, no
benign source is alerted, for every exporter and version.  Then three
scanflowd on one Redis, fed disjoint thirds of the export packets (packets
carrying templates go to all three), give exactly one alert per (source,
kind).  Prints TAP."""
import glob, json, os, re, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
import sfredis

top = sfredis.TOP
build = sfredis.BUILD
fixtures = os.path.join(top, 'fixtures')
tmp = tempfile.mkdtemp(prefix='sf-e2e.')

try:
    import jsonschema
    schema = json.load(open(os.path.join(top, 'schemas', 'alert.schema.json')))
    validator = jsonschema.Draft202012Validator(schema)
except ImportError:
    validator = None


scenarios = sfredis.scenarios
home_args = sfredis.home_args
expected = sfredis.expected


def replay(path, port, extra=()):
    subprocess.run([os.path.join(build, 'scanflow'), 'replay', path, '127.0.0.1:%d' % port,
                    '--rate', '20000', '--quiet'] + list(extra), check=True)


# What an exporter cannot show, measured on its export with tshark: the
# scanner is then neither required nor forbidden to alert.
EXPORTER_LIMITS = {
    ('softflowd-ipfix-biflow', 'nmap-ping-sweep'):
        'softflowd -b exports ICMP type 0 in both halves of an echo-request '
        'biflow (tshark: "ICMP Type: 0x0000 (Reverse Type 32)"), so its ping '
        'sweep looks like echo replies; nmap -sn\'s TCP probes reached 14 hosts',
}


# Captures of packet-sampled exports (sampling_rate > 1 in their manifest
# row) are e2e/sampling_e2e.py's: sfredis.unsampled_exports() leaves them
# out.


def limits(path):
    stem = os.path.basename(path).rsplit('.', 1)[0]
    return {tool: why for (exp, tool), why in EXPORTER_LIMITS.items() if exp == stem}


def check_alerts(alerts, want, ignore=()):
    problems = []
    got = [(a['src'], a['kind']) for a in alerts if a['src'] not in ignore]
    for key in sorted(want):
        n = got.count(key)
        if n != 1:
            problems.append('%s %s alerted %d times, want 1' % (key[0], key[1], n))
    for key in sorted(set(got) - want):
        problems.append('unexpected alert %s %s' % key)
    if validator:
        for a in alerts:
            errs = list(validator.iter_errors(a))
            if errs:
                problems.append('alert fails schema: %s' % errs[0].message)
    return problems


def run_one(path, rows, args, n_collectors=1):
    r = sfredis.Redis()
    daemons = []
    try:
        ports = []
        for i in range(n_collectors):
            port = sfredis.free_port()
            log = os.path.join(tmp, 'd%d.log' % i)
            daemons.append(sfredis.start_daemon(build, port, r.url,
                                                args + ['--name', 'c%d' % i], log))
            ports.append(port)
        if n_collectors == 1:
            replay(path, ports[0])
        else:
            parts = split_thirds(path, n_collectors)
            for part, port in zip(parts, ports):
                replay(part, port)
        time.sleep(3.0)        # flush interval + Redis round trips
        return sfredis.stream_alerts(r)
    finally:
        for d in daemons:
            d.terminate()
            d.wait()
        r.stop()


def split_thirds(path, n):
    """Writes n captures: data packets dealt round-robin, packets that carry
    templates (v9 flowsets 0/1, IPFIX sets 2/3) sent to all."""
    import struct
    data = open(path, 'rb').read()
    hdr, body = data[:24], data[24:]
    outs = [bytearray(hdr) for _ in range(n)]
    i = k = 0
    while i + 16 <= len(body):
        incl = struct.unpack('<I', body[i + 8:i + 12])[0]
        rec = body[i:i + 16 + incl]
        i += 16 + incl
        payload = udp_payload(rec[16:])
        if payload is not None and carries_template(payload):
            for o in outs:
                o += rec
        else:
            outs[k % n] += rec
            k += 1
    names = []
    for j, o in enumerate(outs):
        name = os.path.join(tmp, 'part%d.pcap' % j)
        open(name, 'wb').write(o)
        names.append(name)
    return names


def udp_payload(frame):
    import struct
    # Ethernet or Linux cooked: find the IPv4 header by its version nibble
    for off in (14, 16, 0, 4):
        if len(frame) > off + 20 and frame[off] >> 4 == 4 and frame[off + 9] == 17:
            ihl = (frame[off] & 15) * 4
            return frame[off + ihl + 8:]
    return None


def carries_template(p):
    import struct
    if len(p) < 4:
        return False
    v = struct.unpack('!H', p[:2])[0]
    off = 20 if v == 9 else 16 if v == 10 else None
    if off is None:
        return False
    while off + 4 <= len(p):
        sid, slen = struct.unpack('!HH', p[off:off + 4])
        if (v == 9 and sid in (0, 1)) or (v == 10 and sid in (2, 3)):
            return True
        if slen < 4:
            break
        off += slen
    return False


def main():
    for tool in ('redis-server',):
        if subprocess.run(['which', tool], capture_output=True).returncode:
            print('1..0 # SKIP %s not installed' % tool)
            return 0
    exports = sfredis.unsampled_exports()
    if not exports or not os.path.exists(os.path.join(fixtures, 'scenarios.tsv')):
        print('1..0 # SKIP no export fixtures')
        return 0
    rows = scenarios()
    args = home_args(rows) + ['--flush-interval', '0.5']
    tests = [(p, 1) for p in exports]
    multi = [p for p in exports if 'ipfix' in os.path.basename(p) and 'biflow' not in p][:1] + \
            [p for p in exports if 'v9' in os.path.basename(p)][:1]
    tests += [(p, 3) for p in multi]
    print('1..%d' % len(tests))
    failed = 0
    for n, (path, collectors) in enumerate(tests, 1):
        name = os.path.basename(path) + (' (%d collectors, thirds)' % collectors if collectors > 1 else '')
        v5 = '-v5' in os.path.basename(path)
        lim = limits(path)
        ignore = {r['src'] for r in rows if r['tool'] in lim}
        alerts = run_one(path, rows, args, collectors)
        problems = check_alerts(alerts, expected(rows, v5, lim), ignore)
        if problems:
            failed += 1
            print('not ok %d - %s' % (n, name))
            for p in problems[:15]:
                print('# ' + p)
        else:
            print('ok %d - %s: %d alerts' % (n, name, len(alerts)))
        for tool, why in lim.items():
            print('# not required (%s): %s' % (tool, why))
    subprocess.run(['rm', '-rf', tmp])
    return 0


if __name__ == '__main__':
    sys.exit(main())
