# correlate/: evidence filter, sketches, Redis state, rules, notifier.
noinst_LIBRARIES += correlate/libcorrelate.a
correlate_libcorrelate_a_SOURCES = \
	correlate/correlator.h correlate/correlator-int.h \
	correlate/correlator.c correlate/feed.c correlate/connection.c \
	correlate/rules.c correlate/flush.c \
	correlate/config.h correlate/config.c \
	correlate/horizon.h correlate/horizon.c \
	correlate/redisurl.h correlate/redisurl.c \
	correlate/rcluster.h correlate/rcluster.c \
	correlate/evidence.h correlate/evidence.c \
	correlate/hash.h correlate/targets.h correlate/targets.c \
	correlate/aggregate.h correlate/aggregate.c \
	correlate/pipe.h correlate/pipe.c \
	correlate/exact.h correlate/exact.c \
	correlate/keys.h correlate/keys.c \
	correlate/seen.h correlate/seen.c \
	correlate/window.h correlate/window.c \
	correlate/fanout.h correlate/fanout.c \
	correlate/claim.h correlate/claim.c \
	correlate/probation.h correlate/probation.c \
	correlate/table.h correlate/table.c \
	correlate/alert.h correlate/alert.c \
	correlate/sampling.h correlate/sampling.c \
	correlate/notifier.h correlate/notifier.c \
	correlate/local.h correlate/local.c
EXTRA_DIST += correlate/README-design.md
