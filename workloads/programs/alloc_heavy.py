# An allocation-heavy Python program for the prog_python workload: builds and
# drops many small objects (dicts, tuples, strings, lists), as interpreters
# do all day. Deterministic: prints checksums that must match under every
# allocator. Usage: python3 alloc_heavy.py N
import sys

def build(n):
    records = []
    for i in range(n):
        key = "k%06d" % ((i * 7919) % n)
        records.append({"id": i, "key": key, "tags": [key[-2:], str(i % 13)], "pair": (i, i * i % 1009)})
    return records

def churn(records):
    index = {}
    for r in records:
        index.setdefault(r["tags"][1], []).append(r["key"] + ":" + str(r["pair"][1]))
    total = 0
    for bucket in sorted(index):
        words = sorted(index[bucket])
        total += len(" ".join(words))
        index[bucket] = None
    return total

def strings(n):
    parts = []
    for i in range(n):
        s = ("%x" % (i * 2654435761 % 2**32)) * (1 + i % 5)
        parts.append(s[::-1].upper())
        if len(parts) > 512:
            parts = ["".join(parts)[:64]]
    return len("".join(parts))

n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
checksum = 0
for rnd in range(3):
    recs = build(n)
    checksum = (checksum * 31 + churn(recs)) % (2**61 - 1)
    recs.sort(key=lambda r: (r["pair"][1], r["key"]))
    checksum = (checksum * 31 + recs[0]["id"] + recs[-1]["id"]) % (2**61 - 1)
    del recs
checksum = (checksum * 31 + strings(n)) % (2**61 - 1)
print("records", n, "checksum", checksum)
