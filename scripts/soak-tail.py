#!/usr/bin/env python3
"""Soak test of `weft tail` (minutes; not part of CI).

Writes numbered lines to many files under a temporary logs/ directory, rotates every file again and again by one of
four methods, and kills weft with SIGKILL and restarts it at random moments, for --minutes. Then it stops writing,
lets weft catch up, sends SIGTERM and reports, from weft's output file:

  lines written vs out, missing lines per rotation method, duplicates, peak RSS (VmHWM of every weft process), and
  CPU seconds (user + system, from wait4) per MB of input.

Rotation methods (one per file, assigned round-robin):
  rename       rename-and-recreate: app-N.log -> app-N.log.<gen> (outside the glob); the writer appends a few more
               lines to the renamed file, then creates a new app-N.log (Docker's -json.log.1, kubelet's 0.log.<time>)
  copytruncate copy to app-N.log.<gen>, then truncate app-N.log to 0 (the writer's O_APPEND descriptor carries on)
  delete       unlink while open: the writer appends a few more lines to the deleted file, then creates a new one
  replace      write-temporary-then-rename: the next lines go to app-N.log.tmp, which is renamed over app-N.log

Missing lines must be 0 for rename, delete and replace. copytruncate can lose the lines written between weft's last
read and the truncation (the copy holds them under a name no glob matches, and the truncated file starts again at 0);
that is inherent to copytruncate, whatever the collector, and those lines are reported on their own line.

Two losses no collector can avoid are kept out of the run rather than reported: a file is deleted or replaced only
while weft runs (deleting a file nobody holds open destroys its unread lines), and a file is rotated only once weft
has saved a checkpoint naming it (`--strict`, the default; `--no-strict` rotates regardless and so also exposes the
window in which a file weft opened after its last checkpoint write is unknown to a restart).

Usage: scripts/soak-tail.py --weft .build/release/weft --minutes 3 [--files 16] [--rate 200] [--seed 1]
Python 3 standard library only.
"""

import argparse
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time

METHODS = ["rename", "copytruncate", "delete", "replace"]


class Writer:
    """One log file and its generations."""

    def __init__(self, directory, index, method):
        self.index = index
        self.method = method
        self.path = os.path.join(directory, "app-%02d.log" % index)
        self.generation = 0
        self.sequence = 0
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self.detached = False  # renamed or deleted; a few more lines go to it before a new file is made
        self.detached_lines = 0
        self.next_rotation = 0.0
        self.bytes = 0

    def inode(self):
        return os.fstat(self.fd).st_ino

    def write(self, count):
        lines = []
        for _ in range(count):
            lines.append("INFO f=%d g=%d s=%d m=%s the quick brown fox jumps over the lazy dog\n"
                         % (self.index, self.generation, self.sequence, self.method))
            self.sequence += 1
        data = "".join(lines).encode()
        os.write(self.fd, data)
        self.bytes += len(data)
        if self.detached:
            self.detached_lines -= count
            if self.detached_lines <= 0:
                self.reopen()

    def reopen(self):
        os.close(self.fd)
        self.generation += 1
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self.detached = False

    def rotate(self):
        if self.method == "rename":
            os.rename(self.path, "%s.%d" % (self.path, self.generation))
            self.detached, self.detached_lines = True, 20
        elif self.method == "delete":
            os.unlink(self.path)
            self.detached, self.detached_lines = True, 20
        elif self.method == "copytruncate":
            shutil.copyfile(self.path, "%s.%d" % (self.path, self.generation))
            os.truncate(self.path, 0)
            self.generation += 1  # lines after the truncation are told apart in the report
        elif self.method == "replace":
            temporary = self.path + ".tmp"
            os.close(self.fd)
            self.generation += 1
            self.fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
            self.write(5)
            os.rename(temporary, self.path)


class Weft:
    def __init__(self, binary, root, arguments):
        self.binary, self.root, self.arguments = binary, root, arguments
        self.process = None
        self.peak_rss_kib = 0
        self.cpu_seconds = 0.0
        self.starts = 0
        self.stderr = open(os.path.join(root, "stderr.txt"), "ab")

    def start(self):
        self.pid = self._spawn()
        self.starts += 1

    def _spawn(self):
        pid = os.fork()
        if pid == 0:
            try:
                os.chdir(self.root)
                null = os.open("/dev/null", os.O_RDWR)
                os.dup2(null, 0)
                os.dup2(null, 1)
                os.dup2(self.stderr.fileno(), 2)
                os.execv(self.binary, [self.binary] + self.arguments)
            finally:
                os._exit(127)
        return pid

    def sample(self):
        try:
            # Between fork and execv the child is a copy of this (large) Python process: its VmHWM is not weft's.
            if os.path.realpath("/proc/%d/exe" % self.pid) != os.path.realpath(self.binary):
                return
            with open("/proc/%d/status" % self.pid) as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        self.peak_rss_kib = max(self.peak_rss_kib, int(line.split()[1]))
        except OSError:
            pass

    def stop(self, sig):
        self.sample()
        os.kill(self.pid, sig)
        _, status, usage = os.wait4(self.pid, 0)
        self.cpu_seconds += usage.ru_utime + usage.ru_stime
        return status


class OutputReader:
    """Follows weft's output file: which (file, sequence) lines have come out so far."""

    def __init__(self, path):
        self.path, self.offset, self.partial, self.seen = path, 0, b"", set()

    def poll(self):
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except OSError:
            return
        self.offset += len(data)
        data = self.partial + data
        cut = data.rfind(b"\n") + 1
        self.partial = data[cut:]
        for file, _, sequence in parse_lines(data[:cut].splitlines())[0]:
            self.seen.add((file, sequence))


def fnv1a(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def checkpointed(path, writer):
    """Whether weft's saved checkpoints name this file: its inode AND its fingerprint (an inode freed by a deleted
    file and reused by a new one is not enough)."""
    try:
        with open(path) as handle:
            entries = json.load(handle)["files"]
        fd = os.open(writer.path, os.O_RDONLY)
    except (OSError, ValueError, KeyError):
        return False
    try:
        inode = os.fstat(fd).st_ino
        if inode != writer.inode():
            return False
        for entry in entries:
            if entry["inode"] == inode:
                n = entry.get("fingerprint_length", 0)
                data = os.pread(fd, n, 0)
                if n > 0 and len(data) == n and fnv1a(data) == entry["fingerprint"]:
                    return True
        return False
    finally:
        os.close(fd)


def weft_holds(pid, inode):
    """Whether process pid has a descriptor open on inode (weft has opened the file)."""
    try:
        for name in os.listdir("/proc/%d/fd" % pid):
            try:
                if os.stat("/proc/%d/fd/%s" % (pid, name)).st_ino == inode:
                    return True
            except OSError:
                pass
    except OSError:
        pass
    return False


def read_output(path):
    with open(path, "rb") as handle:
        return parse_lines(handle)


def parse_lines(raws):
    """Records' numbered lines: [(file, generation, sequence)], and how many output lines were torn by kill -9."""
    lines, torn = [], 0
    for raw in raws:
        try:
            record = json.loads(raw)
        except ValueError:
            torn += 1
            start = raw.rfind(b'{"observed_timestamp"')
            if start <= 0:
                continue
            try:
                record = json.loads(raw[start:])
            except ValueError:
                continue
        for text in record.get("body", "").split("\n"):
            fields = dict(word.split("=", 1) for word in text.split(" ")[1:5] if "=" in word)
            if {"f", "g", "s"} <= fields.keys():
                lines.append((int(fields["f"]), int(fields["g"]), int(fields["s"])))
    return lines, torn


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weft", default=".build/release/weft")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--rate", type=int, default=200, help="lines per second per file")
    parser.add_argument("--rotate-every", type=float, nargs=2, default=[0.5, 4.0], metavar=("MIN", "MAX"),
                        help="seconds between a file's rotations")
    parser.add_argument("--kill-every", type=float, nargs=2, default=[1.0, 8.0], metavar=("MIN", "MAX"),
                        help="seconds weft runs before each kill -9")
    parser.add_argument("--down", type=float, nargs=2, default=[0.1, 2.0], metavar=("MIN", "MAX"),
                        help="seconds weft stays down")
    parser.add_argument("--methods", default=",".join(METHODS),
                        help="rotation methods to use, comma-separated (files get them round-robin)")
    parser.add_argument("--strict", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--weft-args", default="--flush-timeout 200ms --rotate-wait 1s --checkpoint-interval 500ms "
                        "--glob-interval 250ms", help="extra options for weft tail")
    options = parser.parse_args()
    binary = os.path.abspath(options.weft)
    random.seed(options.seed)

    root = tempfile.mkdtemp(prefix="weft-soak-")
    logs = os.path.join(root, "logs")
    os.mkdir(logs)
    arguments = ["tail", "logs/*.log", "--state-dir", "state", "--output", "out.jsonl"] + options.weft_args.split()
    checkpoints = os.path.join(root, "state", "checkpoints.json")
    methods = options.methods.split(",")
    writers = [Writer(logs, index, methods[index % len(methods)]) for index in range(options.files)]
    weft = Weft(binary, root, arguments)
    weft.start()
    up = True
    started = time.monotonic()
    end = started + options.minutes * 60
    next_switch = started + random.uniform(*options.kill_every)
    for writer in writers:
        writer.next_rotation = started + random.uniform(*options.rotate_every)
    kills = rotations = rotations_while_down = deferred = postponed_kills = 0
    pending = []
    output = OutputReader(os.path.join(root, "out.jsonl"))
    tick = 0.01
    per_tick = max(1, int(options.rate * tick))
    next_sample = started
    while time.monotonic() < end:
        now = time.monotonic()
        for writer in writers:
            writer.write(per_tick)
            if now >= writer.next_rotation and not writer.detached:
                if not up and writer.method in ("delete", "replace"):
                    deferred += 1
                    continue
                if up and writer.method in ("delete", "replace") and not weft_holds(weft.pid, writer.inode()):
                    # "While weft runs" means weft has the file open, not merely that it was forked 10 ms ago.
                    deferred += 1
                    continue
                if options.strict and not checkpointed(checkpoints, writer):
                    deferred += 1
                    continue
                if writer.method in ("delete", "replace"):
                    # Its last lines must be out before weft may be killed: nothing can read them afterwards.
                    pending.append((writer.index, writer.sequence + (20 if writer.method == "delete" else 0) - 1, now))
                writer.rotate()
                rotations += 1
                rotations_while_down += 0 if up else 1
                writer.next_rotation = now + random.uniform(*options.rotate_every)
        if now >= next_switch and up and pending:
            output.poll()
            # A line still not out after 10 s will not come (it is counted missing): stop waiting for it.
            pending = [entry for entry in pending if entry[:2] not in output.seen and now - entry[2] < 10]
            if pending:
                postponed_kills += 1
                next_switch = now + 0.05
        if now >= next_switch:
            if up:
                weft.stop(signal.SIGKILL)
                kills += 1
                next_switch = now + random.uniform(*options.down)
            else:
                weft.start()
                next_switch = now + random.uniform(*options.kill_every)
            up = not up
        if up and now >= next_sample:
            weft.sample()
            next_sample = now + 0.5
        time.sleep(tick)
    # Stop writing (files left as they are), let weft catch up: output quiet for 3 s.
    for writer in writers:
        if writer.detached:
            writer.reopen()
    if not up:
        weft.start()
    out = os.path.join(root, "out.jsonl")
    last_size, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < 3.0:
        size = os.path.getsize(out) if os.path.exists(out) else 0
        if size != last_size:
            last_size, quiet_since = size, time.monotonic()
        weft.sample()
        time.sleep(0.1)
    status = weft.stop(signal.SIGTERM)
    exit_code = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - started

    lines, torn = read_output(out)
    seen = {}
    for key in lines:
        seen[key[0], key[2]] = seen.get((key[0], key[2]), 0) + 1
    written_bytes = sum(writer.bytes for writer in writers)
    report = {"written": 0, "out": 0, "missing": 0}
    by_method = {method: {"written": 0, "distinct_out": 0, "missing": 0, "duplicates": 0} for method in METHODS}
    for writer in writers:
        counts = by_method[writer.method]
        counts["written"] += writer.sequence
        for sequence in range(writer.sequence):
            occurrences = seen.get((writer.index, sequence), 0)
            if occurrences:
                counts["distinct_out"] += 1
                counts["duplicates"] += occurrences - 1
            else:
                counts["missing"] += 1
    order_errors = 0
    last = {}
    first_seen = set()
    for file, generation, sequence in lines:
        if (file, sequence) in first_seen:
            continue
        first_seen.add((file, sequence))
        if last.get((file, generation), -1) > sequence:
            order_errors += 1
        last[file, generation] = sequence
    total_written = sum(counts["written"] for counts in by_method.values())
    total_missing = sum(counts["missing"] for counts in by_method.values())
    duplicates = sum(counts["duplicates"] for counts in by_method.values())
    print("weft tail soak: %.1f min, %d files, %d lines/s per file, seed %d, %s"
          % (elapsed / 60, options.files, options.rate, options.seed, "strict" if options.strict else "not strict"))
    print("  weft %s %s" % (binary, " ".join(arguments)))
    print("  weft starts %d, kill -9 %d (%d postponed until a deleted file's last line was out), rotations %d "
          "(%d while weft was down, %d postponed), final exit code %d"
          % (weft.starts, kills, postponed_kills, rotations, rotations_while_down, deferred, exit_code))
    print("  lines written %d (%.1f MB), output lines %d (%d torn by kill -9), distinct %d"
          % (total_written, written_bytes / 1e6, len(lines), torn, len(seen)))
    print("  | method | written | out (distinct) | missing | duplicates |")
    print("  | --- | --- | --- | --- | --- |")
    for method in METHODS:
        counts = by_method[method]
        print("  | %s | %d | %d | %d | %d |" % (method, counts["written"], counts["distinct_out"], counts["missing"],
                                               counts["duplicates"]))
    non_copytruncate_missing = total_missing - by_method["copytruncate"]["missing"]
    print("  missing, rename/delete/replace (must be 0): %d" % non_copytruncate_missing)
    print("  missing, copytruncate (inherent: written between weft's last read and the truncation): %d"
          % by_method["copytruncate"]["missing"])
    print("  duplicates %d (%.2f%% of lines written), out of order per file (after removing repeats) %d"
          % (duplicates, 100.0 * duplicates / max(1, total_written), order_errors))
    print("  peak RSS (VmHWM, max over weft processes) %.1f MiB" % (weft.peak_rss_kib / 1024))
    print("  CPU %.2f s user+system for %.1f MB of input: %.3f CPU s per MB"
          % (weft.cpu_seconds, written_bytes / 1e6, weft.cpu_seconds / max(written_bytes / 1e6, 1e-9)))
    if options.keep:
        print("  kept %s" % root)
    else:
        shutil.rmtree(root, ignore_errors=True)
    return 0 if non_copytruncate_missing == 0 and exit_code == 0 and order_errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
