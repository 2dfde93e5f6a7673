# A multi-threaded Python program for the prog_python_threads workload:
# THREADS threads in a ring, each building N records (dicts holding
# strings of up to a few hundred bytes and lists of up to 60 items, enough
# that many come from malloc, not from pymalloc's small-object pools), in
# batches of 64 that it hands to the next thread, which sums and drops
# them: blocks are freed by another thread than the one that allocated
# them. The GIL lets one thread run Python code at a time, but the threads
# interleave every few milliseconds. Deterministic: each thread receives its
# predecessor's batches in order, and prints its sums in thread order.
# Usage: python3 threads.py N THREADS
import queue
import sys
import threading

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 4
BATCH = 64
inbox = [queue.Queue() for _ in range(threads)]
sums = [0] * threads
batches = (n + BATCH - 1) // BATCH


def consume(t, batch):
    total = 0
    for r in batch:
        sender, number = r["key"][1:].split("-")
        total += len(r["text"]) + len(r["vals"]) + int(number) + 1000003 * int(sender)
    sums[t] = (sums[t] * 31 + total) % (2**61 - 1)


def worker(t):
    out = inbox[(t + 1) % threads]
    mine = inbox[t]
    received = 0
    batch = []
    for i in range(n):
        batch.append({
            "id": i,
            "key": "t%d-%06d" % (t, (i * 7919) % n),
            "text": ("%x" % ((i * 2654435761 + t) % 2**32)) * (1 + i % 48),
            "vals": list(range(i % 61)),
        })
        if len(batch) == BATCH or i == n - 1:
            out.put(batch)
            batch = []
            while received < batches:
                try:
                    consume(t, mine.get_nowait())
                except queue.Empty:
                    break
                received += 1
    while received < batches:
        consume(t, mine.get())
        received += 1


workers = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print("threads", threads, "records", n, "sums", " ".join(str(s) for s in sums))
