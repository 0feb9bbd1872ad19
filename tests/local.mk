# tests/: unit tests (GTest, run with --tap) and shell tests printing TAP.
