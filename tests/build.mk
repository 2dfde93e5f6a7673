# Tests: tests/run.sh runs every tests/test_*.sh script and every program
# build/tests/test_*. Parts add their test programs to TEST_PROGRAMS.

.PHONY: test
test: all $(TEST_PROGRAMS)
	tests/run.sh
