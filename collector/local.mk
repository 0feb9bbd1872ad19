# collector/: sockets, wire decoders (v5 ours; v9 and IPFIX through
# libfixbuf), exporter and template bookkeeping, and the flow record with
# its address types (flow.h, addr.c, cidr.c: the contract that correlate/
# reads).  The programs that wire the libraries together live in
# collector/programs/ (programs.mk).
noinst_LIBRARIES += collector/libcollector.a
collector_libcollector_a_SOURCES = \
	collector/flow.h collector/addr.h collector/addr.c \
	collector/cidr.h collector/cidr.c \
	collector/cursor.h \
	collector/stats.h collector/stats.c \
	collector/exporter.h \
	collector/v5.h collector/v5.c \
	collector/sflow.h collector/sflow.c \
	collector/sanitize.h collector/sanitize.c \
	collector/fbdecode.h collector/fbrecord.h collector/fbrecord.c collector/fbplan.h \
	collector/fbsession.c collector/fbfast.c \
	collector/decoder.h collector/decoder.c \
	collector/source.h collector/source.c \
	collector/nfdumpcsv.h collector/nfdumpcsv.c \
	collector/netsock.h collector/netsock.c \
	collector/tcp.h collector/tcp.c \
	collector/listener.h collector/listener.c

include $(srcdir)/collector/programs/programs.mk
