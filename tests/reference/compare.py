#!/usr/bin/env python3
"""Compare scanflow's decode with Wireshark's cflow and sflow dissectors; TAP.

Wireshark (tshark) is an independent decoder of NetFlow v5, v9, IPFIX and
sFlow v5, written and tested apart from us, so where it decodes a record
from the same bytes scanflow must give the same flow.  For each replay group of
fixtures/corpus (groups.py) and each capture fixtures/exports/*.pcap
(and *.pcapng):

 1. the corpus files of a group are wrapped into one pcap
    (payloads_to_pcap.py); a fixture capture is used as it is;
 2. tshark dissects the pcap (`-T pdml`, single pass, like a live
    collector).  PDML keeps the record structure ("pdu i/N" for v5,
    "Flow N" for v9/IPFIX) and the `showname` that marks RFC 5103 reverse
    fields "(Reverse Type ...)", which the flat `-T fields` and `-T json`
    outputs lose;
 3. `scanflow decode --format json PCAP` decodes the same pcap;
 4. every flow record tshark decodes (one with a source or destination
    address; options records have none) must be matched by a distinct
    scanflow record with the same exporter (IP source of the packet),
    version, observation domain (v9 source id, IPFIX domain), addresses,
    ports, protocol, packets and bytes, as far as tshark gives them.
    Packets and bytes are compared strictly when tshark has the delta
    counters (v5 dPkts/dOctets, IE 2/1); when it only has totals (IE 86/85)
    or NSEL initiator counts (IE 298/231) scanflow may report that value or
    none.  A biflow whose reverse counters are non-zero also expects the
    reverse record (addresses and ports swapped, reverse counters);
 5. scanflow must exit 0, also on the deliberately malformed corpus files.
    On those (corpus README, groups.py) the README asks for "a clear,
    counted error or a correct decode", so their records, and records in
    which tshark itself reports a malformed field, are matched and shown
    but not required.  For the fixtures the record counts must be equal
    too (forward records plus the reverse halves with non-zero counters).
    Groups where tshark decodes no flow record pass with a diagnostic.

sFlow v5 (datagrams whose first 32-bit word is 5, dissected with
`-d udp.port==P,sflow`): every flow sample whose sampled header tshark
dissects down to an IPv4 or IPv6 header (or that carries a sampled
IPv4/IPv6 record) must be matched by a scanflow record with version 5000,
the agent address as exporter, sub_agent_id as observation domain, the same
addresses, protocol (IPv6: the last next header tshark walks to), ports,
TCP flags (low 9 bits), ICMP type and code, the sample's sampling rate as
sampling_interval, one packet, and the input and output interface where the
sample gives an ifIndex.  Samples without an IP header (counter samples,
drop samples, ARP) have no expectation, and the fixture count check holds
for sFlow too.  For telegraf's sFlow cases the flow samples of upstream's
expected.out are required as well (addresses, ports, protocol where
telegraf names a transport, sampling interval; telegraf's in_snmp/out_snmp
are not compared: they differ from the samples' interfaces, which tshark
and scanflow agree on).

Sampling interval of v9/IPFIX records: where an options record names a
sampler (FLOW_SAMPLER_ID 48 or selectorId 302) and its interval, every later
flow record of that exporter and domain naming that sampler, without an
interval of its own, must carry that interval (pmacctd's sampled exports).

Known limits of the reference, seen on the corpus: tshark 4.0 stops a v9
packet after the header's record count (netflow9_test_invalid01.dat says 2
and holds 7), stops a packet at a reduced-size IPv4 address field (H3C),
and prints no flow for records without address fields (Cisco WLC).

Environment: top_srcdir and top_builddir (exported by the automake test
harness; default: two folders up from this script), SCANFLOW (the binary;
default $top_builddir/scanflow), TSHARK (default: tshark on PATH),
REFERENCE_KEEP (a folder in which to keep the pcaps and tshark output).

Usage: compare.py [--list] [--tap] [GROUP-NAME-SUBSTRING...]
  --list  print the test names and exit
  --tap   exit 0 once the plan is complete (failures are in the TAP);
          without it the exit status is 1 when a test failed
"""

import glob
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True      # no __pycache__ in the source tree

import groups as corpus_groups  # noqa: E402
import payloads_to_pcap  # noqa: E402

CORPUS_PORT = payloads_to_pcap.COLLECTOR_PORT
# "Flow 3", "Flow 1 (https)" (Ixia application name), "pdu 2/30" (v5).
RECORD = re.compile(r"^(Flow \d+( \(.*\))?|pdu \d+/\d+)$")
REVERSE = "(Reverse Type"
EXPORT_VERSIONS = (b"\x00\x05", b"\x00\x09", b"\x00\x0a")
SFLOW_HEAD = b"\x00\x00\x00\x05"
SFLOW_VERSION = 5000        # scanflow's version of sFlow v5 records
MAX_DIAG = 5
TIMEOUT = 300

SRC = ("cflow.srcaddr", "cflow.srcaddrv6")
DST = ("cflow.dstaddr", "cflow.dstaddrv6")
# Strict counters first, then the ones scanflow may or may not map.
PACKETS = ("cflow.packets",)
PACKETS_ALT = ("cflow.permanent_packets", "cflow.initiator_packets")
BYTES = ("cflow.octets",)
BYTES_ALT = ("cflow.permanent_octets", "cflow.initiator_octets")
ABSENT = "absent"


def norm_addr(text):
    """Canonical text of an address, IPv4-mapped IPv6 as dotted quad."""
    try:
        a = ipaddress.ip_address(str(text).strip())
    except ValueError:
        return str(text)
    if a.version == 6 and a.ipv4_mapped is not None:
        a = a.ipv4_mapped
    return str(a)


def norm_int(text):
    text = str(text).strip()
    try:
        return int(text, 0)
    except ValueError:
        try:
            return int(float(text))
        except ValueError:
            return text


# --------------------------------------------------------------------------
# tshark side

class Expect:
    """One flow record as tshark decoded it: field -> acceptable values."""

    def __init__(self, where, want, malformed=False, reverse=False):
        self.where = where          # "frame 3 Flow 2"
        self.want = want            # field -> set of values (ABSENT allowed)
        self.malformed = malformed  # tshark flagged the record itself
        self.reverse = reverse      # expected reverse half of a biflow
        self.biflow = False         # forward half of a record with reverse
                                    # counters (zero or not)

    def accepts(self, rec):
        for field, values in self.want.items():
            if field in rec:
                if rec[field] not in values:
                    return False
            elif ABSENT not in values:
                return False
        return True

    def differences(self, rec):
        out = []
        for field, values in sorted(self.want.items()):
            got = rec.get(field, ABSENT)
            if got not in values:
                out.append("%s=%s (tshark %s)" % (field, got,
                                                  _fmt_values(values)))
        return out

    def key5(self):
        return tuple(tuple(sorted(map(str, self.want.get(f, ()))))
                     for f in ("src_addr", "dst_addr", "src_port",
                               "dst_port", "proto"))

    def __str__(self):
        kind = "reverse of " if self.reverse else ""
        return "%s%s: %s" % (kind, self.where, ", ".join(
            "%s=%s" % (f, _fmt_values(self.want[f]))
            for f in ("exporter", "version", "obs_domain", "src_addr",
                      "dst_addr", "src_port", "dst_port", "proto",
                      "tcp_flags", "icmp_type", "icmp_code", "packets",
                      "bytes", "in_if", "out_if", "sampling_interval")
            if f in self.want))


def _fmt_values(values):
    vals = sorted(values, key=str)
    return vals[0] if len(vals) == 1 else "{%s}" % "|".join(map(str, vals))


def _collect(record):
    """Forward and reverse cflow fields of one record element."""
    fwd, rev, malformed = {}, {}, False
    for el in record.iter():
        name = el.get("name", "")
        if name == "_ws.malformed" or name == "_ws.type_length.mismatch":
            malformed = True
        if not name.startswith("cflow."):
            continue
        show = el.get("show")
        if show is None:
            continue
        side = rev if REVERSE in el.get("showname", "") else fwd
        side.setdefault(name, []).append(show)
    return fwd, rev, malformed


def _values(fields, names, conv):
    out = set()
    for n in names:
        for v in fields.get(n, ()):
            out.add(conv(v))
    return out


def _counter(fields, strict, alt):
    """Acceptable values of a counter, or None when tshark has none."""
    vals = _values(fields, strict, norm_int)
    if vals:
        return vals
    vals = _values(fields, alt, norm_int)
    if vals:
        return vals | {ABSENT}
    return None


def _expectations(where, header, fwd, rev, malformed):
    src = _values(fwd, SRC, norm_addr)
    dst = _values(fwd, DST, norm_addr)
    if not src and not dst:
        return []           # options record or no addresses: not a flow
    want = dict(header)
    for field, vals in (("src_addr", src), ("dst_addr", dst),
                        ("src_port", _values(fwd, ("cflow.srcport",),
                                             norm_int)),
                        ("dst_port", _values(fwd, ("cflow.dstport",),
                                             norm_int)),
                        ("proto", _values(fwd, ("cflow.protocol",),
                                          norm_int)),
                        ("packets", _counter(fwd, PACKETS, PACKETS_ALT)),
                        ("bytes", _counter(fwd, BYTES, BYTES_ALT))):
        if vals:
            want[field] = vals
    out = [Expect(where, want, malformed)]
    rpk = _counter(rev, PACKETS, PACKETS_ALT)
    rby = _counter(rev, BYTES, BYTES_ALT)
    out[0].biflow = bool(rpk or rby)
    nonzero = any(isinstance(v, int) and v > 0
                  for v in (rpk or set()) | (rby or set()))
    if nonzero:
        back = dict(header)
        for a, b in (("src_addr", "dst_addr"), ("src_port", "dst_port")):
            if b in want:
                back[a] = want[b]
            if a in want:
                back[b] = want[a]
        if "proto" in want:
            back["proto"] = want["proto"]
        if rpk:
            back["packets"] = rpk
        if rby:
            back["bytes"] = rby
        out.append(Expect(where, back, malformed, reverse=True))
    return out


def _header(packet, cflow):
    hdr = {}
    for proto in packet.findall("proto"):
        if proto.get("name") in ("ip", "ipv6"):
            for f in proto.findall("field"):
                if f.get("name") in ("ip.src", "ipv6.src"):
                    hdr["exporter"] = {norm_addr(f.get("show"))}
    for f in cflow.findall("field"):
        name = f.get("name")
        if name == "cflow.version":
            hdr["version"] = {norm_int(f.get("show"))}
        elif name in ("cflow.od_id", "cflow.source_id"):
            hdr["obs_domain"] = {norm_int(f.get("show"))}
    return hdr


class TsharkResult:
    def __init__(self):
        self.expects = []
        self.packets = 0
        self.cflow_packets = 0
        self.malformed_packets = 0
        self.forward = 0
        self.samplers = {}          # see _sampler_options
        self.sampler_records = 0


def tshark_decode(tshark, pcap, ports, pdml, sflow_ports=()):
    """Dissect pcap with the cflow dissector on the given UDP ports (sflow
    on sflow_ports).

    The PDML goes to the file pdml and is read back one packet at a time:
    a capture of some thousands of export packets makes PDML of hundreds
    of megabytes, too much to hold as one tree."""
    cmd = [tshark, "-n", "-r", pcap]
    for p in sorted(ports):
        cmd += ["-d", "udp.port==%d,cflow" % p]
    for p in sorted(sflow_ports):
        cmd += ["-d", "udp.port==%d,sflow" % p]
    cmd += ["-T", "pdml"]
    env = dict(os.environ)
    cfg = tempfile.mkdtemp(prefix="sf-wsconf-")
    env["WIRESHARK_CONFIG_DIR"] = cfg       # no personal preferences
    try:
        with open(pdml, "wb") as out:
            proc = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE,
                                  env=env, timeout=TIMEOUT)
    finally:
        shutil.rmtree(cfg, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError("tshark exited %d: %s" % (
            proc.returncode, _last_line(proc.stderr)))
    res = TsharkResult()
    root = None
    for event, el in ET.iterparse(pdml, events=("start", "end")):
        if event == "start":
            if root is None:
                root = el
            continue
        if el.tag != "packet":
            continue
        res.packets += 1
        _packet(res, el, res.packets)
        root.clear()                        # drop the packets done
    return res


def _packet(res, packet, num):
    if any(p.get("name") == "_ws.malformed"
           for p in packet.findall("proto")):
        res.malformed_packets += 1
    for sflow in packet.findall("proto"):
        if sflow.get("name") == "sflow":
            res.cflow_packets += 1
            _sflow_packet(res, packet, sflow, num)
    for cflow in packet.findall("proto"):
        if cflow.get("name") != "cflow":
            continue
        res.cflow_packets += 1
        hdr = _header(packet, cflow)
        for where, rec in _records(cflow, "frame %d" % num):
            fwd, rev, bad = _collect(rec)
            exp = _expectations(where, hdr, fwd, rev, bad)
            if exp:
                res.forward += 1
                _sampler_expect(res, hdr, fwd, exp)
            else:
                _sampler_options(res, hdr, fwd)
            res.expects.extend(exp)


# Per exporter and domain, sampler id -> interval from options records
# that name a sampler (v9 FLOW_SAMPLER_ID 48 with 50 or 34; IPFIX
# selectorId 302 with 305/306 or 34).  A flow record that names an
# announced sampler and carries no interval of its own must come out of
# scanflow with that sampler's interval.
SAMPLER_ID = ("cflow.sampler_id", "cflow.selector_id")
OWN_INTERVAL = ("cflow.sampling_interval", "cflow.sampler_random_interval",
                "cflow.sampling_packet_interval")


def _sampler_key(hdr):
    return tuple(tuple(sorted(map(str, hdr.get(f, ()))))
                 for f in ("exporter", "version", "obs_domain"))


def _sampler_options(res, hdr, fwd):
    ids = _values(fwd, SAMPLER_ID, norm_int)
    interval = _values(fwd, OWN_INTERVAL[:2], norm_int)
    pint = _values(fwd, ("cflow.sampling_packet_interval",), norm_int)
    space = _values(fwd, ("cflow.sampling_packet_space",), norm_int)
    if not interval and len(pint) == 1 and len(space) == 1 and min(pint) > 0:
        interval = {(min(pint) + min(space)) // min(pint)}
    if len(ids) == 1 and len(interval) == 1 and min(interval) > 0:
        table = res.samplers.setdefault(_sampler_key(hdr), {})
        table[min(ids)] = min(interval)


def _sampler_expect(res, hdr, fwd, exp):
    ids = _values(fwd, SAMPLER_ID, norm_int)
    table = res.samplers.get(_sampler_key(hdr), {})
    if len(ids) != 1 or min(ids) not in table or \
            any(fwd.get(f) for f in OWN_INTERVAL):
        return
    for e in exp:
        e.want["sampling_interval"] = {table[min(ids)]}
    res.sampler_records += 1


# --------------------------------------------------------------------------
# tshark side, sFlow

def _first(el, names):
    """show of the first field (document order) named one of names."""
    for f in el.iter("field"):
        if f.get("name") in names:
            return f.get("show")
    return None


def _sflow_packet(res, packet, sflow, num):
    hdr = {"version": {SFLOW_VERSION}}
    for f in sflow.findall("field"):
        name = f.get("name")
        if name in ("sflow_245.agent", "sflow_245.agent.v6"):
            hdr["exporter"] = {norm_addr(f.get("show"))}
        elif name == "sflow_245.sub_agent_id":
            hdr["obs_domain"] = {norm_int(f.get("show"))}
    for sample in sflow.findall("field"):
        show = sample.get("show", "")
        if sample.get("name") != "" or not (
                show.startswith("Flow sample") or
                show.startswith("Expanded flow sample")):
            continue
        e = _sflow_sample("frame %d %s" % (num, show), hdr, sample)
        if e is not None:
            res.forward += 1
            res.expects.append(e)


def _sflow_interfaces(sample, want):
    inp = _first(sample, ("sflow.flow_sample.input_interface",))
    if inp is not None and norm_int(inp) < 0x3fffffff:
        want["in_if"] = {norm_int(inp)}
    fmt = _first(sample, ("sflow.flow_sample.output_interface_format",))
    val = _first(sample, ("sflow.flow_sample.output_interface_value",))
    if fmt is not None and norm_int(fmt) == 0 and val is not None \
            and norm_int(val) != 0x3fffffff:
        want["out_if"] = {norm_int(val)}


def _sflow_sample(where, hdr, sample):
    """Expectation of one flow sample, None if tshark finds no IP header."""
    want = dict(hdr)
    rate = _first(sample, ("sflow.flow_sample.sampling_rate",))
    if rate is not None:
        want["sampling_interval"] = {norm_int(rate)}
    want["packets"] = {1}
    _sflow_interfaces(sample, want)
    malformed = any(f.get("name") in ("_ws.malformed", "_ws.expert")
                    and "alformed" in f.get("showname", "") + f.get("show", "")
                    for f in sample.iter())
    header = None
    for f in sample.iter("field"):
        if f.get("name") == "sflow_245.header":
            header = f
            break
    if header is not None and _sflow_header(header, want):
        return Expect(where, want, malformed)
    src = _first(sample, ("sflow_245.ipv4_src", "sflow_245.ipv6_src"))
    dst = _first(sample, ("sflow_245.ipv4_dst", "sflow_245.ipv6_dst"))
    if src is None or dst is None:
        return None
    want["src_addr"] = {norm_addr(src)}
    want["dst_addr"] = {norm_addr(dst)}
    proto = _first(sample, ("sflow.ip_protocol",))
    if proto is not None:
        want["proto"] = {norm_int(proto)}
        if norm_int(proto) in (6, 17, 132):
            for field, name in (("src_port", "sflow_245.ip.source_port"),
                                ("dst_port", "sflow.ip.destination_port")):
                v = _first(sample, (name,))
                if v is not None:
                    want[field] = {norm_int(v)}
    return Expect(where, want, malformed)


def _proto_fields(proto):
    out = {}
    for f in proto.iter("field"):
        out.setdefault(f.get("name"), f.get("show"))
    return out


def _sflow_header(header, want):
    """Fills want from the dissected sampled header; False without IP."""
    protos = list(header.iter("proto"))
    ip = next((p for p in protos if p.get("name") in ("ip", "ipv6")), None)
    if ip is None:
        return False
    f = _proto_fields(ip)
    if ip.get("name") == "ip":
        src, dst, proto = f.get("ip.src"), f.get("ip.dst"), f.get("ip.proto")
    else:
        src, dst = f.get("ipv6.src"), f.get("ipv6.dst")
        nxt = [x.get("show") for x in ip.iter("field")
               if x.get("name", "").endswith(".nxt")
               or x.get("name") == "ipv6.nxt"]
        proto = nxt[-1] if nxt else None
    if src is None or dst is None:
        return False
    want["src_addr"] = {norm_addr(src)}
    want["dst_addr"] = {norm_addr(dst)}
    if proto is None:
        return True
    proto = norm_int(proto)
    want["proto"] = {proto}
    rest = protos[protos.index(ip) + 1:]
    l4name = {6: "tcp", 17: "udp", 132: "sctp", 1: "icmp",
              58: "icmpv6"}.get(proto)
    l4 = next((p for p in rest if p.get("name") == l4name), None)
    if l4 is None:
        return True
    f = _proto_fields(l4)
    if l4name in ("tcp", "udp", "sctp"):
        for field in ("srcport", "dstport"):
            v = f.get("%s.%s" % (l4name, field))
            if v is not None:
                want[field[:3] + "_port"] = {norm_int(v)}
        if l4name == "tcp" and f.get("tcp.flags") is not None:
            want["tcp_flags"] = {norm_int(f["tcp.flags"]) & 0x1ff}
    else:
        for field in ("type", "code"):
            v = f.get("%s.%s" % (l4name, field))
            if v is not None:
                want["icmp_" + field] = {norm_int(v)}
    return True


# --------------------------------------------------------------------------
# telegraf's expected output for its sFlow cases

TELEGRAF_PROTO = {"tcp": 6, "udp": 17, "icmp": 1, "ipv6-icmp": 58,
                  "sctp": 132}


def telegraf_sflow_expects(files):
    """Expectations from expected.out beside a telegraf sFlow case's files:
    its flow samples (lines with sampling_interval)."""
    if not files:
        return []
    path = os.path.join(os.path.dirname(files[0]), "expected.out")
    if "/sflow_" not in path or not os.path.exists(path):
        return []
    out = []
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if "sampling_interval=" not in line:
            continue
        fields = {}
        # tags, then fields: key=value pairs, no value here holds a comma
        for part in line.split(" ")[1].split(","):
            k, _, v = part.partition("=")
            fields[k] = v.strip('"').rstrip("u")
        want = {"version": {SFLOW_VERSION},
                "exporter": {norm_addr(fields["agent_ip"])},
                "src_addr": {norm_addr(fields["src"])},
                "dst_addr": {norm_addr(fields["dst"])},
                "sampling_interval": {int(fields["sampling_interval"])}}
        for k in ("src_port", "dst_port"):
            if k in fields:
                want[k] = {int(fields[k])}
        proto = TELEGRAF_PROTO.get(fields.get("protocol"))
        if proto is not None:
            want["proto"] = {proto}
        out.append(Expect("expected.out line %d" % n, want))
    return out


def _is_record(el):
    return el.get("name") == "" and RECORD.match(el.get("show", ""))


def _records(cflow, where):
    """(label, element) of each record: v5 records sit in the protocol
    tree, v9/IPFIX ones in a "FlowSet 2 [id=263] (7 flows)" subtree."""
    for child in cflow.findall("field"):
        if _is_record(child):
            yield "%s %s" % (where, child.get("show")), child
        elif child.get("name") == "":
            label = child.get("show", "").split("]")[0] + "]"
            for rec in child.iter("field"):
                if _is_record(rec):
                    yield "%s %s %s" % (where, label, rec.get("show")), rec


def export_ports(tshark, pcap):
    """UDP destination ports whose payloads look like flow export: NetFlow
    and IPFIX ports, sFlow ports."""
    proc = subprocess.run([tshark, "-n", "-r", pcap, "-Y", "udp",
                           "-T", "fields", "-e", "udp.dstport",
                           "-e", "udp.payload"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=TIMEOUT)
    ports, sflow = set(), set()
    for line in proc.stdout.decode("ascii", "replace").splitlines():
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].strip():
            continue
        payload = parts[1].replace(":", "")
        try:
            head = bytes.fromhex(payload[:8])
        except ValueError:
            continue
        if head[:4] == SFLOW_HEAD:
            sflow.add(int(parts[0].split(",")[0]))
        elif head[:2] in EXPORT_VERSIONS:
            ports.add(int(parts[0].split(",")[0]))
    return ports, sflow


# --------------------------------------------------------------------------
# scanflow side

class ScanflowResult:
    def __init__(self, rc, records, stderr, bad_lines):
        self.rc = rc
        self.records = records
        self.stderr = stderr
        self.bad_lines = bad_lines


def scanflow_decode(scanflow, files):
    proc = subprocess.run([scanflow, "decode", "--format", "json"] + files,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=TIMEOUT)
    records, bad = [], []
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            bad.append(line)
            continue
        if not isinstance(obj, dict):
            bad.append(line)
            continue
        rec = {}
        for k, v in obj.items():
            if k in ("exporter", "src_addr", "dst_addr"):
                rec[k] = norm_addr(v)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                rec[k] = int(v)
            else:
                rec[k] = v
        records.append(rec)
    return ScanflowResult(proc.returncode, records,
                          proc.stderr.decode("utf-8", "replace"), bad)


# --------------------------------------------------------------------------
# matching

def match(expects, records, nrequired=None):
    """Maximum matching of expectations to distinct records (Kuhn).

    The first nrequired expectations are matched first: an augmenting path
    never unmatches a matched expectation, so a record that is not required
    cannot take a scanflow record from one that is."""
    if nrequired is None:
        nrequired = len(expects)
    index = {}
    for i, r in enumerate(records):
        index.setdefault((r.get("src_addr"), r.get("dst_addr")), []).append(i)
    cands = []
    for e in expects:
        srcs = e.want.get("src_addr", {None})
        dsts = e.want.get("dst_addr", {None})
        if "src_addr" not in e.want or "dst_addr" not in e.want:
            pool = range(len(records))
        else:
            pool = [i for s in srcs for d in dsts
                    for i in index.get((s, d), ())]
        cands.append([i for i in pool if e.accepts(records[i])])
    owner = {}

    def augment(k, seen):
        for i in cands[k]:
            if i in seen:
                continue
            seen.add(i)
            if i not in owner or augment(owner[i], seen):
                owner[i] = k
                return True
        return False

    sys.setrecursionlimit(max(10000, 4 * len(expects) + 100))
    # Records with one candidate first: fewer augmenting searches.
    for k in sorted(range(len(expects)),
                    key=lambda k: (k >= nrequired, len(cands[k]))):
        augment(k, set())
    matched = set(owner.values())
    return [k for k in range(len(expects)) if k not in matched], owner


def closest(e, records):
    """The record most like e, to explain a mismatch."""
    best, best_n = None, None
    for r in records:
        n = len(e.differences(r))
        if best_n is None or n < best_n:
            best, best_n = r, n
    return best


# --------------------------------------------------------------------------
# one test

class Case:
    def __init__(self, name, files, pcap=None, ports=(CORPUS_PORT,),
                 fixture=False, malformed=False):
        self.name = name
        self.files = files
        self.pcap = pcap
        self.ports = set(ports)
        self.fixture = fixture
        self.malformed = malformed
        self.sflow_ports = set()


def run_case(case, tshark, scanflow, workdir):
    """Return (ok, reason, diagnostics)."""
    diag = []
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", case.name)
    pcap = case.pcap
    if pcap is None:
        pcap = os.path.join(workdir, safe + ".pcap")
        dgrams = payloads_to_pcap.files_to_datagrams(case.files)
        payloads_to_pcap.write_pcap(pcap, dgrams)
        if dgrams and all(d[:4] == SFLOW_HEAD for d in dgrams):
            case.sflow_ports, case.ports = case.ports, set()
    else:
        ports, sflow = export_ports(tshark, pcap)
        if ports or sflow:
            case.ports, case.sflow_ports = ports, sflow
    pdml = os.path.join(workdir, safe + ".pdml")
    try:
        ts = tshark_decode(tshark, pcap, case.ports, pdml, case.sflow_ports)
    finally:
        if not os.environ.get("REFERENCE_KEEP") and os.path.exists(pdml):
            os.unlink(pdml)
    # The README's malformed-on-purpose groups owe "a clear, counted error
    # or a correct decode": what scanflow matches is shown, not required.
    required = [e for e in ts.expects
                if not e.malformed and not case.malformed]
    upstream = telegraf_sflow_expects(case.files) if case.pcap is None \
        else []
    if upstream:
        diag.append("telegraf expected.out: %d flow samples" % len(upstream))
    soft = [e for e in ts.expects if e.malformed or case.malformed]
    nrev = sum(1 for e in ts.expects if e.reverse)
    diag.append("tshark: %d packets, %d records (%d reverse halves "
                "expected), %d with a malformed field%s" % (
                    ts.packets, ts.forward, nrev,
                    sum(1 for e in ts.expects if e.malformed),
                    ", %d packets malformed" % ts.malformed_packets
                    if ts.malformed_packets else ""))
    if ts.sampler_records:
        diag.append("tshark: %d records name an announced sampler "
                    "(their interval compared)" % ts.sampler_records)
    if case.malformed:
        diag.append("corpus README: malformed on purpose")
    if scanflow is None:
        return False, "scanflow binary not found (build it first; " \
            "or set SCANFLOW)", diag
    sf = scanflow_decode(scanflow, [pcap])
    diag.append("scanflow: exit %d, %d records" % (sf.rc, len(sf.records)))
    problems = []
    if sf.rc != 0:
        problems.append("scanflow exited %d" % sf.rc)
        for line in sf.stderr.strip().splitlines()[-MAX_DIAG:]:
            diag.append("stderr: " + line)
    if upstream:
        miss_up, _ = match(upstream, sf.records)
        if miss_up:
            problems.append("%d of %d expected.out flow samples without a "
                            "matching scanflow record" % (len(miss_up),
                                                          len(upstream)))
            for k in miss_up[:MAX_DIAG]:
                diag.append("telegraf " + str(upstream[k]))
    if sf.bad_lines:
        problems.append("%d output lines are not JSON objects"
                        % len(sf.bad_lines))
        for line in sf.bad_lines[:MAX_DIAG]:
            diag.append("not JSON: " + line[:200])
    missing, owner = match(required + soft, sf.records, len(required))
    miss_req = [required[k] for k in missing if k < len(required)]
    miss_soft = [soft[k - len(required)] for k in missing
                 if k >= len(required)]
    if soft:
        diag.append("records not required (malformed on purpose or in "
                    "tshark's eyes): %d, scanflow matches %d" % (len(soft),
                                           len(soft) - len(miss_soft)))
    if miss_req:
        problems.append("%d of %d tshark records without a matching "
                        "scanflow record" % (len(miss_req), len(required)))
        spare = [r for i, r in enumerate(sf.records) if i not in owner]
        for e in miss_req[:MAX_DIAG]:
            diag.append("tshark   " + str(e))
            near = closest(e, spare)
            if near is not None:
                diag.append("  nearest unmatched scanflow record differs "
                            "in: " + "; ".join(e.differences(near)))
            else:
                diag.append("  no scanflow record left unmatched")
    extra = len(sf.records) - len(owner)
    if extra:
        diag.append("scanflow records tshark has no flow record for: %d"
                    % extra)
    if case.fixture:
        fwd = ts.forward
        allowed = {fwd + nrev}
        allowed.add(fwd + sum(1 for e in ts.expects if e.biflow))
        if len(sf.records) not in allowed:
            problems.append("record count: scanflow %d, tshark %s" % (
                len(sf.records), " or ".join(map(str, sorted(allowed)))))
    if ts.forward == 0:
        diag.append("tshark decodes no flow record here")
    if problems:
        return False, "; ".join(problems), diag
    return True, "", diag


# --------------------------------------------------------------------------
# discovery

def top_dirs():
    here_top = os.path.normpath(os.path.join(HERE, os.pardir, os.pardir))
    src = os.environ.get("top_srcdir") or here_top
    build = os.environ.get("top_builddir") or src
    return os.path.abspath(src), os.path.abspath(build)


def find_scanflow(build):
    env = os.environ.get("SCANFLOW")
    if env:
        return env if os.access(env, os.X_OK) else None
    for cand in (os.path.join(build, "scanflow"),
                 os.path.join(build, "collector", "scanflow")):
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return None


def cases(src):
    out = []
    corpus = os.path.join(src, "fixtures", "corpus")
    if os.path.isdir(corpus):
        for g in corpus_groups.corpus_groups(corpus):
            out.append(Case(g.name, g.files, malformed=g.malformed))
    exports = os.path.join(src, "fixtures", "exports")
    for pcap in sorted(glob.glob(os.path.join(exports, "*.pcap")) +
                       glob.glob(os.path.join(exports, "*.pcapng"))):
        name = "exports/" + os.path.basename(pcap)
        out.append(Case(name, [pcap], pcap=pcap, fixture=True))
    return out


def _last_line(data):
    lines = [l for l in data.decode("utf-8", "replace").splitlines()
             if l.strip() and "Running as user" not in l]
    return lines[-1] if lines else ""


def main(argv):
    args = argv[1:]
    listing = "--list" in args
    tap = "--tap" in args
    args = [a for a in args if a not in ("--list", "--tap")]
    src, build = top_dirs()
    todo = [c for c in cases(src)
            if not args or any(a in c.name for a in args)]
    if listing:
        for c in todo:
            print(c.name)
        return 0
    tshark = os.environ.get("TSHARK") or shutil.which("tshark")
    if not tshark:
        print("1..0 # SKIP tshark not installed")
        return 0
    if not todo:
        print("1..0 # SKIP no corpus groups or export captures found")
        return 0
    scanflow = find_scanflow(build)
    keep = os.environ.get("REFERENCE_KEEP")
    workdir = keep or tempfile.mkdtemp(prefix="sf-reference-")
    os.makedirs(workdir, exist_ok=True)
    print("1..%d" % len(todo))
    if scanflow is None:
        print("# scanflow not found in %s (set SCANFLOW)" % build)
    failed = 0
    try:
        for n, case in enumerate(todo, 1):
            try:
                ok, reason, diag = run_case(case, tshark, scanflow, workdir)
            except Exception as exc:    # report, go on with the others
                ok, reason, diag = False, "%s: %s" % (
                    type(exc).__name__, exc), []
            if ok:
                print("ok %d - %s" % (n, case.name))
            else:
                failed += 1
                print("not ok %d - %s # %s" % (n, case.name, reason))
            for line in diag:
                print("# " + line)
            sys.stdout.flush()
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    # Under the TAP driver the "not ok" lines carry the failures; a
    # non-zero status would only add a second, vaguer ERROR.
    return 1 if failed and not tap else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
