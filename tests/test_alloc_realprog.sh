#!/usr/bin/env bash
# Real programs under LD_PRELOAD=build/libcustomalloc.so: python3 (an
# allocation-heavy script, with pymalloc and with PYTHONMALLOC=malloc so
# every object goes through malloc), perl, sqlite3 (inserts, index, queries,
# updates) and gcc compiling a C file. Each must exit 0 with output identical
# to the run without the preload, and the CUSTOMALLOC_STATS report on stderr
# proves the allocator really ran.
set -u
cd "$(dirname "$0")/.." || exit 2
lib=$PWD/build/libcustomalloc.so
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
if [ ! -f "$lib" ]; then
    echo "FAIL realprog:library: $lib not built"
    exit 1
fi

# same_output NAME CMD...: runs CMD plainly and under the preload.
same_output() {
    local name=$1
    shift
    "$@" >"$tmp/plain.out" 2>"$tmp/plain.err"
    local rc1=$?
    CUSTOMALLOC_STATS=1 LD_PRELOAD=$lib "$@" >"$tmp/pre.out" 2>"$tmp/pre.err"
    local rc2=$?
    if [ $rc1 -ne 0 ]; then
        echo "SKIP realprog:$name: fails without the preload too (status $rc1)"
    elif [ $rc2 -ne 0 ]; then
        echo "FAIL realprog:$name: exit status $rc2 under customalloc: $(grep -v '^ \|^customalloc' "$tmp/pre.err" | head -3 | tr '\n' ' ')"
        fail=1
    elif ! cmp -s "$tmp/plain.out" "$tmp/pre.out"; then
        echo "FAIL realprog:$name: output differs from the run without the preload"
        fail=1
    elif ! grep -q '^customalloc [0-9.]* statistics' "$tmp/pre.err"; then
        echo "FAIL realprog:$name: no customalloc statistics on stderr (did it run?)"
        fail=1
    elif [ ! -s "$tmp/plain.out" ]; then
        echo "FAIL realprog:$name: produced no output"
        fail=1
    else
        echo "PASS realprog:$name"
    fi
}

have() { command -v "$1" >/dev/null 2>&1; }

# --- python3 ---------------------------------------------------------------
cat >"$tmp/alloc.py" <<'PY'
import hashlib, json, threading
h = hashlib.sha256()
d = {}
for i in range(200000):
    d["key%d" % i] = [i, str(i) * (i % 7), {"v": i * 3}]
h.update(str(len(d)).encode())
items = sorted(d.items(), key=lambda kv: (len(kv[1][1]), kv[0]))
h.update(json.dumps(items[:2000]).encode())
s = json.loads(json.dumps({k: v for k, v in items[::50]}))
h.update(str(sum(v[0] for v in s.values())).encode())
parts = []
for i in range(50000):
    parts.append(("x" * (i % 300)) + str(i))
    if i % 3 == 0:
        parts[i // 2] = parts[i // 2][::-1]
h.update("".join(parts).encode())
big = [bytearray(n * 997 % 200000) for n in range(300)]
h.update(str(sum(len(b) for b in big)).encode())
out = []
def work(k):
    acc = {}
    for i in range(30000):
        acc[i] = (str(i * k), [i] * (i % 5))
    out.append(sum(len(v[0]) for v in acc.values()))
ts = [threading.Thread(target=work, args=(k,)) for k in range(4)]
for t in ts: t.start()
for t in ts: t.join()
h.update(str(sorted(out)).encode())
print(h.hexdigest())
PY
if have python3; then
    py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null || echo python3)
    same_output python3_alloc_heavy "$py" "$tmp/alloc.py"
    PYTHONMALLOC=malloc same_output python3_all_objects_through_malloc "$py" "$tmp/alloc.py"
else
    echo "SKIP realprog:python3_alloc_heavy: python3 not installed"
fi

# --- perl ------------------------------------------------------------------
cat >"$tmp/alloc.pl" <<'PL'
use strict; use warnings; use Digest::MD5 qw(md5_hex);
my %h; my @a;
for my $i (0 .. 199999) { $h{"k$i"} = [$i, "v" x ($i % 13), { n => $i }]; }
for my $k (sort keys %h) { push @a, $k . ":" . length($h{$k}[1]); }
my $s = join(",", @a);
$s =~ s/k(\d+)7:/K$1:/g;
my @w = split /,/, $s;
my %c; $c{length $_}++ for @w;
delete $h{"k$_"} for grep { $_ % 3 } 0 .. 199999;
print md5_hex($s), " ", scalar(@w), " ", join(" ", map { "$_=$c{$_}" } sort { $a <=> $b } keys %c), " ", scalar(keys %h), "\n";
PL
if have perl; then
    same_output perl_hashes_strings_regex perl "$tmp/alloc.pl"
else
    echo "SKIP realprog:perl: perl not installed"
fi

# --- sqlite3 ---------------------------------------------------------------
cat >"$tmp/db.sql" <<'SQL'
CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, val REAL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 60000)
INSERT INTO t(grp, name, val) SELECT x % 97, printf('name-%08d-%s', x, substr('abcdefghijklmnop', 1 + x % 16)), (x * 7919) % 10007 / 3.0 FROM c;
CREATE INDEX t_grp ON t(grp, val);
UPDATE t SET val = val * 2 WHERE grp % 5 = 0;
DELETE FROM t WHERE id % 11 = 0;
SELECT grp, count(*), printf('%.3f', sum(val)), min(name), max(name) FROM t GROUP BY grp ORDER BY grp;
SELECT count(DISTINCT substr(name, 15)) FROM t;
SELECT name FROM t WHERE grp = 42 ORDER BY val DESC, id LIMIT 5;
SELECT group_concat(id, '-') FROM (SELECT id FROM t ORDER BY name DESC LIMIT 50);
SQL
if have sqlite3; then
    same_output sqlite3_inserts_and_queries sqlite3 :memory: ".read $tmp/db.sql"
else
    echo "SKIP realprog:sqlite3: sqlite3 not installed"
fi

# --- gcc -------------------------------------------------------------------
{
    echo '#include <stdio.h>'
    echo '#include <string.h>'
    for i in $(seq 1 120); do
        echo "struct s$i { int a[$((i % 9 + 1))]; double d; const char *n; };"
        echo "static int f$i(struct s$i *p, int k) { int r = k; for (int j = 0; j < $((i % 9 + 1)); j++) r += p->a[j] * (j + $i); if (r % 3) r ^= (int)strlen(p->n); return r + (int)p->d; }"
    done
    echo 'int main(void) { int t = 0;'
    for i in $(seq 1 120); do
        echo "  { struct s$i v = {{0}, $i.5, \"n$i\"}; for (int j = 0; j < $((i % 9 + 1)); j++) v.a[j] = j * $i; t += f$i(&v, $i); }"
    done
    echo '  printf("%d\n", t); return 0; }'
} >"$tmp/prog.c"
if have gcc; then
    same_output gcc_compiles_c_file gcc -O2 -S -o - "$tmp/prog.c"
else
    echo "SKIP realprog:gcc: gcc not installed"
fi
exit $fail
