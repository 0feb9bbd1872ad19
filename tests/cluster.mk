# tests/cluster.mk - Redis Cluster mode (included by tests/local.mk).
# test-rcluster: key slots, hash tags, URLs, and routing (order, MOVED, ASK)
# on a real 3-master cluster started by cluster-routing.sh.  e2e/cluster_e2e.py:
# three scanflowd on a cluster, and a master killed during a replay.
check_PROGRAMS += tests/test-rcluster
tests_test_rcluster_SOURCES = tests/test-rcluster.c
tests_test_rcluster_LDADD = correlate/libcorrelate.a collector/libcollector.a \
	$(SF_LIBS)

TESTS += tests/cluster-routing.sh tests/e2e/cluster_e2e.py
EXTRA_DIST += tests/cluster-routing.sh tests/e2e/cluster_e2e.py \
	tests/e2e/cluster_redis.py tests/bench/cluster.sh
