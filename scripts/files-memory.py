#!/usr/bin/env python3
"""What each followed file costs `weft tail` in memory: runs it on N one-line files in one directory, for each N of
--files, and reports its resident memory once every line is out and the checkpoints are written (VmRSS, steady) and
at its highest (VmHWM, peak), with the slope between the smallest and the largest N in bytes per file.

Usage: scripts/files-memory.py --weft .build/debug/weft --files 1000 20000 [--weft-args "..."]
Python 3 standard library only.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def field(pid, name):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(name + ":"):
                    return int(line.split()[1]) << 10
    except OSError:
        pass
    return 0


def measure(weft, count, extra, timeout):
    work = tempfile.mkdtemp(prefix="weft-files-")
    try:
        logs = os.path.join(work, "logs")
        os.makedirs(logs)
        for index in range(count):
            with open(os.path.join(logs, "f%06d.log" % index), "w") as f:
                f.write("INFO file %d\n" % index)
        out = os.path.join(work, "out.jsonl")
        stderr = open(os.path.join(work, "stderr.txt"), "w")
        started = time.time()
        process = subprocess.Popen(
            [weft, "tail", os.path.join(logs, "*.log"), "--state-dir", os.path.join(work, "state"), "--output", out,
             "--rotate-wait", "1s", "--checkpoint-interval", "1s", "--flush-timeout", "100ms"] + extra,
            stdout=subprocess.DEVNULL, stderr=stderr, stdin=subprocess.DEVNULL)
        deadline = started + timeout
        lines = 0
        while time.time() < deadline:
            time.sleep(0.5)
            try:
                with open(out, "rb") as f:
                    lines = f.read().count(b"\n")
            except OSError:
                lines = 0
            if lines >= count:
                break
        read_in = time.time() - started
        # Settle: every file let go or open, the checkpoints written with every file, a few scans after.
        checkpoints = os.path.join(work, "state", "checkpoints.json")
        saved = 0
        while time.time() < deadline:
            try:
                with open(checkpoints) as f:
                    saved = len(json.load(f)["files"])
            except (OSError, ValueError):
                saved = 0
            if saved >= count:
                break
            time.sleep(0.5)
        time.sleep(3)
        rss = field(process.pid, "VmRSS")
        hwm = field(process.pid, "VmHWM")
        size = os.path.getsize(checkpoints) if os.path.exists(checkpoints) else 0
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=120)
        return {"files": count, "lines": lines, "seconds": read_in, "rss": rss, "hwm": hwm, "checkpoint_bytes": size,
                "checkpointed": saved, "status": status}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weft", default=".build/debug/weft")
    parser.add_argument("--files", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--weft-args", default="")
    args = parser.parse_args()
    results = []
    for count in args.files:
        result = measure(args.weft, count, args.weft_args.split(), args.timeout)
        results.append(result)
        print("%7d files: %d lines out in %.0f s, VmRSS %.1f MiB, VmHWM %.1f MiB, checkpoints.json %.1f MB (%d files),"
              " exit %d" % (count, result["lines"], result["seconds"], result["rss"] / 1048576,
                            result["hwm"] / 1048576, result["checkpoint_bytes"] / 1e6, result["checkpointed"],
                            result["status"]), flush=True)
    if len(results) >= 2:
        first, last = results[0], results[-1]
        files = last["files"] - first["files"]
        print("per file: VmRSS %.0f bytes, VmHWM %.0f bytes, checkpoint %.0f bytes"
              % ((last["rss"] - first["rss"]) / files, (last["hwm"] - first["hwm"]) / files,
                 (last["checkpoint_bytes"] - first["checkpoint_bytes"]) / files))
    return 0 if all(r["lines"] >= r["files"] and r["status"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
