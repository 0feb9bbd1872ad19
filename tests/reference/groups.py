#!/usr/bin/env python3
"""Replay groups for fixtures/corpus: which files one exporter sent, in order.

Templates and data of one exporter often sit in separate files, so a decoder
only sees the records if it reads the files of one exporter in one pass,
template files first.  The rules are those of fixtures/corpus/README.md:

  logstash-codec-netflow/spec/codecs/*.dat
      Files that share a name up to `_tpl`, `_opttpl`, `_tplopt`, `_tpls`,
      `_data` or `_tpldata` belong to one exporter.  Within a group:
      options-template files (`_opttpl`, `_tplopt`, `_tpls`) first, then
      plain template files (`_tpl`), then files holding both (`_tpldata`,
      `_tpl_data`), then data files; file-name order within each rank.
      Options first matches the upstream spec's order for YAF
      (`ipfix_test_yaf_tpls_option_tpl.dat` before `..._tpl45841.dat`) and
      puts sampling options ahead of the flows they apply to.
  telegraf/plugins/inputs/netflow/testcases/<case>/*.bin
      One case is one group, in file-name order (as telegraf's test sends).
  ipfixcol2/doc/data/ipfix/example_flows.ipfix
      One group on its own.

Each group also says whether the README lists it as malformed on purpose,
so a failure to decode there is expected and only a crash is a bug.

Run it to print the groups for review:
    groups.py [CORPUS_DIR]
"""

import os
import re
import sys

LOGSTASH = "logstash-codec-netflow/spec/codecs"
TELEGRAF = "telegraf/plugins/inputs/netflow/testcases"
IPFIXCOL2 = "ipfixcol2/doc/data/ipfix/example_flows.ipfix"

# The first marker in the name ends the exporter's part of it.
MARKER = re.compile(r"_(opttpl|tplopt|tpls|tpl_data|tpldata|tpl|data)")

# README, "Deliberate edge cases".
MALFORMED = (
    re.compile(r"_invalid"),
    re.compile(r"^netflow9_test_iptnetflow_reduced_size_encoding"),
    re.compile(r"^netflow9_test_h3c"),
    re.compile(r"^netflow9_test_nprobe_dpi"),
    re.compile(r"^netflow9_test_paloalto_81_data257_1flowset_in_large_zero"),
    re.compile(r"^netflow9_test_0length_fields"),
)


class Group:
    """Files one exporter sent, in replay order."""

    def __init__(self, name, files, malformed=False):
        self.name = name
        self.files = files          # absolute paths, replay order
        self.malformed = malformed

    def __repr__(self):
        return "Group(%r, %d files)" % (self.name, len(self.files))


def _rank(stem, key):
    """Replay rank of one logstash file within its group."""
    rest = stem[len(key):]
    if re.match(r"_(opttpl|tplopt|tpls)", rest):
        return 0
    if re.match(r"_(tpldata|tpl_data)", rest):
        return 2
    if rest.startswith("_tpl"):
        return 1
    return 3        # _data, or no marker at all


def _logstash_groups(corpus):
    folder = os.path.join(corpus, LOGSTASH)
    by_key = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".dat"):
            continue
        stem = name[:-len(".dat")]
        m = MARKER.search(stem)
        key = stem[:m.start()] if m else stem
        by_key.setdefault(key, []).append(stem)
    groups = []
    for key in sorted(by_key):
        stems = sorted(by_key[key], key=lambda s: (_rank(s, key), s))
        files = [os.path.join(folder, s + ".dat") for s in stems]
        bad = any(p.search(s) for p in MALFORMED for s in stems)
        groups.append(Group("logstash/" + key, files, bad))
    return groups


def _telegraf_groups(corpus):
    folder = os.path.join(corpus, TELEGRAF)
    groups = []
    for case in sorted(os.listdir(folder)):
        path = os.path.join(folder, case)
        if not os.path.isdir(path):
            continue
        bins = sorted(n for n in os.listdir(path) if n.endswith(".bin"))
        if bins:
            groups.append(Group("telegraf/" + case,
                                [os.path.join(path, n) for n in bins]))
    return groups


def corpus_groups(corpus):
    """All replay groups of the corpus folder, in a stable order."""
    groups = _logstash_groups(corpus) + _telegraf_groups(corpus)
    path = os.path.join(corpus, IPFIXCOL2)
    if os.path.exists(path):
        groups.append(Group("ipfixcol2/example_flows", [path]))
    return groups


def default_corpus():
    top = os.environ.get("top_srcdir")
    if not top:
        top = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           os.pardir, os.pardir)
    return os.path.join(top, "fixtures", "corpus")


def main(argv):
    corpus = argv[1] if len(argv) > 1 else default_corpus()
    groups = corpus_groups(corpus)
    nfiles = 0
    for g in groups:
        flag = "  (malformed on purpose)" if g.malformed else ""
        print("%s%s" % (g.name, flag))
        for f in g.files:
            print("    " + os.path.relpath(f, corpus))
        nfiles += len(g.files)
    print("%d groups, %d files" % (len(groups), nfiles))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
