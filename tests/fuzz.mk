# tests/fuzz.mk: `make fuzz` builds the libFuzzer targets of the v5, v9,
# IPFIX and sFlow paths with clang, whatever compiler configure chose for the rest
# (libFuzzer and its sanitizers come with clang only).  The targets are
# compiled straight from the collector's decode sources, instrumented as a
# whole; tests/fuzz/run.sh builds and runs them.  Override the compiler
# with `make fuzz CLANG=clang-14`.
CLANG = clang
SF_FUZZ_FLAGS = -g -O1 -std=gnu11 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I$(srcdir)/collector -I$(srcdir)/tests/fuzz -D_GNU_SOURCE \
	$(FIXBUF_CFLAGS) $(GLIB_CFLAGS)
SF_FUZZ_LIBS = $(FIXBUF_LIBS) $(GLIB_LIBS) -lm
SF_FUZZ_SRCS = $(srcdir)/collector/decoder.c $(srcdir)/collector/v5.c \
	$(srcdir)/collector/sflow.c \
	$(srcdir)/collector/sanitize.c $(srcdir)/collector/fbrecord.c \
	$(srcdir)/collector/fbsession.c $(srcdir)/collector/fbfast.c \
	$(srcdir)/collector/stats.c $(srcdir)/collector/addr.c \
	$(srcdir)/collector/cidr.c
SF_FUZZ_DEPS = $(SF_FUZZ_SRCS) $(srcdir)/tests/fuzz/fuzz-common.h \
	$(srcdir)/collector/decoder.h $(srcdir)/collector/exporter.h \
	$(srcdir)/collector/flow.h $(srcdir)/collector/stats.h \
	$(srcdir)/collector/cursor.h $(srcdir)/collector/v5.h \
	$(srcdir)/collector/sflow.h \
	$(srcdir)/collector/sanitize.h $(srcdir)/collector/fbdecode.h \
	$(srcdir)/collector/fbrecord.h $(srcdir)/collector/fbplan.h \
	$(srcdir)/collector/cidr.h
SF_FUZZ_TARGETS = tests/fuzz/fuzz-v5 tests/fuzz/fuzz-v9 tests/fuzz/fuzz-ipfix \
	tests/fuzz/fuzz-sflow tests/fuzz/fuzz-nfdumpcsv

fuzz: $(SF_FUZZ_TARGETS)
.PHONY: fuzz

tests/fuzz/fuzz-v5: $(srcdir)/tests/fuzz/fuzz-v5.c $(SF_FUZZ_DEPS)
	@$(MKDIR_P) tests/fuzz
	$(CLANG) $(SF_FUZZ_FLAGS) -o $@ $(srcdir)/tests/fuzz/fuzz-v5.c $(SF_FUZZ_SRCS) $(SF_FUZZ_LIBS)
tests/fuzz/fuzz-v9: $(srcdir)/tests/fuzz/fuzz-v9.c $(SF_FUZZ_DEPS)
	@$(MKDIR_P) tests/fuzz
	$(CLANG) $(SF_FUZZ_FLAGS) -o $@ $(srcdir)/tests/fuzz/fuzz-v9.c $(SF_FUZZ_SRCS) $(SF_FUZZ_LIBS)
tests/fuzz/fuzz-ipfix: $(srcdir)/tests/fuzz/fuzz-ipfix.c $(SF_FUZZ_DEPS)
	@$(MKDIR_P) tests/fuzz
	$(CLANG) $(SF_FUZZ_FLAGS) -o $@ $(srcdir)/tests/fuzz/fuzz-ipfix.c $(SF_FUZZ_SRCS) $(SF_FUZZ_LIBS)
tests/fuzz/fuzz-sflow: $(srcdir)/tests/fuzz/fuzz-sflow.c $(SF_FUZZ_DEPS)
	@$(MKDIR_P) tests/fuzz
	$(CLANG) $(SF_FUZZ_FLAGS) -o $@ $(srcdir)/tests/fuzz/fuzz-sflow.c $(SF_FUZZ_SRCS) $(SF_FUZZ_LIBS)

# nfdump's CSV (scanflow hunt --nfdump): run by hand,
# tests/fuzz/fuzz-nfdumpcsv -max_total_time=60 DIR
tests/fuzz/fuzz-nfdumpcsv: $(srcdir)/tests/fuzz/fuzz-nfdumpcsv.c \
		$(srcdir)/collector/nfdumpcsv.c $(srcdir)/collector/nfdumpcsv.h
	@$(MKDIR_P) tests/fuzz
	$(CLANG) $(SF_FUZZ_FLAGS) -o $@ $(srcdir)/tests/fuzz/fuzz-nfdumpcsv.c \
		$(srcdir)/collector/nfdumpcsv.c $(srcdir)/collector/addr.c $(SF_FUZZ_LIBS)

CLEANFILES += $(SF_FUZZ_TARGETS)
EXTRA_DIST += tests/fuzz/fuzz-v5.c tests/fuzz/fuzz-v9.c tests/fuzz/fuzz-ipfix.c \
	tests/fuzz/fuzz-sflow.c tests/fuzz/fuzz-nfdumpcsv.c
