# collector/programs/: scanflowd (the collector daemon) and scanflow (the
# operator tool), with their plumbing: configuration file, logging,
# --daemon, Prometheus metrics, and one file per operator command.  They
# link libcollector.a and libcorrelate.a; neither library includes a header
# of this folder.
bin_PROGRAMS += scanflowd scanflow
SF_PROGRAM_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/collector/programs
scanflowd_CPPFLAGS = $(SF_PROGRAM_CPPFLAGS)
scanflowd_SOURCES = collector/programs/scanflowd.c \
	collector/programs/conffile.h collector/programs/conffile.c \
	collector/programs/logging.h collector/programs/logging.c \
	collector/programs/daemon.h collector/programs/daemon.c \
	collector/programs/metrics.h collector/programs/metrics.c \
	collector/programs/httpd.h collector/programs/httpd.c
scanflowd_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS)
scanflowd_LDADD = correlate/libcorrelate.a collector/libcollector.a $(SF_LIBS) $(MHD_LIBS)
scanflow_CPPFLAGS = $(SF_PROGRAM_CPPFLAGS)
scanflow_SOURCES = collector/programs/scanflow.c \
	collector/programs/decode.h collector/programs/decode.c \
	collector/programs/hunt.h collector/programs/hunt.c \
	collector/programs/conffile.h collector/programs/conffile.c \
	collector/programs/metrics.h collector/programs/metrics.c \
	collector/programs/statscmd.h collector/programs/statscmd.c \
	collector/programs/flowfmt.h collector/programs/flowfmt.c \
	collector/programs/replay.h collector/programs/replay.c \
	collector/programs/watch.h collector/programs/watch.c \
	collector/programs/top.h collector/programs/top.c
scanflow_LDADD = correlate/libcorrelate.a collector/libcollector.a $(SF_LIBS)

# Installed files: man pages, the example configuration (as
# $(sysconfdir)/scanflow/scanflowd.conf, never over an existing one) and
# the systemd unit.  Paths in the unit and scanflowd(8) are substituted
# here, so they follow --prefix and --sysconfdir.
dist_man1_MANS = collector/programs/scanflow.1
man8_MANS = collector/programs/scanflowd.8
systemdunit_DATA = collector/programs/scanflowd.service
scanflowconfdir = $(sysconfdir)/scanflow
EXTRA_DIST += collector/programs/scanflowd.8.in \
	collector/programs/scanflowd.service.in \
	collector/programs/scanflowd.conf.example
CLEANFILES += collector/programs/scanflowd.8 collector/programs/scanflowd.service
sf_edit = sed -e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@systemdunitdir[@]|$(systemdunitdir)|g'
collector/programs/scanflowd.8: $(srcdir)/collector/programs/scanflowd.8.in Makefile
	$(AM_V_GEN)$(MKDIR_P) collector/programs && $(sf_edit) $(srcdir)/collector/programs/scanflowd.8.in >$@
collector/programs/scanflowd.service: $(srcdir)/collector/programs/scanflowd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) collector/programs && $(sf_edit) $(srcdir)/collector/programs/scanflowd.service.in >$@
install-data-local:
	$(MKDIR_P) '$(DESTDIR)$(scanflowconfdir)'
	@if test -f '$(DESTDIR)$(scanflowconfdir)/scanflowd.conf'; then \
	  echo "keeping $(DESTDIR)$(scanflowconfdir)/scanflowd.conf"; \
	else \
	  echo " $(INSTALL_DATA) scanflowd.conf.example $(DESTDIR)$(scanflowconfdir)/scanflowd.conf"; \
	  $(INSTALL_DATA) $(srcdir)/collector/programs/scanflowd.conf.example \
	    '$(DESTDIR)$(scanflowconfdir)/scanflowd.conf'; \
	fi
uninstall-local:
	@if cmp -s $(srcdir)/collector/programs/scanflowd.conf.example \
	    '$(DESTDIR)$(scanflowconfdir)/scanflowd.conf'; then \
	  rm -f '$(DESTDIR)$(scanflowconfdir)/scanflowd.conf'; \
	fi
	-rmdir '$(DESTDIR)$(scanflowconfdir)' 2>/dev/null
