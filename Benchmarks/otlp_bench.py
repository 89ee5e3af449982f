#!/usr/bin/env python3
"""`weft tail` into OTLP/HTTP on loopback against `weft tail --output FILE`: Benchmarks/run.sh --only otlp.

  otlp_bench.py --weft BIN --data DIR --results DIR --size MIB --formats plain,docker --runs N
                [--modes file,devnull,protobuf-gzip,protobuf-none,json-none] [--no-check] [--weft-args '...']

For each input (bench-data/<format>-<size>.log) and each run, every mode once, in turn (so the machine's drift
spreads over all modes alike):

  file            weft tail GLOB --state-dir S --output OUT.jsonl            (a real file, deleted after the run)
  devnull         weft tail GLOB --state-dir S --output /dev/null            (the same without the file system)
  protobuf-gzip   weft tail GLOB --state-dir S --otlp-endpoint http://127.0.0.1:PORT --otlp-protocol http/protobuf
                  --otlp-compression gzip                                     (and so on for the other modes)

Each run starts from nothing but the input, read whole just before it so that it comes from the page cache (on this
VM a daemon, DAMON, pages out what was not touched for a minute): a fresh directory with the input symlinked as
logs/pods/bench_app-0_<uid>/app/0.log (so records carry the k8s.* resource a node agent sees), a fresh state
directory and, for OTLP, a fresh otlp_sink.py. weft runs under /usr/bin/time with --stats-interval 20ms; once a stats
line shows bytes_read equal to the input's size, weft gets SIGTERM: it flushes the records still pending, waits until
the output has written them (the file) or the receiver has answered every batch (OTLP), writes its checkpoints and
exits. The wall time is spawn to exit: start-up, reading, parsing, encoding, compression, delivery, and at most one
stats interval (plus this script's 5 ms poll) between the last read and the signal. weft's CPU (user+sys) and peak
RSS come from /usr/bin/time; the receiver's CPU from its own getrusage.

Records: counted in the file output (lines of the first run's OUT.jsonl). Unless --no-check, one untimed run per
input and OTLP mode with otlp_sink.py --count-records checks that the receiver got exactly that many.

Raw results: RESULTS/otlp-<format>-<size>.<mode>.times ("wall user sys maxrss_kib" per run), .sink (the receiver's
JSON line per run), .reading (seconds from spawn to the stats line that showed the last byte read), .check; the
table on standard output.
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIB = 1 << 20
MODES = {
    "file": None,
    "devnull": None,
    "protobuf-gzip": ("http/protobuf", "gzip"),
    "protobuf-none": ("http/protobuf", "none"),
    "json-gzip": ("http/json", "gzip"),
    "json-none": ("http/json", "none"),
}
LABEL = {
    "file": "file output (--output FILE)",
    "devnull": "--output /dev/null",
    "protobuf-gzip": "OTLP protobuf, gzip",
    "protobuf-none": "OTLP protobuf, none",
    "json-gzip": "OTLP JSON, gzip",
    "json-none": "OTLP JSON, none",
}
POD = "logs/pods/bench_app-0_6f1c2d3e-0000-4000-8000-000000000000/app/0.log"
GLOB = "logs/pods/*/*/*.log"
STATS_INTERVAL = "20ms"
READ_TIMEOUT = 300  # seconds; a run that has not read the input by then is broken, not slow


def start_sink(count_records=False):
    argv = [sys.executable, str(HERE / "otlp_sink.py")] + (["--count-records"] if count_records else [])
    sink = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    line = sink.stdout.readline()
    if not line.startswith("listening "):
        sys.exit(f"otlp_bench.py: the receiver did not start ({line!r})")
    return sink, int(line.split()[1])


def stop_sink(sink):
    sink.send_signal(signal.SIGTERM)
    out, _ = sink.communicate(timeout=30)
    return json.loads(out.strip().splitlines()[-1])


def weft_pid(time_pid, timeout=5.0):
    """The pid of the child /usr/bin/time started."""
    deadline = time.monotonic() + timeout
    path = f"/proc/{time_pid}/task/{time_pid}/children"
    while time.monotonic() < deadline:
        try:
            children = Path(path).read_text().split()
        except OSError:
            children = []
        if children:
            return int(children[0])
        time.sleep(0.001)
    sys.exit("otlp_bench.py: /usr/bin/time started no child")


def count_lines(path):
    count = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            count += chunk.count(b"\n")
    return count


def warm(path):
    """Reads the file whole, so the run reads it from the page cache: on this VM a daemon (DAMON) pages out what was
    not touched for a minute, the input of the other format included."""
    with open(path, "rb", buffering=0) as f:
        while f.read(1 << 24):
            pass


def one_run(weft, input_path, mode, shutdown_timeout="60s", count_records=False, extra=()):
    """One run; returns a dict with wall, user, sys, rss_kib, reading_s, records_file (file mode), sink (OTLP)."""
    input_path = os.path.abspath(input_path)  # the symlink's target
    size = os.path.getsize(input_path)
    warm(input_path)
    with tempfile.TemporaryDirectory(prefix="weft-otlp-bench-") as root:
        root = Path(root)
        pod = root / POD
        pod.parent.mkdir(parents=True)
        pod.symlink_to(input_path)
        argv = [weft, "tail", GLOB, "--state-dir", "state", "--stats-interval", STATS_INTERVAL,
                "--shutdown-timeout", shutdown_timeout] + list(extra)
        sink = None
        if mode == "file":
            argv += ["--output", "out.jsonl"]
        elif mode == "devnull":
            argv += ["--output", "/dev/null"]
        else:
            sink, port = start_sink(count_records)
            protocol, compression = MODES[mode]
            argv += ["--otlp-endpoint", f"http://127.0.0.1:{port}", "--otlp-protocol", protocol,
                     "--otlp-compression", compression]
        err_path = root / "stderr.txt"
        with open(err_path, "wb") as err, open(os.devnull, "wb") as null:
            started = time.monotonic()
            timer = subprocess.Popen(["/usr/bin/time", "-f", "%e %U %S %M", "-o", str(root / "time.txt")] + argv,
                                     cwd=root, stdout=null, stderr=err)
            pid = weft_pid(timer.pid)
            needle = f" bytes_read={size} ".encode()
            reading = None
            with open(err_path, "rb") as follow:
                seen = b""
                while reading is None:
                    chunk = follow.read()
                    if chunk:
                        seen = seen[-4096:] + chunk
                        if needle in seen:
                            reading = time.monotonic() - started
                            break
                    if timer.poll() is not None:
                        sys.exit(f"otlp_bench.py: weft exited early:\n{err_path.read_text()[-2000:]}")
                    if time.monotonic() - started > READ_TIMEOUT:
                        os.kill(pid, signal.SIGKILL)
                        timer.wait()
                        sys.exit(f"otlp_bench.py: weft did not read {input_path} whole in {READ_TIMEOUT} s:\n"
                                 f"{err_path.read_text()[-1500:]}")
                    time.sleep(0.005)
            os.kill(pid, signal.SIGTERM)
            timer.wait()
        wall, user, sys_, rss = (root / "time.txt").read_text().split()[-4:]
        result = {"wall": float(wall), "user": float(user), "sys": float(sys_), "rss_kib": int(rss),
                  "reading_s": round(reading, 3)}
        stderr_text = err_path.read_text()
        problems = [line for line in stderr_text.splitlines() if line.startswith("weft:") and "following" not in line]
        if problems:
            result["weft_messages"] = problems[-5:]
        if sink is not None:
            result["sink"] = stop_sink(sink)
        elif mode == "file":
            result["records_file"] = count_lines(root / "out.jsonl")
        return result


def fmt_rate(value):
    if value >= 1e6:
        return f"{value / 1e6:.2f} M"
    if value >= 1e3:
        return f"{value / 1e3:.0f} K"
    return f"{value:.0f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weft", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--size", default="200")
    parser.add_argument("--formats", default="plain,docker")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--modes", default="file,devnull,protobuf-gzip,protobuf-none,json-none")
    parser.add_argument("--no-check", action="store_true")
    parser.add_argument("--weft-args", default="", help="more options for every weft tail run, e.g. "
                        "'--batch-max-records 5000' (split at spaces)")
    args = parser.parse_args()
    args.weft = os.path.abspath(args.weft)  # weft runs in a directory of its own
    modes = args.modes.split(",")
    for mode in modes:
        if mode not in MODES:
            sys.exit(f"otlp_bench.py: unknown mode {mode} (one of {', '.join(MODES)})")
    if "file" not in modes:
        modes.insert(0, "file")  # the baseline, and where the record count comes from
    results = Path(args.results)
    rows, notes = [], []
    for fmt in args.formats.split(","):
        input_path = str(Path(args.data) / f"{fmt}-{args.size}.log")
        size = os.path.getsize(input_path)
        name = f"otlp-{fmt}-{args.size}"
        runs = {mode: [] for mode in modes}
        records = None
        for i in range(args.runs):
            for mode in modes:
                print(f"otlp_bench.py: {fmt} run {i + 1}/{args.runs}: {mode}", file=sys.stderr, flush=True)
                r = one_run(args.weft, input_path, mode, extra=args.weft_args.split())
                runs[mode].append(r)
                with open(results / f"{name}.{mode}.times", "a") as f:
                    f.write(f"{r['wall']} {r['user']} {r['sys']} {r['rss_kib']}\n")
                with open(results / f"{name}.{mode}.reading", "a") as f:
                    f.write(f"{r['reading_s']}\n")
                if "sink" in r:
                    with open(results / f"{name}.{mode}.sink", "a") as f:
                        f.write(json.dumps(r["sink"]) + "\n")
                if "records_file" in r:
                    if records is not None and records != r["records_file"]:
                        notes.append(f"{fmt}: file output runs differ in records ({records} vs {r['records_file']})")
                    records = r["records_file"]
                for message in r.get("weft_messages", []):
                    notes.append(f"{fmt} {mode} run {i + 1}: {message}")
        checks = {}
        if not args.no_check:
            for mode in modes:
                if MODES[mode] is None:
                    continue
                print(f"otlp_bench.py: {fmt}: check run, {mode}, records counted by the receiver",
                      file=sys.stderr, flush=True)
                r = one_run(args.weft, input_path, mode, shutdown_timeout="300s", count_records=True,
                            extra=args.weft_args.split())
                checks[mode] = r["sink"].get("records")
                with open(results / f"{name}.{mode}.check", "w") as f:
                    f.write(json.dumps(r) + "\n")
        file_walls = [r["wall"] for r in runs["file"]]
        null_walls = [r["wall"] for r in runs["devnull"]] if "devnull" in runs else None

        def paired(walls, rs):
            """Median over rounds of this mode's speed ÷ the baseline's in the same round (drift mostly cancels)."""
            return f"{statistics.median(w / r['wall'] for w, r in zip(walls, rs)):.2f}" if walls else "–"

        for mode in modes:
            rs = runs[mode]
            wall = statistics.median(r["wall"] for r in rs)
            cpu = statistics.median(r["user"] + r["sys"] for r in rs)
            sys_ = statistics.median(r["sys"] for r in rs)
            rss = statistics.median(r["rss_kib"] for r in rs) / 1024
            best = min(r["wall"] for r in rs)
            sink = [r["sink"] for r in rs if "sink" in r]
            if sink:
                sink_cpu = statistics.median(x["cpu_s"] for x in sink)
                sent = f"{statistics.median(x['body_bytes'] for x in sink) / MIB:.1f}"
                requests = f"{statistics.median(x['requests'] for x in sink):.0f}"
                receiver = f"{sink_cpu:.2f} ({sink_cpu / wall:.0%})"
            else:
                sent = requests = receiver = "–"
            if mode in checks:
                check = "✓" if checks[mode] == records else f"✗ {checks[mode]}"
            else:
                check = "–" if MODES[mode] is None else "not checked"
            rows.append([fmt, f"{size / MIB:.0f}", LABEL[mode], f"{size / 1e6 / wall:.0f}",
                         f"{size / MIB / wall:.0f}", f"{size / 1e6 / best:.0f}",
                         fmt_rate(records / wall) if records else "–", f"{wall:.2f}", f"{cpu:.2f}", f"{sys_:.2f}",
                         f"{cpu / wall:.2f}", f"{rss:.1f}", paired(file_walls, rs), paired(null_walls, rs),
                         sent, requests, receiver, check])
        notes.append(f"{fmt}: {records} records (lines of the file output)")
    header = ["input", "MiB", "output", "MB/s", "MiB/s", "best MB/s", "records/s", "wall s", "CPU s (user+sys)",
              "of which sys", "cores busy (CPU ÷ wall)", "peak RSS MiB", "speed ÷ file output (paired)",
              "speed ÷ /dev/null output (paired)", "MiB sent", "requests", "receiver CPU s (share of wall)",
              "records received = file output's"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(" --- " for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(f"Medians of {args.runs} runs, except best MB/s (the fastest run). MB = 10^6 bytes, MiB = 2^20; "
          "input bytes over wall time, spawn to exit. Records: lines of the file output, the same for every mode.")
    if args.weft_args:
        print(f"- every run with {args.weft_args}")
    for note in notes:
        print(f"- {note}")


if __name__ == "__main__":
    main()
