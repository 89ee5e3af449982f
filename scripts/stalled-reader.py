#!/usr/bin/env python3
"""A reader that stalls for minutes: the long form of FaultInjectionTests' stalled-reader tests (which stall 3 s).

`weft tail` follows a file that an application keeps writing to (--rate lines a second, 1000 bytes each), with its
standard output a pipe this script does not read for --stall-seconds (a consumer that hung). Then the script reads
the pipe to its end. It proves:

  - weft blocks (asleep writing to the full pipe) and the pipe stays full for the whole stall, and weft reads
    nothing meanwhile (`rchar` in /proc/PID/io);
  - its resident memory stays flat and within --max-rss-mib (VmRSS sampled every second; VmHWM at the end);
  - the checkpoint saved during the stall lies within the records that reached the pipe;
  - once drained, every line written (before, during and after the stall) arrives exactly once, in order.

With --filter, the same for the filter (`weft FILE`, a file of --filter-lines lines written beforehand): it stops
reading its input while its output is stalled, and after the drain everything arrives once and it exits 0.

Usage: scripts/stalled-reader.py --weft /work/bin/weft --stall-seconds 300 [--rate 500] [--filter]
Prints one line of figures per phase and a summary; exits 1 if any check fails. Python 3 standard library only.
"""

import argparse
import fcntl
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

LINE = 1000
F_GETPIPE_SZ = 1032


def numbered(start, count):
    return b"".join(b"L%08d " % n + b"x" * (LINE - 11) + b"\n" for n in range(start, start + count))


def proc_field(pid, name, field):
    try:
        with open("/proc/%d/%s" % (pid, name)) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def queued(fd):
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def blocked(pid, read_fd, capacity):
    """Asleep waiting to write (write(2) or poll(2)) with less than a page of room left in the pipe."""
    try:
        with open("/proc/%d/wchan" % pid) as f:
            channel = f.read()
    except OSError:
        return False
    return ("pipe_write" in channel or "poll" in channel) and capacity - queued(read_fd) < 4096


class Drain(threading.Thread):
    def __init__(self, fd):
        super().__init__(daemon=True)
        self.fd = fd
        self.chunks = []
        self.lines = 0
        self.lock = threading.Lock()

    def run(self):
        while True:
            data = os.read(self.fd, 1 << 20)
            if not data:
                break
            with self.lock:
                self.chunks.append(data)
                self.lines += data.count(b"\n")

    def data(self):
        with self.lock:
            return b"".join(self.chunks)


def numbers(data):
    return [int(m) for m in re.findall(rb'"body":"L(\d{8})', data)]


def wait_blocked(process, read_fd, capacity, timeout=60):
    deadline = time.time() + timeout
    while not blocked(process.pid, read_fd, capacity):
        if time.time() > deadline or process.poll() is not None:
            return False
        time.sleep(0.01)
    return True


def stall(process, read_fd, capacity, seconds, meanwhile):
    """Leaves the pipe unread for `seconds`, sampling every second. Returns the samples' figures."""
    figures = {"rchar_before": proc_field(process.pid, "io", "rchar"), "rss_before": proc_field(process.pid, "status", "VmRSS")}
    peak = figures["rss_before"]
    stayed = True
    samples = []
    end = time.time() + seconds
    next_report = time.time() + 60
    while time.time() < end:
        time.sleep(min(1.0, max(0.0, end - time.time())))
        meanwhile()
        rss = proc_field(process.pid, "status", "VmRSS")
        peak = max(peak, rss)
        # The pipe stays full (the process may wake for a moment, as poll(2) sometimes does: nothing may move).
        stayed = stayed and capacity - queued(read_fd) < 4096
        samples.append(rss)
        if time.time() >= next_report:
            print("  %4.0f s stalled: VmRSS %d KiB, rchar %d, still blocked %s"
                  % (seconds - (end - time.time()), rss, proc_field(process.pid, "io", "rchar"), stayed), flush=True)
            next_report += 60
    figures.update(rchar_after=proc_field(process.pid, "io", "rchar"), rss_peak=peak, stayed_blocked=stayed,
                   rss_min=min(samples or [peak]), hwm=proc_field(process.pid, "status", "VmHWM"))
    return figures


def run_tail(args, work):
    failures = []
    logs = os.path.join(work, "logs")
    os.makedirs(logs)
    app = os.open(os.path.join(logs, "app.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    written = 0

    def append(count):
        nonlocal written
        os.write(app, numbered(written, count))
        written += count

    append(args.before_lines)
    read_fd, write_fd = os.pipe()
    capacity = fcntl.fcntl(read_fd, F_GETPIPE_SZ)
    stderr = open(os.path.join(work, "stderr.txt"), "ab")
    process = subprocess.Popen(
        [args.weft, "tail", "logs/*.log", "--state-dir", "state", "--flush-timeout", "100ms",
         "--checkpoint-interval", "100ms", "--round-budget", "16KiB"] + args.weft_args.split(),
        cwd=work, stdout=write_fd, stderr=stderr, stdin=subprocess.DEVNULL)
    os.close(write_fd)
    if not wait_blocked(process, read_fd, capacity):
        process.kill()
        return ["weft tail never blocked on its output"]
    started = time.time()
    carry = [0.0]

    def meanwhile():  # the application goes on logging at --rate lines a second
        carry[0] += args.rate * 1.0
        whole = int(carry[0])
        carry[0] -= whole
        if whole:
            append(whole)

    figures = stall(process, read_fd, capacity, args.stall_seconds, meanwhile)
    stalled_for = time.time() - started
    try:
        with open(os.path.join(work, "state", "checkpoints.json")) as f:
            saved = max((c["offset"] for c in json.load(f)["files"]), default=0)
    except (OSError, ValueError):
        saved = 0
    in_pipe = queued(read_fd)
    drain = Drain(read_fd)
    drain.start()
    drain_started = time.time()
    deadline = time.time() + args.drain_timeout
    while drain.lines < written and time.time() < deadline:
        time.sleep(0.05)
    drained_in = time.time() - drain_started
    hwm = proc_field(process.pid, "status", "VmHWM")
    process.send_signal(signal.SIGTERM)
    status = process.wait(timeout=60)
    drain.join(timeout=60)
    os.close(app)
    data = drain.data()
    records_in_pipe = data[:in_pipe].count(b"\n")
    got = numbers(data)

    if not figures["stayed_blocked"]:
        failures.append("tail: did not stay blocked for the whole stall")
    if figures["rchar_after"] != figures["rchar_before"]:
        failures.append("tail: read %d bytes while stalled" % (figures["rchar_after"] - figures["rchar_before"]))
    if figures["rss_peak"] > args.max_rss_mib << 10:
        failures.append("tail: VmRSS %d KiB over %d MiB" % (figures["rss_peak"], args.max_rss_mib))
    if saved > records_in_pipe * LINE:
        failures.append("tail: checkpoint %d past the %d records written" % (saved, records_in_pipe))
    if got != list(range(written)):
        missing = len(set(range(written)) - set(got))
        failures.append("tail: %d lines out for %d written, %d missing, %d repeated"
                        % (len(got), written, missing, len(got) - len(set(got))))
    if status != 0:
        failures.append("tail: exit status %d" % status)
    print("tail: stalled %.0f s; %d lines written (%d during the stall, %.0f MB), %d out, each once and in order: %s"
          % (stalled_for, written, written - args.before_lines, written * LINE / 1e6, len(got),
             got == list(range(written))))
    print("tail: read %.1f MiB before blocking and %d bytes while stalled; VmRSS %d KiB at the stall's start, %d-%d KiB"
          " during it; VmHWM %d KiB; checkpoint %d bytes, %d records in the pipe (%d bytes); drained in %.1f s; exit %d"
          % (figures["rchar_before"] / 1048576, figures["rchar_after"] - figures["rchar_before"], figures["rss_before"],
             figures["rss_min"], figures["rss_peak"], hwm, saved, records_in_pipe, in_pipe, drained_in, status))
    return failures


def run_filter(args, work):
    failures = []
    path = os.path.join(work, "input.log")
    with open(path, "wb") as f:
        for start in range(0, args.filter_lines, 1000):
            f.write(numbered(start, min(1000, args.filter_lines - start)))
    read_fd, write_fd = os.pipe()
    capacity = fcntl.fcntl(read_fd, F_GETPIPE_SZ)
    stderr = open(os.path.join(work, "filter-stderr.txt"), "ab")
    process = subprocess.Popen([args.weft, path], stdout=write_fd, stderr=stderr, stdin=subprocess.DEVNULL)
    os.close(write_fd)
    if not wait_blocked(process, read_fd, capacity):
        process.kill()
        return ["the filter never blocked on its output"]
    figures = stall(process, read_fd, capacity, args.stall_seconds, lambda: None)
    drain = Drain(read_fd)
    drain.start()
    status = process.wait(timeout=args.drain_timeout)
    drain.join(timeout=60)
    got = numbers(drain.data())
    if not figures["stayed_blocked"]:
        failures.append("filter: did not stay blocked for the whole stall")
    if figures["rchar_after"] != figures["rchar_before"]:
        failures.append("filter: read %d bytes while stalled" % (figures["rchar_after"] - figures["rchar_before"]))
    if figures["rss_peak"] > args.max_rss_mib << 10:
        failures.append("filter: VmRSS %d KiB over %d MiB" % (figures["rss_peak"], args.max_rss_mib))
    if got != list(range(args.filter_lines)):
        failures.append("filter: %d lines out for %d" % (len(got), args.filter_lines))
    if status != 0:
        failures.append("filter: exit status %d" % status)
    print("filter: stalled %.0f s; read %.1f MiB of %.0f MB before blocking, %d bytes while stalled; VmRSS %d KiB at the"
          " stall's start, %d-%d KiB during it, VmHWM %d KiB; %d of %d lines out, each once and in order: %s; exit %d"
          % (args.stall_seconds, figures["rchar_before"] / 1048576, args.filter_lines * LINE / 1e6,
             figures["rchar_after"] - figures["rchar_before"], figures["rss_before"], figures["rss_min"],
             figures["rss_peak"], figures["hwm"], len(got), args.filter_lines, got == list(range(args.filter_lines)),
             status))
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weft", default="/work/bin/weft")
    parser.add_argument("--stall-seconds", type=float, default=300.0)
    parser.add_argument("--rate", type=int, default=500, help="lines a second written during the stall")
    parser.add_argument("--before-lines", type=int, default=20000, help="lines in the file before weft starts")
    parser.add_argument("--filter", action="store_true", help="stall the filter (weft FILE) too")
    parser.add_argument("--filter-lines", type=int, default=50000)
    parser.add_argument("--max-rss-mib", type=int, default=64)
    parser.add_argument("--drain-timeout", type=float, default=600.0)
    parser.add_argument("--weft-args", default="", help="more flags for weft tail")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="weft-stalled-")
    try:
        failures = run_tail(args, work)
        if args.filter:
            failures += run_filter(args, work)
    finally:
        if args.keep:
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    for failure in failures:
        print("FAILED:", failure)
    print("stalled reader: %s" % ("ok" if not failures else "%d checks failed" % len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
