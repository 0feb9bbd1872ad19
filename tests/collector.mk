# tests/collector.mk: unit tests of the collector library, one program per
# module (tests/collector/, map in tests/README.md), the replay of every
# input the fuzzers ever crashed on, and a decode of a late template.
# Included from tests/local.mk.  The fuzz targets themselves build with
# clang in tests/fuzz.mk (`make fuzz`); here the same target functions are
# linked with tests/fuzz/replay-main.c by the ordinary compiler, so
# `make check` replays fixtures/fuzz-crashes/ without libFuzzer.
SF_COLLECTOR_TESTS = tests/collector/test-addr tests/collector/test-v5 \
	tests/collector/test-sanitize tests/collector/test-fbdecode \
	tests/collector/test-decoder tests/collector/test-source \
	tests/collector/test-listener tests/collector/test-tcp \
	tests/collector/test-sflow tests/collector/test-samplers \
	tests/collector/test-nfdumpcsv
check_PROGRAMS += $(SF_COLLECTOR_TESTS) \
	tests/fuzz/replay-v5 tests/fuzz/replay-v9 tests/fuzz/replay-ipfix \
	tests/fuzz/replay-sflow
TESTS += $(SF_COLLECTOR_TESTS) tests/fuzz-replay.sh tests/decode-late.sh

SF_WIRE = tests/collector/wire.h
tests_collector_test_addr_SOURCES = tests/collector/test-addr.c
tests_collector_test_addr_LDADD = collector/libcollector.a $(SF_LIBS)
tests_collector_test_v5_SOURCES = tests/collector/test-v5.c $(SF_WIRE)
tests_collector_test_v5_LDADD = collector/libcollector.a $(SF_LIBS)
tests_collector_test_sanitize_SOURCES = tests/collector/test-sanitize.c $(SF_WIRE)
tests_collector_test_sanitize_LDADD = collector/libcollector.a $(SF_LIBS)
tests_collector_test_fbdecode_SOURCES = tests/collector/test-fbdecode.c $(SF_WIRE)
tests_collector_test_fbdecode_LDADD = collector/libcollector.a $(SF_LIBS)
tests_collector_test_decoder_SOURCES = tests/collector/test-decoder.c $(SF_WIRE)
tests_collector_test_decoder_LDADD = collector/libcollector.a $(SF_LIBS)
tests_collector_test_nfdumpcsv_SOURCES = tests/collector/test-nfdumpcsv.c
tests_collector_test_nfdumpcsv_LDADD = collector/libcollector.a $(SF_LIBS)
tests_collector_test_source_SOURCES = tests/collector/test-source.c
tests_collector_test_source_LDADD = collector/libcollector.a $(SF_LIBS)
tests_collector_test_tcp_SOURCES = tests/collector/test-tcp.c
tests_collector_test_tcp_LDADD = collector/libcollector.a $(SF_LIBS)
tests_collector_test_listener_SOURCES = tests/collector/test-listener.c
tests_collector_test_listener_LDADD = collector/libcollector.a $(SF_LIBS)
tests_collector_test_sflow_SOURCES = tests/collector/test-sflow.c
tests_collector_test_sflow_LDADD = collector/libcollector.a $(SF_LIBS)
tests_collector_test_samplers_SOURCES = tests/collector/test-samplers.c $(SF_WIRE)
tests_collector_test_samplers_LDADD = collector/libcollector.a $(SF_LIBS)

SF_FUZZ_COMMON = tests/fuzz/fuzz-common.h tests/fuzz/replay-main.c
tests_fuzz_replay_v5_SOURCES = tests/fuzz/fuzz-v5.c $(SF_FUZZ_COMMON)
tests_fuzz_replay_v5_LDADD = collector/libcollector.a $(SF_LIBS)
tests_fuzz_replay_v9_SOURCES = tests/fuzz/fuzz-v9.c $(SF_FUZZ_COMMON)
tests_fuzz_replay_v9_LDADD = collector/libcollector.a $(SF_LIBS)
tests_fuzz_replay_ipfix_SOURCES = tests/fuzz/fuzz-ipfix.c $(SF_FUZZ_COMMON)
tests_fuzz_replay_ipfix_LDADD = collector/libcollector.a $(SF_LIBS)
tests_fuzz_replay_sflow_SOURCES = tests/fuzz/fuzz-sflow.c $(SF_FUZZ_COMMON)
tests_fuzz_replay_sflow_LDADD = collector/libcollector.a $(SF_LIBS)

EXTRA_DIST += tests/decode-late.sh tests/fuzz-replay.sh tests/fuzz/run.sh tests/fuzz/make-seeds.py \
	fixtures/fuzz-crashes
