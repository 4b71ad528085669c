#!/usr/bin/env python3
"""Helpers of bench/queue.sh (standard library only).

  sqlite-insert DB N            insert N queued noop jobs in one transaction
  sqlite-poll DB N T0 TIMEOUT   every 250 ms count jobs not queued or running (appending "<s> <count>" to env PROGRESS);
                                print "<seconds since T0> <succeeded>" when all N succeeded, or after
                                TIMEOUT s (exit 3), or when process env SERVE_PID died (exit 4)
  phases PROGRESS N             jobs/s over the first and the last 10% of N ("-" if not reached)
  worker-log FILE..             from the JSON "worker stopped" lines: "<claims> <p50 ms> <p99 ms>"
                                (claims summed, p50 = median of the processes' p50s, p99 = max);
                                "- - -" when no line carries the fields
  probe FILE                    psql \\timing output of the claim probe -> "<probes> <p50 ms> <p99 ms>"
  report TSV TARGET             median per configuration, best configuration, ratio to the target
"""
import json
import os
import sqlite3
import statistics
import sys
import time


def now_ms():
    return int(time.time() * 1000)


def sqlite_insert(db, n):
    con = sqlite3.connect(db)
    t = now_ms()
    with con:
        con.executemany(
            "INSERT INTO jobs (kind, payload, priority, state, attempts, max_attempts, run_after, created_at, updated_at) "
            "VALUES ('noop', '{}', 0, 'queued', 0, 5, ?, ?, ?)",
            ((t, t, t) for _ in range(n)),
        )
    (count,) = con.execute("SELECT count(*) FROM jobs WHERE state = 'queued'").fetchone()
    con.close()
    print(count)


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # A zombie (exited, not yet reaped) is dead too.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def sqlite_poll(db, n, t0, timeout):
    pid = int(os.environ.get("SERVE_PID", "0"))
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    progress = open(os.environ["PROGRESS"], "w") if os.environ.get("PROGRESS") else None
    done = 0
    while True:
        try:
            (left,) = con.execute(
                "SELECT (SELECT count(*) FROM jobs WHERE state = 'queued') + (SELECT count(*) FROM jobs WHERE state = 'running')"
            ).fetchone()
            done = n - left
        except sqlite3.OperationalError:
            pass  # busy: try again at the next tick
        elapsed = time.time() - t0
        if progress:
            print(f"{elapsed:.3f} {done}", file=progress, flush=True)
        if done >= n:
            print(f"{elapsed:.3f} {done}")
            return 0
        if elapsed > timeout:
            print(f"{elapsed:.3f} {done}")
            return 3
        if pid and not alive(pid):
            print(f"{elapsed:.3f} {done}")
            return 4
        time.sleep(0.25)


def worker_log(files):
    p50s, p99s, claims = [], [], 0
    for path in files:
        with open(path, errors="replace") as f:
            for line in f:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                fields = record.get("fields", {})
                if fields.get("message") != "worker stopped":
                    continue
                if "claim_p50_ms" in fields and "claim_p99_ms" in fields:
                    p50s.append(float(fields["claim_p50_ms"]))
                    p99s.append(float(fields["claim_p99_ms"]))
                    claims += int(fields.get("claims", 0))
    if not p50s:
        print("- - -")
    else:
        print(f"{claims} {statistics.median(p50s):.2f} {max(p99s):.2f}")


def phases(path, n):
    samples = [tuple(map(float, line.split())) for line in open(path) if line.strip()]

    def first_at(count):
        return next(((t, d) for t, d in samples if d >= count), None)

    def rate(a, b):
        if a is None or b is None or b[0] <= a[0]:
            return "-"
        return f"{(b[1] - a[1]) / (b[0] - a[0]):.0f}"

    print(rate(first_at(1), first_at(0.1 * n)), rate(first_at(0.9 * n), first_at(n)))


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int((len(values) - 1) * q))]


def probe(path):
    # Each probe iteration prints five "Time:" lines: BEGIN, dead-letter UPDATE, claim UPDATE,
    # ROLLBACK, pg_sleep. A claim as the worker makes it is the two UPDATEs.
    times = []
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("Time: "):
                times.append(float(line.split()[1]))
    claims = [times[i + 1] + times[i + 2] for i in range(0, len(times) - 4, 5)]
    if not claims:
        print("0 - -")
    else:
        print(f"{len(claims)} {percentile(claims, 0.5):.2f} {percentile(claims, 0.99):.2f}")


def report(tsv, target):
    # backend procs workers run seconds done n jobs_s claims p50 p99 probes probe_p50 probe_p99 status
    rows = [line.rstrip("\n").split("\t") for line in open(tsv) if line.strip() and not line.startswith("#")]
    configs = {}
    for r in rows:
        configs.setdefault((r[0], int(r[1]), int(r[2]), int(r[6])), []).append(r)
    med = lambda rs, i: statistics.median(float(r[i]) for r in rs) if all(r[i] != "-" for r in rs) else None
    fmt = lambda v, spec: "-" if v is None else format(v, spec)
    print(f"{'backend':<11}{'procs':>6}{'workers':>8}{'N':>8}{'runs':>5}{'median s':>10}{'jobs/s':>9}"
          f"{'min..max jobs/s':>18}{'first10%':>9}{'last10%':>8}{'log p50':>8}{'log p99':>8}{'probe p50':>10}{'probe p99':>10}  status")
    best = {}
    for (backend, procs, workers, n), rs in sorted(configs.items()):
        rates = [float(r[7]) for r in rs]
        status = ",".join(sorted({r[14] for r in rs}))
        rate = statistics.median(rates)
        print(f"{backend:<11}{procs:>6}{workers:>8}{n:>8}{len(rs):>5}{med(rs, 4):>10.2f}{rate:>9.0f}"
              f"{min(rates):>9.0f}..{max(rates):<8.0f}{fmt(med(rs, 16), '.0f'):>9}{fmt(med(rs, 17), '.0f'):>8}{fmt(med(rs, 9), '.2f'):>8}{fmt(med(rs, 10), '.2f'):>8}"
              f"{fmt(med(rs, 12), '.2f'):>10}{fmt(med(rs, 13), '.2f'):>10}  {status}")
        if status == "ok" and (backend not in best or rate > best[backend][0]):
            best[backend] = (rate, procs, workers, n, len(rs))
    print("jobs/s = N / (start of the processes -> last job succeeded), or jobs done / timeout for a run that timed"
          "\nout; first10%/last10% = jobs/s while the first / last tenth of the jobs ran; medians over runs; claim ms: 'log' from the"
          "\nworkers' 'worker stopped' lines (median of p50s, max of p99s), 'probe' = the two claim statements run"
          "\nby psql every PROBE_MS (1 s) during the run inside BEGIN..ROLLBACK (client-side time).")
    for backend, (rate, procs, workers, n, runs) in sorted(best.items()):
        line = f"best {backend}: {rate:.0f} jobs/s ({procs} process(es) x {workers} workers, N={n}, median of {runs})"
        if backend == "postgres":
            line += f"; target {target:.0f} jobs/s: {'MET' if rate >= target else 'NOT met'} ({rate / target:.2f}x of target)"
        print(line)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "sqlite-insert":
        sqlite_insert(args[0], int(args[1]))
    elif cmd == "sqlite-poll":
        sys.exit(sqlite_poll(args[0], int(args[1]), float(args[2]), float(args[3])))
    elif cmd == "worker-log":
        worker_log(args)
    elif cmd == "phases":
        phases(args[0], int(args[1]))
    elif cmd == "probe":
        probe(args[0])
    elif cmd == "report":
        report(args[0], float(args[1]))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
