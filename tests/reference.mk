# tests/reference: scanflow's decode compared with Wireshark's (tshark) on
# the corpus and the export captures.  Included from tests/local.mk.
TESTS += tests/tshark-reference.sh
EXTRA_DIST += \
	tests/tshark-reference.sh \
	tests/reference/payloads_to_pcap.py \
	tests/reference/groups.py \
	tests/reference/compare.py
