#!/bin/sh
# sampling-schema.sh - schemas/alert.schema.json after the sampling
# additions: an alert as scanflow.alert/1 consumers knew it still
# validates, one with sampling_interval validates only with estimated and
# the observed counts, and the additions are optional.  TAP.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 not installed"; exit 0; }
python3 -c 'import jsonschema' 2>/dev/null || { echo "1..0 # SKIP python3-jsonschema not installed"; exit 0; }
exec python3 - "$top_srcdir/schemas/alert.schema.json" <<'PY'
import copy, json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])),
                                    format_checker=jsonschema.FormatChecker())
base = {"schema": "scanflow.alert/1", "id": "00000000-0000-4000-8000-000000000001",
        "time": "2026-01-01T00:00:00.000Z", "kind": "port_scan", "src": "203.0.113.1",
        "technique": "T1595", "severity": "low", "window_s": 300, "distinct_ports": 100,
        "distinct_hosts": 1, "distinct_nets24": 1, "top_net24": "198.18.1.0/24",
        "hosts_in_top_net24": 1, "flows": 10, "first_seen": "2026-01-01T00:00:00.000Z",
        "last_seen": "2026-01-01T00:00:01.000Z", "sample_ports": [22],
        "sample_hosts": ["198.18.1.1"], "exporters": ["192.0.2.1"], "collector": "c1",
        "tags": []}
sampled = dict(base, sampling_interval=10, estimated=True, observed_ports=10,
               observed_hosts=1, observed_hosts_in_top_net24=1)
cases = [("an unsampled alert (scanflow.alert/1 as before) validates", base, True),
         ("a sampled alert validates", sampled, True)]
for k in ("estimated", "observed_ports", "observed_hosts", "observed_hosts_in_top_net24"):
    bad = copy.deepcopy(sampled); del bad[k]
    cases.append(("sampling_interval without %s is refused" % k, bad, False))
cases.append(("estimated without sampling_interval is refused",
              dict(base, estimated=True), False))
cases.append(("estimated: false is refused", dict(sampled, estimated=False), False))
print("1..%d" % len(cases))
for i, (what, doc, want) in enumerate(cases, 1):
    errs = list(v.iter_errors(doc))
    print("%sok %d - %s" % ("" if (not errs) == want else "not ", i, what))
    if (not errs) != want:
        print("# %s" % (errs[0].message if errs else "validated"))
PY
