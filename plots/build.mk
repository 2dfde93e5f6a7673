# Figures and report: `make plots RUN=results/<run-id>` re-renders a run's
# figures and report.md from its CSVs (plots/render.sh), running nothing (a
# run with committed files, as results/reference, into build/render/<name>);
# `make compare A=RUN_A B=RUN_B` compares two runs (bench compare, into
# RUN_B) and draws compare.png into its compare.md, then fails when bench
# compare says something regressed (its own exit status 1; make's is 2).
# And the test of the statistics behind summary.csv and scores.csv.

.PHONY: plots compare
plots:
	@if [ -z "$(RUN)" ]; then echo "usage: make plots RUN=results/<run-id>" >&2; exit 2; fi
	plots/render.sh "$(RUN)"

# the first python3 that has matplotlib (as plots/render.sh looks for it)
PLOT_PYTHON = $(firstword $(foreach p,$(PYTHON) /usr/bin/python3 python3,\
    $(shell $(p) -c 'import matplotlib' 2>/dev/null && echo $(p))))

compare: $(BUILD)/bench
	@if [ -z "$(A)" ] || [ -z "$(B)" ]; then echo "usage: make compare A=RUN_DIR B=RUN_DIR" >&2; exit 2; fi
	@$(BUILD)/bench compare "$(A)" "$(B)"; rc=$$?; [ $$rc -le 1 ] || exit $$rc; \
	if [ -n "$(PLOT_PYTHON)" ]; then \
	    MPLCONFIGDIR=$(BUILD)/mplconfig $(PLOT_PYTHON) plots/compare.py "$(B)" "$(A)" "$(B)" || exit 2; \
	else \
	    echo "make compare: no python3 with matplotlib (Debian package python3-matplotlib): compare.md has no figure" >&2; \
	fi; exit $$rc
