#!/usr/bin/env python3
"""make-seeds.py CORPUS_DIR OUT_DIR - fuzz seeds from real exporters' bytes.

Reads the raw payload files of fixtures/corpus (one message or several back
to back), splits them into messages (v5 by its count, IPFIX by its length
field, NetFlow v9 is the rest of the file) and writes them in the framing of
tests/fuzz/fuzz-common.h ([length:2][message] ...) to OUT_DIR/v5, OUT_DIR/v9
and OUT_DIR/ipfix by version.  Files of one exporter (same name up to _tpl,
_opttpl, _data ..., or one telegraf test case) go into one seed, templates
first, so that data sets meet their templates.  Seeds are build products,
not committed.
"""
import hashlib
import os
import re
import struct
import sys

MAX_SEED = 60000
GROUP_RE = re.compile(r'_(tpl|opttpl|tplopt|tpls|data|tpldata|tpl_data)([_0-9x-].*)?$')


def messages(blob):
    """Splits a raw payload file into messages, as `scanflow decode` does."""
    out = []
    while len(blob) >= 2:
        version = struct.unpack('>H', blob[:2])[0]
        n = len(blob)
        if version == 5 and len(blob) >= 24:
            count = struct.unpack('>H', blob[2:4])[0]
            need = 24 + 48 * count
            if 0 < count <= 30 and need <= len(blob):
                n = need
        elif version == 10 and len(blob) >= 16:
            length = struct.unpack('>H', blob[2:4])[0]
            if 16 <= length <= len(blob):
                n = length
        out.append(blob[:n])
        blob = blob[n:]
    return out


def group_key(path):
    d, name = os.path.split(path)
    if 'testcases' in d:
        return d
    stem = os.path.splitext(name)[0]
    return os.path.join(d, GROUP_RE.sub('', stem))


def order(path):
    name = os.path.basename(path)
    return (0 if 'tpl' in name and 'data' not in name else 1, name)


def main():
    corpus, out = sys.argv[1], sys.argv[2]
    names = {5: 'v5', 9: 'v9', 10: 'ipfix'}
    for v in names.values():
        os.makedirs(os.path.join(out, v), exist_ok=True)
    groups = {}
    for root, _, files in os.walk(corpus):
        for f in files:
            if f.endswith(('.dat', '.bin', '.ipfix')):
                p = os.path.join(root, f)
                groups.setdefault(group_key(p), []).append(p)
    written = 0
    for key in sorted(groups):
        seeds = {}
        for path in sorted(groups[key], key=order):
            with open(path, 'rb') as fh:
                for m in messages(fh.read()):
                    v = struct.unpack('>H', m[:2])[0]
                    if v not in names or len(m) > 0xffff:
                        continue
                    s = seeds.setdefault(v, bytearray())
                    if len(s) + 2 + len(m) <= MAX_SEED:
                        s += struct.pack('>H', len(m)) + m
        for v, s in seeds.items():
            h = hashlib.sha1(s).hexdigest()[:16]
            with open(os.path.join(out, names[v], h), 'wb') as fh:
                fh.write(s)
            written += 1
    print('%d seeds from %d groups in %s' % (written, len(groups), out))


if __name__ == '__main__':
    main()
