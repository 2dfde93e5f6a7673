#!/usr/bin/env python3
"""The security table of a run: how each backend reacted to each misuse case
(workloads/sec_*.c, suite `security`), from results.csv (standard library
only).

Usage: security.py RUN_DIR [--stats DIR]   -> RUN_DIR/security.md (none
when the run has no misuse case)

report.py calls write(run): it writes security.md and returns the same
tables as markdown lines for report.md (none for a run without misuse cases).
The outcome of a run is the metric of harness/misuse.c that is 1: detected,
crashed_later, silent or timeout; signal, exit_code, refused, diagnostic,
corrupted and last_mark say how (README.md, "Security suite").
"""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rundata  # noqa: E402
from rundata import number, ok  # noqa: E402

OUTCOMES = ("detected", "crashed_later", "silent", "timeout")
DELIBERATE = {signal.SIGABRT, signal.SIGTRAP, signal.SIGILL}  # as harness/misuse.c
AFTER = 2  # last_mark: the misuse was done, the follow-up had begun


def signal_name(n):
    try:
        return signal.Signals(int(n)).name
    except ValueError:
        return f"signal {int(n)}"


def repetitions(run):
    """{(backend, case): [metrics of each repetition, or {'status': ...}]}
    for every case that is a misuse case (reports `detected`, or is named
    sec_*), in rep order."""
    runs = {}
    for r in run.results:
        key = (r["backend"], r["workload"], int(r["threads"]), r["rep"])
        rep = runs.setdefault(key, {"status": r["status"], "detail": r.get("detail", "")})
        if r["status"] == "ok":
            rep[r["metric"]] = number(r["value"])
    cases = {w for (_, w, _, _), m in runs.items() if "detected" in m or w.startswith("sec_")}
    out = {}
    for (b, w, _, rep), m in sorted(runs.items(), key=lambda kv: (kv[0][0], kv[0][1], int(kv[0][3]))):
        if w in cases:
            out.setdefault((b, w), []).append(m)
    return out


def outcome(m):
    """The outcome of one repetition, or its status when it did not end ok."""
    if m["status"] != "ok":
        return m["status"]
    found = [o for o in OUTCOMES if ok(m.get(o)) and m[o] == 1]
    return found[0] if len(found) == 1 else "unclassified"


def by_fault(m):
    """Detected because the process faulted at the misuse (no check of its own)."""
    sig = m.get("signal", 0)
    return outcome(m) == "detected" and ok(sig) and sig > 0 and int(sig) not in DELIBERATE


def cell(m):
    """'detected (SIGABRT)', 'silent, corrupted', ... for one repetition."""
    what = outcome(m)
    if m["status"] != "ok":
        return f"**{what}**"
    sig, code = m.get("signal", 0), m.get("exit_code", -1)
    if what == "detected":
        how = ("refused" if m.get("refused") == 1 else
               signal_name(sig) if ok(sig) and sig > 0 else
               f"exit {int(code)}" if ok(code) and code > 0 else "message")
        later = " later" if m.get("last_mark") == AFTER and m.get("refused") != 1 else ""
        return f"detected{later} ({how})"
    if what == "crashed_later":
        return f"crashed later ({signal_name(sig) if ok(sig) and sig > 0 else f'exit {int(code)}'})"
    if what == "silent" and m.get("corrupted") == 1:
        return "silent, corrupted"
    return what


def cell_text(reps):
    texts = [cell(m) for m in reps]
    if len(set(texts)) == 1:
        return texts[0]
    return "; ".join(f"{t} ×{texts.count(t)}" for t in dict.fromkeys(texts))


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return out + ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]


def counts(backend, cases, reps):
    """One row of the counts table: a case counts when every repetition of it
    ended that way."""
    def every(test):
        return sum(1 for w in cases if reps.get((backend, w)) and all(test(m) for m in reps[(backend, w)]))
    row = [backend, f"{every(lambda m: outcome(m) == 'detected')} of {len(cases)}", every(by_fault)]
    row += [every(lambda m, o=o: outcome(m) == o) for o in OUTCOMES[1:]]
    row.append(every(lambda m: outcome(m) == "silent" and m.get("corrupted") == 1))
    return row


def tables(run):
    """The markdown lines of both tables; [] without misuse cases."""
    reps = repetitions(run)
    if not reps:
        return []
    cases = sorted({w for _, w in reps})
    backends = [b for b in run.backends if any((b, w) in reps for w in cases)]
    lines = ["Outcome of each misuse case under each backend (one process per repetition; "
             "several outcomes with their counts when the repetitions differ):", ""]
    lines += table(["case"] + backends,
                   [[f"`{w}`"] + [cell_text(reps[(b, w)]) if (b, w) in reps else "–" for b in backends]
                    for w in cases])
    lines += ["", "Per backend: the cases each outcome covers in every repetition. *By a fault* "
              "counts the detections that were a crash (SIGSEGV, SIGBUS) at the misuse itself "
              "rather than a check; *corrupted*: silent cases where the follow-up saw corrupted "
              "state.", ""]
    lines += table(["backend", "detected", "of which by a fault", "crashed later", "silent",
                    "timeout", "silent, corrupted"], [counts(b, cases, reps) for b in backends])
    return lines + [""]


HOW_TO_READ = [
    "- **detected**: the allocator stopped the process (abort, a trap, an exit code, or a "
    "fault inside the misuse call), printed a diagnostic, or refused the request (NULL, an "
    "error code), before the follow-up saw corrupted state. *later*: in the follow-up's "
    "first calls, still before any corrupted state reached the program.",
    "- **crashed later**: nothing at the misuse; the process died afterwards.",
    "- **silent**: nothing noticed, the process ended normally; *corrupted*: the follow-up "
    "saw corrupted state (two live blocks overlapping, memory in use handed out, a "
    "misaligned block, a wrong size).",
    "- **timeout**: the process did not end within 2 s (a hang).",
    "- A status in bold: the run itself failed (the case did not reach its misuse, the "
    "allocator could not be preloaded).",
]


def write(run):
    """Writes RUN_DIR/security.md; returns its tables for report.md."""
    body = tables(run)
    if not body:
        return []
    text = [f"# Misuse cases: run {run.meta.get('run_id', os.path.basename(run.dir))}", "",
            f"{run.subtitle()}. Written by `plots/security.py` from this directory's results.csv; "
            "the cases and outcomes are described in the project README (\"Security suite\").", ""]
    text += body + ["## How to read it", ""] + HOW_TO_READ
    path = os.path.join(run.dir, "security.md")
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(text).rstrip() + "\n")
    os.replace(path + ".tmp", path)
    return ["## Misuse cases (security suite)", "", "The same tables are in `security.md`.", ""] + \
        body + HOW_TO_READ + [""]


def main():
    write(rundata.run_from_argv(sys.argv, "security.py"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
