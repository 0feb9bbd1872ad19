# tests/decoder.mk: the decoder's hostile-input tests (issue 2) and the
# replay of every input the fuzzers ever crashed on.  Included from
# tests/local.mk.  The fuzz targets themselves build with clang in
# tests/fuzz.mk (`make fuzz`); here the same target functions are linked
# with tests/fuzz/replay-main.c by the ordinary compiler, so `make check`
# replays fixtures/fuzz-crashes/ without libFuzzer.
check_PROGRAMS += tests/test-decoder \
	tests/fuzz/replay-v5 tests/fuzz/replay-v9 tests/fuzz/replay-ipfix
TESTS += tests/test-decoder tests/fuzz-replay.sh tests/decode-late.sh

tests_test_decoder_SOURCES = tests/test-decoder.c
tests_test_decoder_LDADD = collector/libcollector.a $(SF_LIBS)

SF_FUZZ_COMMON = tests/fuzz/fuzz-common.h tests/fuzz/replay-main.c
tests_fuzz_replay_v5_SOURCES = tests/fuzz/fuzz-v5.c $(SF_FUZZ_COMMON)
tests_fuzz_replay_v5_LDADD = collector/libcollector.a $(SF_LIBS)
tests_fuzz_replay_v9_SOURCES = tests/fuzz/fuzz-v9.c $(SF_FUZZ_COMMON)
tests_fuzz_replay_v9_LDADD = collector/libcollector.a $(SF_LIBS)
tests_fuzz_replay_ipfix_SOURCES = tests/fuzz/fuzz-ipfix.c $(SF_FUZZ_COMMON)
tests_fuzz_replay_ipfix_LDADD = collector/libcollector.a $(SF_LIBS)

EXTRA_DIST += tests/decode-late.sh tests/fuzz-replay.sh tests/fuzz/run.sh tests/fuzz/make-seeds.py \
	fixtures/fuzz-crashes
