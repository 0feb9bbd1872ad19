# tests/: unit tests (GTest programs, run with --tap) and shell tests
# (tests/*.sh) printing TAP.  Each area keeps its list in its own fragment.
EXTRA_DIST += .ci/lsan.supp
include $(srcdir)/tests/reference.mk
