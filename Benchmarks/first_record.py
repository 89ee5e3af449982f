#!/usr/bin/env python3
"""First-record latency of the weft binary (Benchmarks/run.sh runs it; prints a markdown table).

Three cases, each run --runs times (median and worst):

- file argument: `weft SMALL_FILE`, from spawning the process to the first byte on its stdout, and to its exit.
  weft reads the file to its end and then flushes, so this is start-up + reading + the final flush.
- empty input: `weft /dev/null`, spawn to exit: the fixed cost of a process (loading, compiling the built-in rules).
- stdin, live: weft already running on a pipe; a whole Python traceback and then an ordinary line are written at
  once. Measured from that write to the traceback's record (it ends when the ordinary line arrives), and to the
  ordinary line's record, which weft holds until the next line or the flush timeout (--flush-timeout, given below).
"""
import argparse
import os
import select
import statistics
import subprocess
import time

TRACE = (
    "Traceback (most recent call last):\n"
    '  File "/srv/app/worker.py", line 42, in handle\n'
    "    result = process(job)\n"
    '  File "/srv/app/worker.py", line 17, in process\n'
    '    return job["payload"]["id"]\n'
    "KeyError: 'id'\n"
)
ORDINARY = "2026-11-29T05:00:01.000Z INFO worker: next job\n"


def read_line(fd, pending, deadline):
    """Reads from fd until a whole line is there; returns (line, rest) or (None, pending) at the deadline."""
    while b"\n" not in pending:
        left = deadline - time.perf_counter()
        if left <= 0:
            return None, pending
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return None, pending
        pending += chunk
    line, _, rest = pending.partition(b"\n")
    return line, rest


def file_case(weft, path):
    start = time.perf_counter()
    proc = subprocess.Popen([weft, path], stdout=subprocess.PIPE)
    first = proc.stdout.read(1)
    first_at = time.perf_counter()
    proc.stdout.read()
    proc.wait()
    end = time.perf_counter()
    assert first, "weft wrote nothing"
    return first_at - start, end - start


def empty_case(weft):
    start = time.perf_counter()
    subprocess.run([weft, "/dev/null"], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def live_case(weft, flush_timeout):
    proc = subprocess.Popen([weft, "--flush-timeout", flush_timeout], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        time.sleep(0.3)  # let it start and block on its input
        fd = proc.stdout.fileno()
        start = time.perf_counter()
        os.write(proc.stdin.fileno(), (TRACE + ORDINARY).encode())
        deadline = start + 10
        trace, pending = read_line(fd, b"", deadline)
        trace_at = time.perf_counter()
        held, pending = read_line(fd, pending, deadline)
        held_at = time.perf_counter()
        assert trace is not None and b"Traceback" in trace, trace
        assert held is not None and b"next job" in held, held
        return trace_at - start, held_at - start
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)


def ms(values):
    return f"{statistics.median(values) * 1e3:.1f}", f"{max(values) * 1e3:.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weft", required=True)
    parser.add_argument("--input", required=True, help="a small log file with a few records")
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()

    size = os.path.getsize(args.input)
    with open(args.input, "rb") as f:
        lines = f.read().count(b"\n")
    file_runs = [file_case(args.weft, args.input) for _ in range(args.runs)]
    empty_runs = [empty_case(args.weft) for _ in range(args.runs)]
    rows = [
        (f"file argument ({size} bytes, {lines} lines)", "spawn → first stdout byte", *ms([r[0] for r in file_runs])),
        ("", "spawn → exit", *ms([r[1] for r in file_runs])),
        ("empty input (/dev/null)", "spawn → exit", *ms(empty_runs)),
    ]
    for timeout in ("1s", "100ms"):
        live = [live_case(args.weft, timeout) for _ in range(max(5, args.runs // 3))]
        rows.append((f"stdin, live, --flush-timeout {timeout}", "write → traceback record (ended by the next line)",
                     *ms([r[0] for r in live])))
        rows.append(("", "write → held ordinary line (flush timeout)", *ms([r[1] for r in live])))

    print("| case | interval | median ms | worst ms |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(f"{args.runs} runs per file case, {max(5, args.runs // 3)} per live case.")


if __name__ == "__main__":
    main()
