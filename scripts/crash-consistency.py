#!/usr/bin/env python3
"""Crash consistency of `weft tail` shipping over OTLP/HTTP: kill -9 at random moments, prove nothing was lost.

Writes numbered lines to many files under a temporary logs/ directory and rotates every file again and again (rename,
copytruncate, delete-while-open, replace-by-rename: the rotations of scripts/soak-tail.py, with its rules for what
no collector can survive). `weft tail` ships the records over OTLP/HTTP to a receiver inside this script, on
127.0.0.1, that fails on purpose: 5xx, 429 with Retry-After, slow answers, connections dropped without an answer.
Weft is `kill -9`ed at random moments (--kills N) and restarted. Then writing stops, the receiver stops failing,
weft catches up and gets SIGTERM, and the script proves from what the receiver accepted (answered 200) that:

  - every line written is there (the copytruncate window excepted: lines written between weft's last read and a
    truncation are gone with any collector; they are counted on a line of their own);
  - each line is intact (the same bytes that were written) and per stream (one file's content between two
    rotations) the lines came in the order they were written, once repeats are removed;
  - every duplicate was in flight at a kill: its earlier copy was accepted from a weft that was then killed, and the
    line lies at or past the checkpoint (same file identity: inode and fingerprint) that the next weft loaded from
    the state directory. A line accepted twice from one run, or resent from before its checkpoint, fails the run.

Prints figures: kills survived, lines written vs received, duplicates, the receiver's answers by kind, peak RSS
(VmHWM, highest over every weft process). Exit status 0 when every check holds.

  scripts/crash-consistency.py --weft /work/bin/weft              # short (CI): 4 kills, well under a minute
  scripts/crash-consistency.py --weft /work/bin/weft --long       # 100 kills, ~6 minutes
  scripts/crash-consistency.py --kills 30 --seed 7 --protocol json --files 24 --rate 300

Python 3 standard library only.
"""

import argparse
import gzip
import importlib.util
import json
import os
import random
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from array import array
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The soak's process wrapper and its checks of weft's state (checkpointed(), weft_holds()) are shared.
_spec = importlib.util.spec_from_file_location("soak_tail", os.path.join(os.path.dirname(__file__), "soak-tail.py"))
soak = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(soak)
_spec = importlib.util.spec_from_file_location(
    "otlp_sink", os.path.join(os.path.dirname(__file__), "..", "Benchmarks", "otlp_sink.py"))
sink = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sink)

METHODS = ["rename", "copytruncate", "delete", "replace"]
LINE = "INFO f=%d g=%d s=%d m=%s the quick brown fox jumps over the lazy dog\n"
LINE_FIELDS = re.compile(r"^INFO f=(\d+) g=(\d+) s=(\d+) m=(\w+) ")
FINGERPRINT_SPAN = 256


class Writer:
    """One log path and the files it named. Each epoch is one stretch of content: a file from its creation (or from a
    copytruncate) to its rotation; every line remembers its epoch and its byte offset in it."""

    def __init__(self, directory, index, method):
        self.index, self.method = index, method
        self.path = os.path.join(directory, "app-%02d.log" % index)
        self.sequence = 0
        self.epochs = []  # [inode, first bytes]
        self.line_epoch = array("i")
        self.line_offset = array("q")
        self.position = 0
        self.bytes = 0
        self.detached, self.detached_lines = False, 0
        self.next_rotation = 0.0
        self.waited = False  # its rotation is due but had to wait (not yet open or checkpointed)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self._new_epoch()

    @property
    def generation(self):
        return len(self.epochs) - 1

    def _new_epoch(self):
        self.epochs.append([os.fstat(self.fd).st_ino, bytearray()])
        self.position = 0

    def inode(self):
        return os.fstat(self.fd).st_ino

    def write(self, count):
        chunks = []
        for _ in range(count):
            line = (LINE % (self.index, self.generation, self.sequence, self.method)).encode()
            self.line_epoch.append(self.generation)
            self.line_offset.append(self.position)
            self.position += len(line)
            self.sequence += 1
            chunks.append(line)
        data = b"".join(chunks)
        head = self.epochs[-1][1]
        if len(head) < FINGERPRINT_SPAN:
            head += data[:FINGERPRINT_SPAN - len(head)]
        written = os.write(self.fd, data)
        assert written == len(data), "short write to a log file"
        self.bytes += len(data)
        if self.detached:
            self.detached_lines -= count
            if self.detached_lines <= 0:
                self.reopen()

    def reopen(self):
        os.close(self.fd)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self._new_epoch()
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
            self._new_epoch()  # same inode, content from 0 again
        elif self.method == "replace":
            temporary = self.path + ".tmp"
            os.close(self.fd)
            self.fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
            self._new_epoch()
            self.write(5)
            os.rename(temporary, self.path)

    def expected(self, sequence):
        return LINE[:-1] % (self.index, self.line_epoch[sequence], sequence, self.method)


# MARK: - The receiver


# Protobuf varints as the benchmark's OTLP sink reads them.
varint = sink.varint


def fields(data, start, end):
    """(field number, wire type, value or (begin, end) of a length-delimited field) of a protobuf message."""
    i = start
    while i < end:
        key, i = varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(data, i)
            yield number, wire, value
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            length, i = varint(data, i)
            yield number, wire, (i, i + length)
            i += length
        else:
            raise ValueError("wire type %d" % wire)


def bodies_protobuf(data):
    """Bodies (string values) of an ExportLogsServiceRequest: resource_logs 1 → scope_logs 2 → log_records 2 →
    body 5 → string_value 1."""
    out = []
    for n1, w1, (a1, b1) in ((n, w, v) for n, w, v in fields(data, 0, len(data)) if w == 2):
        if n1 != 1:
            continue
        for n2, w2, v2 in fields(data, a1, b1):
            if n2 != 2 or w2 != 2:
                continue
            for n3, w3, v3 in fields(data, *v2):
                if n3 != 2 or w3 != 2:
                    continue
                for n4, w4, v4 in fields(data, *v3):
                    if n4 != 5 or w4 != 2:
                        continue
                    for n5, w5, v5 in fields(data, *v4):
                        if n5 == 1 and w5 == 2:
                            out.append(data[v5[0]:v5[1]].decode("utf-8"))
    return out


def bodies_json(data):
    request = json.loads(data)
    return [record.get("body", {}).get("stringValue", "")
            for resource in request.get("resourceLogs", [])
            for scope in resource.get("scopeLogs", [])
            for record in scope.get("logRecords", [])]


class Receiver:
    """OTLP/HTTP on 127.0.0.1 that fails on purpose. What it answers 200 to is accepted: every line of every body,
    with the weft run (instance) that was current when the request arrived."""

    def __init__(self, faults, seed):
        self.faults = faults  # [(kind, weight)]
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.failing = True
        self.instance = -1
        self.accepted = []  # (instance, body line) in arrival order
        self.answers = {}
        self.last_accept = time.monotonic()
        self.errors = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_):
                pass

            def do_POST(self):
                instance = receiver.instance  # the run that sent it (weft is down between a kill and a restart)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if len(body) < length:
                    return  # the sender died mid-request: nothing to accept
                kind = receiver.choose()
                if kind == "drop":
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                status, headers = 200, {}
                if kind in ("500", "502", "503", "504"):
                    status = int(kind)
                elif kind == "429":
                    status = 429
                    headers["Retry-After"] = receiver.random.choice(["0", "1"])
                else:
                    try:
                        if self.headers.get("Content-Encoding") == "gzip":
                            body = gzip.decompress(body)
                        json_request = self.headers.get("Content-Type") == "application/json"
                        texts = bodies_json(body) if json_request else bodies_protobuf(body)
                    except (ValueError, IndexError, OSError) as error:
                        receiver.errors.append("undecodable request: %s" % error)
                        status = 400
                    else:
                        receiver.accept(instance, texts)
                        if kind == "slow":
                            time.sleep(receiver.random.uniform(0.2, 2.0))
                json_reply = self.headers.get("Content-Type") == "application/json"
                reply = b"{}" if json_reply and status == 200 else b""
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json" if json_reply else "application/x-protobuf")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except OSError:
                    self.close_connection = True  # the sender was killed while waiting for this answer

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                # A connection reset or broken by a kill -9 in the middle of a request: nothing was accepted.
                receiver.resets += 1

        self.resets = 0
        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def choose(self):
        with self.lock:
            kind = "ok"
            if self.failing:
                roll = self.random.uniform(0, sum(weight for _, weight in self.faults))
                for kind, weight in self.faults:
                    roll -= weight
                    if roll <= 0:
                        break
            self.answers[kind] = self.answers.get(kind, 0) + 1
            return kind

    def accept(self, instance, texts):
        with self.lock:
            for text in texts:
                for line in text.split("\n"):
                    self.accepted.append((instance, line))
            self.last_accept = time.monotonic()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def parse_faults(text):
    faults = []
    for item in text.split(","):
        kind, weight = item.split("=")
        if kind not in ("ok", "slow", "drop", "429", "500", "502", "503", "504"):
            raise SystemExit("unknown fault %r (ok, slow, drop, 429, 500, 502, 503, 504)" % kind)
        faults.append((kind, float(weight)))
    return faults


# MARK: - The run


def load_checkpoints(path):
    """inode → (offset, fingerprint, fingerprint length) from weft's state file, as a restart will load it."""
    try:
        with open(path) as handle:
            entries = json.load(handle)["files"]
    except (OSError, ValueError, KeyError):
        return {}
    return {entry["inode"]: (entry["offset"], entry["fingerprint"], entry.get("fingerprint_length", 0))
            for entry in entries}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weft", default="/work/bin/weft")
    parser.add_argument("--long", action="store_true", help="the long run: 100 kills (unless --kills says otherwise)")
    parser.add_argument("--kills", type=int, help="kill -9s before writing stops (default 4, --long 100)")
    parser.add_argument("--files", type=int, default=12)
    parser.add_argument("--rate", type=int, default=200, help="lines per second per file")
    parser.add_argument("--rotate-every", type=float, nargs=2, default=[0.5, 3.0], metavar=("MIN", "MAX"))
    parser.add_argument("--kill-every", type=float, nargs=2, default=[0.5, 4.0], metavar=("MIN", "MAX"),
                        help="seconds weft runs before each kill -9")
    parser.add_argument("--down", type=float, nargs=2, default=[0.05, 1.0], metavar=("MIN", "MAX"),
                        help="seconds weft stays down")
    parser.add_argument("--faults", default="ok=70,503=6,500=3,502=2,429=6,slow=6,drop=7",
                        help="the receiver's answers and their weights while writing goes on")
    parser.add_argument("--protocol", choices=["protobuf", "json"], default="protobuf")
    parser.add_argument("--drain-timeout", type=float, default=90.0,
                        help="seconds to wait for weft to deliver everything once writing stops")
    parser.add_argument("--pending-timeout", type=float, default=120.0,
                        help="seconds a kill waits for a deleted or replaced file's last line to be accepted")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--weft-args", default="--flush-timeout 200ms --rotate-wait 1s --checkpoint-interval 300ms "
                        "--glob-interval 250ms --batch-timeout 100ms --otlp-timeout 5s",
                        help="extra options for weft tail")
    options = parser.parse_args()
    kills_wanted = options.kills if options.kills is not None else (100 if options.long else 4)
    binary = os.path.abspath(options.weft)
    if not os.access(binary, os.X_OK):
        print("crash-consistency: no weft binary at %s" % binary, file=sys.stderr)
        return 2
    rng = random.Random(options.seed)
    receiver = Receiver(parse_faults(options.faults), options.seed + 1)

    root = tempfile.mkdtemp(prefix="weft-crash-")
    logs = os.path.join(root, "logs")
    os.mkdir(logs)
    protocol = "http/json" if options.protocol == "json" else "http/protobuf"
    arguments = ["tail", "logs/*.log", "--state-dir", "state", "--otlp-endpoint",
                 "http://127.0.0.1:%d" % receiver.port, "--otlp-protocol", protocol] + options.weft_args.split()
    checkpoints = os.path.join(root, "state", "checkpoints.json")
    writers = [Writer(logs, index, METHODS[index % len(METHODS)]) for index in range(options.files)]
    by_index = {writer.index: writer for writer in writers}
    weft = soak.Weft(binary, root, arguments)
    loaded = []  # per run: the checkpoints it loaded at its start

    def start():
        loaded.append(load_checkpoints(checkpoints))
        receiver.instance = len(loaded) - 1
        weft.start()

    seen = set()
    consumed = 0

    def refresh_seen():
        nonlocal consumed
        with receiver.lock:
            fresh = receiver.accepted[consumed:]
            consumed = len(receiver.accepted)
        for _, line in fresh:
            match = LINE_FIELDS.match(line)
            if match:
                seen.add((int(match.group(1)), int(match.group(3))))

    start()
    up = True
    started = time.monotonic()
    next_switch = started + rng.uniform(*options.kill_every)
    for writer in writers:
        writer.next_rotation = started + rng.uniform(*options.rotate_every)
    kills = rotations = rotations_while_down = deferred = postponed_kills = 0
    pending = []
    postponing, postponed_seconds = 0.0, 0.0
    expired = []
    tick = 0.01
    per_tick = max(1, int(options.rate * tick))
    next_sample = started
    while kills < kills_wanted or not up:
        now = time.monotonic()
        for writer in writers:
            writer.write(per_tick)
            if now >= writer.next_rotation and not writer.detached:
                if writer.method in ("delete", "replace") and not (up and soak.weft_holds(weft.pid, writer.inode())):
                    writer.waited = True  # a file nobody holds open loses its unread lines when it is deleted
                    continue
                if not soak.checkpointed(checkpoints, writer):
                    writer.waited = True  # renamed away before weft saved its identity: no restart could find it
                    continue
                deferred += 1 if writer.waited else 0
                writer.waited = False
                if writer.method in ("delete", "replace"):
                    # Its last lines must be accepted before weft may be killed: nothing can read them afterwards.
                    pending.append((writer.index, writer.sequence + (20 if writer.method == "delete" else 0) - 1, now))
                writer.rotate()
                rotations += 1
                rotations_while_down += 0 if up else 1
                writer.next_rotation = now + rng.uniform(*options.rotate_every)
        if now >= next_switch and up and pending:
            refresh_seen()
            # A deleted file's last line still not accepted after --pending-timeout: stop waiting, and say so (the
            # kill that follows may destroy its unread lines: no collector could read them).
            expired += [entry for entry in pending if entry[:2] not in seen and now - entry[2] >= options.pending_timeout]
            pending = [entry for entry in pending
                       if entry[:2] not in seen and now - entry[2] < options.pending_timeout]
            if pending:
                if not postponing:
                    postponed_kills += 1
                    postponing = now
                next_switch = now + 0.05
        if now >= next_switch:
            if up:
                weft.stop(signal.SIGKILL)
                kills += 1
                if postponing:
                    postponed_seconds += now - postponing
                    postponing = 0.0
                next_switch = now + rng.uniform(*options.down)
            else:
                start()
                next_switch = now + rng.uniform(*options.kill_every)
            up = not up
        if up and now >= next_sample:
            weft.sample()
            next_sample = now + 0.5
        time.sleep(tick)
    writing_seconds = time.monotonic() - started

    # Writing stops (renamed or deleted files get their successors, so every path names a file); the backend
    # recovers; weft catches up: every line of the files that are never truncated, and the last line of each
    # copytruncate file, accepted.
    for writer in writers:
        if writer.detached:
            writer.reopen()
    receiver.failing = False
    drain_started = time.monotonic()
    wanted = {(w.index, s) for w in writers if w.method != "copytruncate" for s in range(w.sequence)}
    wanted |= {(w.index, w.sequence - 1) for w in writers if w.method == "copytruncate" and w.sequence > 0}
    while time.monotonic() - drain_started < options.drain_timeout:
        refresh_seen()
        if wanted <= seen:
            break
        weft.sample()
        time.sleep(0.1)
    drained = time.monotonic() - drain_started
    time.sleep(0.5)
    status = weft.stop(signal.SIGTERM)
    exit_code = os.waitstatus_to_exitcode(status)
    receiver.close()
    refresh_seen()

    # MARK: - The proof

    receipts = {}  # (file, sequence) → [instance, …] in arrival order
    foreign = corrupt = 0
    order_errors = {method: 0 for method in METHODS}
    order_examples = []
    last_in_stream = {}
    for instance, line in receiver.accepted:
        match = LINE_FIELDS.match(line)
        if not match:
            if line.strip():
                foreign += 1
            continue
        index, generation, sequence = int(match.group(1)), int(match.group(2)), int(match.group(3))
        writer = by_index.get(index)
        if writer is None or sequence >= writer.sequence or line != writer.expected(sequence):
            corrupt += 1
            continue
        key = (index, sequence)
        if key in receipts:
            receipts[key].append(instance)
            continue
        receipts[key] = [instance]
        stream = (index, generation)
        if last_in_stream.get(stream, -1) > sequence:
            order_errors[writer.method] += 1
            if len(order_examples) < 5:
                order_examples.append("f=%d g=%d: s=%d after s=%d (run %d)"
                                      % (index, generation, sequence, last_in_stream[stream], instance))
        last_in_stream[stream] = sequence

    duplicates = explained = 0
    unexplained = []
    per_kill = {}
    for (index, sequence), instances in receipts.items():
        writer = by_index[index]
        for earlier, later in zip(instances, instances[1:]):
            duplicates += 1
            reason = None
            if later <= earlier:
                reason = "accepted twice from run %d" % earlier
            else:
                epoch = writer.line_epoch[sequence]
                inode, head = writer.epochs[epoch]
                checkpoint = loaded[later].get(inode)
                if checkpoint is not None:
                    offset, fingerprint, length = checkpoint
                    same_file = length > 0 and len(head) >= length and soak.fnv1a(bytes(head[:length])) == fingerprint
                    if same_file and writer.line_offset[sequence] < offset:
                        reason = ("resent by run %d from before its checkpoint (offset %d < %d)"
                                  % (later, writer.line_offset[sequence], offset))
            if reason:
                unexplained.append("f=%d s=%d: %s" % (index, sequence, reason))
            else:
                explained += 1
                per_kill[earlier] = per_kill.get(earlier, 0) + 1

    written = sum(writer.sequence for writer in writers)
    written_bytes = sum(writer.bytes for writer in writers)
    missing = {method: 0 for method in METHODS}
    written_by = {method: 0 for method in METHODS}
    first_missing = []
    for writer in writers:
        written_by[writer.method] += writer.sequence
        for sequence in range(writer.sequence):
            if (writer.index, sequence) not in receipts:
                missing[writer.method] += 1
                if writer.method != "copytruncate" and len(first_missing) < 5:
                    first_missing.append("f=%d s=%d" % (writer.index, sequence))
    hard_missing = sum(count for method, count in missing.items() if method != "copytruncate")
    accepted_lines = sum(len(instances) for instances in receipts.values())
    retries = 0
    try:
        with open(os.path.join(root, "stderr.txt"), errors="replace") as handle:
            retries = sum(1 for line in handle if "retrying" in line)
    except OSError:
        pass

    print("weft crash consistency: seed %d, %d files at %d lines/s each, %s over OTLP/HTTP, %.0f s writing, "
          "%.1f s to drain" % (options.seed, options.files, options.rate, protocol, writing_seconds, drained))
    print("  weft %s %s" % (binary, " ".join(arguments)))
    print("  kill -9: %d survived (%d postponed, %.1f s in all, until a deleted or replaced file's last line was "
          "accepted; %d waits gave up after %.0f s); weft runs %d; final SIGTERM exit code %d"
          % (kills, postponed_kills, postponed_seconds, len(expired), options.pending_timeout, weft.starts,
             exit_code))
    print("  rotations %d (%d while weft was down, %d delayed until weft had the file open and checkpointed)"
          % (rotations, rotations_while_down, deferred))
    answers = ", ".join("%s %d" % (kind, count) for kind, count in sorted(receiver.answers.items()))
    print("  receiver answers: %s; %d connections broken mid-request; weft logged %d retries"
          % (answers, receiver.resets, retries))
    print("  lines written %d (%.1f MB); accepted %d, distinct %d" % (written, written_bytes / 1e6, accepted_lines,
                                                                     len(receipts)))
    print("  | method | written | missing |")
    print("  | --- | --- | --- |")
    for method in METHODS:
        print("  | %s | %d | %d |" % (method, written_by[method], missing[method]))
    print("  missing, rename/delete/replace (must be 0): %d%s"
          % (hard_missing, (" (first: %s)" % ", ".join(first_missing)) if first_missing else ""))
    print("  missing, copytruncate (inherent: written between weft's last read and the truncation): %d"
          % missing["copytruncate"])
    print("  duplicates %d (%.2f%% of lines written): %d in flight at a kill, %d not (must be 0); most after one "
          "kill %d" % (duplicates, 100.0 * duplicates / max(1, written), explained, len(unexplained),
                       max(per_kill.values(), default=0)))
    for text in unexplained[:5]:
        print("    %s" % text)
    hard_order = sum(count for method, count in order_errors.items() if method != "copytruncate")
    print("  out of order per stream, rename/delete/replace %d, altered lines %d, unknown lines %d, undecodable "
          "requests %d (all must be 0)" % (hard_order, corrupt, foreign, len(receiver.errors)))
    print("  out of order, copytruncate (a truncation the size did not show, the file having grown past weft's "
          "offset: read from that offset, then from 0 after a restart): %d" % order_errors["copytruncate"])
    for text in order_examples:
        print("    %s" % text)
    print("  peak RSS (VmHWM, max over weft runs) %.1f MiB" % (weft.peak_rss_kib / 1024))
    ok = (hard_missing == 0 and not unexplained and hard_order == 0 and corrupt == 0 and foreign == 0
          and not receiver.errors and exit_code == 0 and kills == kills_wanted)
    print("  %s" % ("PASS" if ok else "FAIL"))
    if options.keep or not ok:
        print("  kept %s" % root)
    else:
        shutil.rmtree(root, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
