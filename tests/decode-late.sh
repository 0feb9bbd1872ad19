#!/bin/sh
# Data sets that arrive before their templates (as after a collector or
# exporter restart), on real exporters' bytes from the corpus: given data
# then template, `scanflow decode` prints the same records as given
# template then data, and counts the held set (sets_decoded_late).
# Prints TAP.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
sf="${top_builddir:-.}/scanflow"
c="$top_srcdir/fixtures/corpus/logstash-codec-netflow/spec/codecs"
n=0
set -- \
    "IPFIX, VMware VDS" ipfix_test_vmware_vds_tpl.dat ipfix_test_vmware_vds_data266.dat \
    "NetFlow v9, nProbe" netflow9_test_nprobe_tpl.dat netflow9_test_nprobe_data.dat
echo "1..4"
while [ $# -ge 3 ]; do
    what=$1 tpl=$c/$2 data=$c/$3
    shift 3
    in_order=$("$sf" decode --format json "$tpl" "$data" | sed 's/"arrival_ms":[0-9]*,//' | sort)
    late=$("$sf" decode --format json "$data" "$tpl" | sed 's/"arrival_ms":[0-9]*,//' | sort)
    records=$(printf '%s\n' "$in_order" | grep -c '^{')
    n=$((n + 1))
    if [ "$records" -gt 0 ] && [ "$in_order" = "$late" ]; then
        echo "ok $n - $what: data before template gives the same $records records"
    else
        echo "not ok $n - $what: data before template: records differ ($records in order)"
    fi
    held=$("$sf" decode --format none --stats "$data" "$tpl" 2>&1 | awk '$1 == "sets_decoded_late" {print $2}')
    n=$((n + 1))
    if [ "${held:-0}" -ge 1 ]; then
        echo "ok $n - $what: the held set is counted (sets_decoded_late $held)"
    else
        echo "not ok $n - $what: sets_decoded_late not counted"
    fi
done
