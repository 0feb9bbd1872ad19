#!/usr/bin/env python3
"""Example SOAR worker for scanflow alerts: python3, standard library only.

Reads the alert stream (default scanflow:alerts, field "alert", see
alert.schema.json next to this file) through a consumer group, so that
every alert reaches one worker of the group, stays pending until the worker
acknowledges it, and moves to another worker if this one dies:

  XGROUP CREATE ... MKSTREAM      once (BUSYGROUP: it exists already)
  XAUTOCLAIM ... MIN-IDLE 0-0     alerts another worker left pending
  XREADGROUP ... BLOCK ... '>'    new alerts
  XACK                            only after handle() succeeded

Replace handle() with the playbook (open a ticket, block at the firewall,
enrich with asset data).  An alert whose handling raised stays pending and
is retried after --min-idle milliseconds by whichever worker claims it.

  python3 schemas/consumer-example.py --redis redis://127.0.0.1:6379/0 \\
      --group soar --consumer worker-1 [--stream scanflow:alerts] [--once]
"""
import argparse
import json
import os
import socket
import sys
import urllib.parse


class Redis:
    """The smallest RESP2 client that this worker needs."""

    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        if u.scheme == 'unix':
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.connect(u.path)
            db = urllib.parse.parse_qs(u.query).get('db', ['0'])[0]
        elif u.scheme == 'redis':
            self.sock = socket.create_connection((u.hostname or '127.0.0.1', u.port or 6379))
            db = u.path.strip('/') or '0'
        else:
            raise SystemExit('consumer: --redis must be redis://... or unix:///path')
        self.buf = self.sock.makefile('rb')
        password = u.password or os.environ.get('SCANFLOW_REDIS_PASSWORD')
        if password:
            self.call('AUTH', *([u.username] if u.username else []), password)
        if db != '0':
            self.call('SELECT', db)

    def call(self, *args):
        out = [b'*%d\r\n' % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b'$%d\r\n%s\r\n' % (len(a), a))
        self.sock.sendall(b''.join(out))
        return self.reply()

    def reply(self):
        line = self.buf.readline()
        if not line:
            raise ConnectionError('redis closed the connection')
        kind, rest = line[:1], line[1:-2]
        if kind == b'+':
            return rest.decode()
        if kind == b'-':
            raise RuntimeError(rest.decode())
        if kind == b':':
            return int(rest)
        if kind == b'$':
            n = int(rest)
            return None if n < 0 else self.buf.read(n + 2)[:-2].decode()
        if kind == b'*':
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RuntimeError('unexpected reply %r' % line)


def handle(alert):
    """The playbook.  Raise to leave the alert pending (it will be retried)."""
    print('%s %-10s %-39s %s ports=%s hosts=%s top=%s tags=%s' % (
        alert['time'], alert['kind'], alert['src'], alert['technique'],
        alert['distinct_ports'], alert['distinct_hosts'], alert['top_net24'],
        ','.join(alert['tags']) or '-'), flush=True)


def process(r, args, entries):
    """Handles and acknowledges [id, [field, value, ...]] entries."""
    for entry_id, fields in entries or []:
        if fields is None:          # trimmed from the stream meanwhile
            r.call('XACK', args.stream, args.group, entry_id)
            continue
        values = dict(zip(fields[::2], fields[1::2]))
        try:
            handle(json.loads(values['alert']))
        except Exception as e:      # noqa: BLE001 - any failure leaves it pending
            print('consumer: %s: %s (left pending)' % (entry_id, e), file=sys.stderr)
            continue
        r.call('XACK', args.stream, args.group, entry_id)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--redis', default=os.environ.get('SCANFLOW_REDIS', 'redis://127.0.0.1:6379/0'))
    p.add_argument('--stream', default='scanflow:alerts')
    p.add_argument('--group', default='soar')
    p.add_argument('--consumer', default=socket.gethostname())
    p.add_argument('--min-idle', type=int, default=60000,
                   help='claim alerts pending this long (ms) in other workers')
    p.add_argument('--start', default='$', help="where a new group starts: $ (new alerts) or 0 (all)")
    p.add_argument('--once', action='store_true', help='one pass, for tests and cron')
    args = p.parse_args()

    r = Redis(args.redis)
    try:
        r.call('XGROUP', 'CREATE', args.stream, args.group, args.start, 'MKSTREAM')
    except RuntimeError as e:
        if 'BUSYGROUP' not in str(e):
            raise
    while True:
        # Alerts a dead worker (or this one, before a restart) left pending.
        cursor = '0-0'
        while True:
            reply = r.call('XAUTOCLAIM', args.stream, args.group, args.consumer,
                           args.min_idle, cursor, 'COUNT', 100)
            cursor, claimed = reply[0], reply[1]
            process(r, args, claimed)
            if cursor == '0-0':
                break
        reply = r.call('XREADGROUP', 'GROUP', args.group, args.consumer, 'COUNT', 100,
                       'BLOCK', 1000 if args.once else 5000, 'STREAMS', args.stream, '>')
        for _stream, entries in reply or []:
            process(r, args, entries)
        if args.once:
            return


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
