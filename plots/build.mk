# Figures and report: `make plots RUN=results/<run-id>` re-renders a run's
# figures and report.md from its CSVs (plots/render.sh), running nothing. And
# the test of the statistics behind summary.csv and scores.csv.

.PHONY: plots
plots:
	@if [ -z "$(RUN)" ]; then echo "usage: make plots RUN=results/<run-id>" >&2; exit 2; fi
	plots/render.sh "$(RUN)"

STATS_TEST := $(BUILD)/tests/test_stats
TEST_PROGRAMS += $(STATS_TEST)

$(STATS_TEST): tests/stats/test_stats.c $(BUILD)/obj/harness/stats.o $(BUILD)/obj/harness/util.o \
               harness/stats.h tests/check.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) -o $@ tests/stats/test_stats.c $(BUILD)/obj/harness/stats.o \
	    $(BUILD)/obj/harness/util.o -lm
