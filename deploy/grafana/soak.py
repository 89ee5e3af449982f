#!/usr/bin/env python3
"""The soak run behind deploy/grafana/weft.png: `weft tail` under load and trouble, its /metrics scraped every second.

  deploy/grafana/soak.py --weft .build/release/weft [--minutes 4] [--out deploy/grafana/soak]

Writes lines to --files files under a temporary logs/ directory at --rate lines per second each, with a captured
Sample (Go, Java, Python, Node.js crashes: Samples/*/*.log, real programs' output) appended to a random file every
--sample-every seconds, and rotates the files by the four methods of scripts/soak-tail.py (its Writer is reused:
rename, copytruncate, delete, replace). Weft ships to the loopback OTLP sink (Benchmarks/otlp_sink.py) whose --faults
timeline, scaled to --minutes, makes the backend misbehave on purpose:

  0-25 %  healthy
  25-40 % slow: every answer 0.5 s late (the queue fills, reading pauses: backpressure)
  40-55 % failing: 503 to 25 % of requests, 429 to 10 %, connections reset on 10 % (retries by cause)
  55-62 % stalled: every answer 3 s late, past weft's 2 s --otlp-timeout (timeouts, a full queue, reading stopped)
  62-75 % refusing: 400 to 5 % of requests (dead letters), otherwise healthy
  75-100 % healthy: weft catches up

Every second it GETs /metrics and appends "# scrape T" (seconds since start) and the text to OUT/scrape.txt.gz
(after a first "# instance HOST:PORT" line, the label Prometheus would add). At the end it stops writing and
scraping, stops weft (SIGTERM: it flushes what is pending) and the sink, and writes OUT/summary.json: lines and bytes
written, the run's length, the sink's answers by kind, and weft's exit status.
Python 3 standard library only; render.py turns the capture into the PNG.
"""

import argparse
import glob
import gzip
import importlib.util
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def soak_tail():
    """scripts/soak-tail.py as a module (its file name has a dash)."""
    spec = importlib.util.spec_from_file_location("soak_tail", os.path.join(ROOT, "scripts/soak-tail.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def faults(seconds):
    """The sink's --faults timeline for a run of `seconds`."""
    at = lambda fraction: int(seconds * fraction)  # noqa: E731
    return " ".join([
        "0:ok", f"{at(0.25)}:delay=0.5", f"{at(0.40)}:503=0.25,429=0.1,reset=0.1", f"{at(0.55)}:delay=3",
        f"{at(0.62)}:400=0.05", f"{at(0.75)}:ok"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weft", required=True)
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--rate", type=int, default=400, help="lines per second per file")
    parser.add_argument("--sample-every", type=float, default=0.5)
    parser.add_argument("--rotate-every", type=float, nargs=2, default=[5.0, 20.0], metavar=("MIN", "MAX"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=os.path.join(ROOT, "deploy/grafana/soak"))
    options = parser.parse_args()
    random.seed(options.seed)
    seconds = options.minutes * 60
    os.makedirs(options.out, exist_ok=True)
    samples = [open(path, "rb").read() for path in sorted(glob.glob(os.path.join(ROOT, "Samples/*/*.log")))
               if "/pipes/" not in path and "/mixed/" not in path]

    root = tempfile.mkdtemp(prefix="weft-grafana-soak-")
    os.makedirs(os.path.join(root, "logs"))
    timeline = faults(seconds)
    sink = subprocess.Popen([sys.executable, os.path.join(ROOT, "Benchmarks/otlp_sink.py"), "--faults", timeline,
                             "--seed", str(options.seed)], stdout=subprocess.PIPE, text=True)
    port = int(sink.stdout.readline().split()[1])
    started = time.monotonic()
    tail = soak_tail()
    writers = [tail.Writer(os.path.join(root, "logs"), index, tail.METHODS[index % 4])
               for index in range(options.files)]
    for writer in writers:
        writer.next_rotation = started + random.uniform(*options.rotate_every)
    stderr = open(os.path.join(root, "stderr.txt"), "wb")
    weft = subprocess.Popen(
        [os.path.abspath(options.weft), "tail", "logs/*.log", "--state-dir", "state", "--otlp-endpoint",
         f"http://127.0.0.1:{port}", "--otlp-timeout", "2s", "--metrics-address", "127.0.0.1:0",
         "--flush-timeout", "200ms", "--rotate-wait", "1s"],
        cwd=root, stdout=subprocess.DEVNULL, stderr=stderr)
    base = None
    while base is None and time.monotonic() - started < 30:
        found = re.search(r"serving /metrics.*?address=(\S+)", open(os.path.join(root, "stderr.txt")).read())
        base = found.group(1) if found else time.sleep(0.1)
    if base is None:
        raise SystemExit("soak: weft did not serve /metrics")

    capture = gzip.open(os.path.join(options.out, "scrape.txt.gz"), "wt", compresslevel=9)
    capture.write(f"# instance {base.split('//')[1]}\n")
    stop_scraping = threading.Event()

    def scrape():
        next_at = time.monotonic()
        while not stop_scraping.is_set():
            try:
                text = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
                capture.write(f"# scrape {time.monotonic() - started:.3f}\n{text}")
            except OSError as error:
                print(f"soak: scrape failed: {error}", file=sys.stderr)
            next_at += 1.0
            stop_scraping.wait(max(0.0, next_at - time.monotonic()))

    scraper = threading.Thread(target=scrape)
    scraper.start()

    lines = sample_bytes = samples_written = rotations = 0
    tick = 0.1
    next_sample = started
    next_tick = started
    while time.monotonic() - started < seconds:
        now = time.monotonic()
        for writer in writers:
            writer.write(int(options.rate * tick))
            lines += int(options.rate * tick)
            if now >= writer.next_rotation and not writer.detached:
                writer.rotate()
                rotations += 1
                writer.next_rotation = now + random.uniform(*options.rotate_every)
        while now >= next_sample:
            writer = random.choice(writers)
            sample = random.choice(samples)
            os.write(writer.fd, sample)
            sample_bytes += len(sample)
            samples_written += 1
            next_sample += options.sample_every
        next_tick += tick
        time.sleep(max(0.0, next_tick - time.monotonic()))
    written_for = time.monotonic() - started
    stop_scraping.set()
    scraper.join()
    capture.close()
    weft.send_signal(signal.SIGTERM)
    status = weft.wait(timeout=60)
    sink.send_signal(signal.SIGTERM)
    answers = json.loads(sink.stdout.readline())
    sink.wait()
    summary = {
        "seconds": round(time.monotonic() - started, 1), "writing_seconds": round(written_for, 1),
        "files": options.files, "rate_lines_per_second_per_file": options.rate,
        "plain_lines_written": lines, "plain_bytes_written": sum(w.bytes for w in writers),
        "samples_appended": samples_written, "sample_bytes": sample_bytes, "rotations": rotations,
        "faults": timeline, "sink": answers, "weft_exit_status": status,
    }
    with open(os.path.join(options.out, "summary.json"), "w") as file:
        json.dump(summary, file, indent=2)
        file.write("\n")
    print(json.dumps(summary))
    shutil.copy(os.path.join(root, "stderr.txt"), os.path.join(options.out, "weft-stderr.txt"))
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
