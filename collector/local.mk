# collector/: sockets, wire decoders (v5 ours; v9 and IPFIX through
# libfixbuf), exporter and template bookkeeping, the flow record.
noinst_LIBRARIES += collector/libcollector.a
collector_libcollector_a_SOURCES = \
	collector/flow.h collector/addr.c
