# collector/: sockets, wire decoders (v5 ours; v9 and IPFIX through
# libfixbuf), exporter and template bookkeeping, the flow record, and the
# two programs' mains.
noinst_LIBRARIES += collector/libcollector.a
collector_libcollector_a_SOURCES = \
	collector/flow.h collector/addr.c \
	collector/cursor.h \
	collector/stats.h collector/stats.c \
	collector/exporter.h \
	collector/v5.h collector/v5.c \
	collector/sanitize.h collector/sanitize.c \
	collector/fbdecode.h collector/fbdecode.c \
	collector/decoder.h collector/decoder.c \
	collector/source.h collector/source.c \
	collector/listener.h collector/listener.c \
	collector/flowfmt.h collector/flowfmt.c \
	collector/replay.h collector/replay.c

bin_PROGRAMS += scanflowd scanflow
scanflowd_SOURCES = collector/scanflowd.c
scanflowd_LDADD = correlate/libcorrelate.a collector/libcollector.a $(SF_LIBS)
scanflow_SOURCES = collector/scanflow.c
scanflow_LDADD = correlate/libcorrelate.a collector/libcollector.a $(SF_LIBS)
