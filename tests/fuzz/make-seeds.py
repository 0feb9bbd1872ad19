#!/usr/bin/env python3
"""make-seeds.py CORPUS_DIR OUT_DIR [EXPORTS_DIR] - fuzz seeds from real
exporters' bytes.

Reads the raw payload files of fixtures/corpus (one message or several back
to back), splits them into messages (v5 by its count, IPFIX by its length
field, NetFlow v9 and sFlow are the rest of the file) and writes them in the
framing of tests/fuzz/fuzz-common.h ([length:2][message] ...) to OUT_DIR/v5,
OUT_DIR/v9, OUT_DIR/ipfix and OUT_DIR/sflow by version. From EXPORTS_DIR
(fixtures/exports) the first sFlow datagrams of each classic pcap capture
become sFlow seeds too (one datagram a seed, and one seed of several), as
the corpus holds few flow samples. Files of one exporter (same name up to
_tpl, _opttpl, _data ..., or one telegraf test case) go into one seed,
templates first, so that data sets meet their templates. Seeds are build
products, not committed.
"""
import hashlib
import os
import re
import struct
import sys

MAX_SEED = 60000
GROUP_RE = re.compile(r'_(tpl|opttpl|tplopt|tpls|data|tpldata|tpl_data)([_0-9x-].*)?$')


SFLOW = 5000                # key of sFlow messages (first 32-bit word 5)
PCAP_SEEDS = 8              # sFlow datagrams taken from each capture


def messages(blob):
    """Splits a raw payload file into messages, as `scanflow decode` does."""
    out = []
    if blob[:4] == b'\0\0\0\x05':
        return [blob]
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


def pcap_sflow(path, limit):
    """First sFlow UDP payloads of a classic pcap of Ethernet/IPv4 frames."""
    with open(path, 'rb') as fh:
        data = fh.read()
    if len(data) < 24 or data[:4] not in (b'\xd4\xc3\xb2\xa1', b'\xa1\xb2\xc3\xd4'):
        return []
    end = '<' if data[:4] == b'\xd4\xc3\xb2\xa1' else '>'
    if struct.unpack(end + 'I', data[20:24])[0] != 1:
        return []
    out, pos = [], 24
    while pos + 16 <= len(data) and len(out) < limit:
        caplen = struct.unpack(end + 'I', data[pos + 8:pos + 12])[0]
        frame = data[pos + 16:pos + 16 + caplen]
        pos += 16 + caplen
        if len(frame) < 42 or frame[12:14] != b'\x08\x00' or frame[23] != 17:
            continue
        ihl = (frame[14] & 15) * 4
        payload = frame[14 + ihl + 8:]
        if payload[:4] == b'\0\0\0\x05' and len(payload) <= 0xffff:
            out.append(payload)
    return out


def sflow_seeds(exports, out):
    written = 0
    for name in sorted(os.listdir(exports)):
        if not name.endswith('.pcap'):
            continue
        dgrams = pcap_sflow(os.path.join(exports, name), PCAP_SEEDS)
        seeds = [struct.pack('>H', len(d)) + d for d in dgrams]
        if dgrams:
            seeds.append(b''.join(seeds)[:MAX_SEED])
        for s in seeds:
            h = hashlib.sha1(s).hexdigest()[:16]
            with open(os.path.join(out, 'sflow', h), 'wb') as fh:
                fh.write(s)
            written += 1
    return written


def main():
    corpus, out = sys.argv[1], sys.argv[2]
    names = {5: 'v5', 9: 'v9', 10: 'ipfix', SFLOW: 'sflow'}
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
                    if m[:4] == b'\0\0\0\x05':
                        v = SFLOW
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
    if len(sys.argv) > 3 and os.path.isdir(sys.argv[3]):
        written += sflow_seeds(sys.argv[3], out)
    print('%d seeds from %d groups in %s' % (written, len(groups), out))


if __name__ == '__main__':
    main()
