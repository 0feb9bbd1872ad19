# tests/bench.mk - `make bench`: scanflowd against nfcapd (nfdump) and
# nfacctd (pmacct) on the same real exporter bytes.  Not part of
# `make check`: it takes minutes, needs root (tcpdump on lo, taskset,
# SO_RCVBUFFORCE) and prints numbers for people, not a verdict.
#
#   make bench                       table, lossless rate, workers, memory
#   make bench BENCH_MODE=table      one part: table|sflow|lossless|workers|memory|redis
#   make bench BENCH_RATE=50000 BENCH_LOOPS=60
#
# Inputs are built once into $(BENCH_INPUTS) (softflowd exports of a
# synthetic capture, tests/bench/make-inputs.sh) and rebuilt only when the
# generators change.
BENCH_MODE = all
BENCH_RATE = 30000
BENCH_LOOPS = 40
BENCH_INPUTS = $(abs_top_builddir)/bench-inputs
# The receive floor (tests/bench/floor.c): built for the bench only.
EXTRA_PROGRAMS = tests/bench/floor tests/bench/libcost tests/bench/probcost
tests_bench_floor_SOURCES = tests/bench/floor.c
tests_bench_floor_CFLAGS = $(SF_CFLAGS)
CLEANFILES += tests/bench/floor$(EXEEXT)
BENCH_DIST = tests/bench/bench.sh tests/bench/ab.sh tests/bench/make-inputs.sh \
	tests/bench/gen-traffic.py tests/bench/gen-flood.py
EXTRA_DIST += $(BENCH_DIST)

.PHONY: bench bench-inputs
bench-inputs:
	$(SHELL) $(top_srcdir)/tests/bench/make-inputs.sh $(BENCH_INPUTS)

bench: scanflowd$(EXEEXT) scanflow$(EXEEXT) tests/bench/floor$(EXEEXT) bench-inputs
	SCANFLOWD=$(abs_top_builddir)/scanflowd$(EXEEXT) \
	FLOOR=$(abs_top_builddir)/tests/bench/floor$(EXEEXT) \
	SCANFLOW=$(abs_top_builddir)/scanflow$(EXEEXT) \
	BENCH_INPUTS=$(BENCH_INPUTS) BENCH_RATE=$(BENCH_RATE) BENCH_LOOPS=$(BENCH_LOOPS) \
	$(SHELL) $(top_srcdir)/tests/bench/bench.sh $(BENCH_MODE)

# tests/bench/libcost: RESP and JSON written by hand against the library
# calls that would replace them (correlate/README-design.md).  Built only
# on request: make tests/bench/libcost && tests/bench/libcost
tests_bench_libcost_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/collector/programs
tests_bench_libcost_SOURCES = tests/bench/libcost.c \
	collector/programs/flowfmt.h collector/programs/flowfmt.c
tests_bench_libcost_LDADD = correlate/libcorrelate.a collector/libcollector.a $(SF_LIBS)
CLEANFILES += tests/bench/libcost

# tests/bench/probcost: the probation pass of one flush, timed alone
# (correlate/README-design.md).  make tests/bench/probcost && tests/bench/probcost
tests_bench_probcost_SOURCES = tests/bench/probcost.c
tests_bench_probcost_LDADD = correlate/libcorrelate.a collector/libcollector.a $(SF_LIBS)
CLEANFILES += tests/bench/probcost
