#!/usr/bin/env python3
"""A loopback OTLP/HTTP receiver for the benchmark that only counts.

  otlp_sink.py [--port N] [--count-records] [--faults "0:ok 60:delay=0.4 90:503=0.3,reset=0.1 120:ok"]

Listens on 127.0.0.1 (port 0: any free one) and prints "listening PORT" on standard output once it accepts. Every
POST is read whole (HTTP/1.1, keep-alive, Content-Length bodies, read with recv_into into one reused buffer per
connection) and answered 200 with an empty ExportLogsServiceResponse: an empty body as application/x-protobuf, or
`{}` as application/json when the request was JSON. Nothing is decoded unless --count-records is given.

On SIGTERM or SIGINT it prints one JSON line and exits: requests, body bytes as received (compressed when gzip),
requests by Content-Encoding, its own CPU seconds (user+sys) since it began listening, and with --count-records the
log records counted by walking each protobuf body's fields (gunzipped first) or parsing each JSON body. Counting
costs far more CPU than receiving: use it for a check run, not a timed one.

--faults makes it misbehave on a timeline, for soak runs that must show retries and backpressure: phases separated
by spaces, each START_SECONDS (since listening) then ':' and comma-separated actions, in force until the next phase:
delay=SECONDS before every answer (a slow backend), CODE=FRACTION to answer that HTTP status to that fraction of the
requests (429 and 503 with Retry-After: 1; 400 is a refusal the client must not retry), reset=FRACTION to close the
connection without answering, ok for none. Draws are seeded (--seed), so a run is repeatable.

Not a conforming server: no chunked bodies (Weft sends Content-Length), no Expect: 100-continue, no pipelining
beyond what arrives in order. A request it cannot handle is reported on stderr and the connection closed.
"""
import argparse
import json
import os
import resource
import signal
import socket
import sys
import threading
import random
import time
import zlib

HEADER_LIMIT = 64 * 1024


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.body_bytes = 0
        self.by_encoding = {}
        self.records = 0
        self.errors = 0

    def add(self, body_bytes, encoding, records):
        with self.lock:
            self.requests += 1
            self.body_bytes += body_bytes
            self.by_encoding[encoding] = self.by_encoding.get(encoding, 0) + 1
            self.records += records


def varint(data, i):
    shift = result = 0
    while True:
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def fields(data, start, end):
    """(field number, wire type, value start, value end) of each field in data[start:end]; values of wire type 2 only
    are returned by range, others are skipped."""
    i = start
    while i < end:
        key, i = varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, i = varint(data, i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            length, i = varint(data, i)
            yield number, wire, i, i + length
            i += length
        else:
            raise ValueError(f"wire type {wire}")


def count_protobuf(data):
    """Log records in an ExportLogsServiceRequest: resource_logs (1) → scope_logs (2) → log_records (2)."""
    count = 0
    for number, _, s, e in fields(data, 0, len(data)):
        if number != 1:
            continue
        for n2, _, s2, e2 in fields(data, s, e):
            if n2 != 2:
                continue
            for n3, _, _, _ in fields(data, s2, e2):
                if n3 == 2:
                    count += 1
    return count


def count_json(data):
    request = json.loads(bytes(data))
    return sum(len(scope.get("logRecords", []))
               for resource_logs in request.get("resourceLogs", [])
               for scope in resource_logs.get("scopeLogs", []))


class Faults:
    """The --faults timeline: what to do to the request that arrives now."""

    REASONS = {400: "Bad Request", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
               503: "Service Unavailable", 504: "Gateway Timeout"}

    def __init__(self, spec, seed):
        self.phases = []  # (start, delay, [(action, fraction)])
        for phase in (spec or "").split():
            start, _, actions = phase.partition(":")
            delay, draws = 0.0, []
            for action in filter(None, actions.split(",")):
                name, _, value = action.partition("=")
                if name == "ok":
                    continue
                if name == "delay":
                    delay = float(value)
                elif name == "reset" or name.isdigit():
                    draws.append((name, float(value)))
                else:
                    raise SystemExit(f"otlp_sink: unknown fault {action!r} in {phase!r}")
            self.phases.append((float(start), delay, draws))
        self.phases.sort(key=lambda phase: phase[0])
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.counts = {}

    def decide(self):
        """(delay seconds, None | "reset" | HTTP status) for the request that arrives now."""
        now = time.monotonic() - self.started
        current = None
        for phase in self.phases:
            if phase[0] <= now:
                current = phase
        if current is None:
            return 0.0, None
        _, delay, draws = current
        with self.lock:
            draw = self.random.random()
            outcome = None
            for name, fraction in draws:
                if draw < fraction:
                    outcome = name if name == "reset" else int(name)
                    break
                draw -= fraction
            key = "ok" if outcome is None else str(outcome)
            self.counts[key] = self.counts.get(key, 0) + 1
        return delay, outcome


def serve(conn, counters, count_records, faults=None):
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    start = end = 0  # unread bytes are buf[start:end]
    try:
        while True:
            # Headers.
            while True:
                mark = buf.find(b"\r\n\r\n", start, end)
                if mark >= 0:
                    break
                if end - start > HEADER_LIMIT:
                    raise ValueError("headers too long")
                if end == len(buf):
                    buf[0:end - start] = buf[start:end]
                    end -= start
                    start = 0
                n = conn.recv_into(view[end:])
                if n == 0:
                    return
                end += n
            lines = bytes(buf[start:mark]).split(b"\r\n")
            start = mark + 4
            length = None
            content_type = b""
            encoding = "identity"
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                value = value.strip()
                if name == b"content-length":
                    length = int(value)
                elif name == b"content-type":
                    content_type = value
                elif name == b"content-encoding":
                    encoding = value.decode("latin-1").lower()
                elif name == b"transfer-encoding":
                    raise ValueError(f"Transfer-Encoding {value!r} not supported")
            if length is None:
                raise ValueError(f"no Content-Length in {lines[0]!r}")
            # Body: what came with the headers, then the rest, read into the buffer and dropped (or kept whole
            # when records are counted).
            have = min(length, end - start)
            if count_records:
                body = bytearray(buf[start:start + have])
            start += have
            remaining = length - have
            if start == end:
                start = end = 0
            while remaining > 0:
                # start == end here: the buffer is free.
                n = conn.recv_into(view, min(remaining, len(buf)))
                if n == 0:
                    return
                if count_records:
                    body += view[:n]
                remaining -= n
            records = 0
            is_json = b"json" in content_type
            if count_records:
                data = zlib.decompress(bytes(body), wbits=31) if encoding == "gzip" else body
                records = count_json(data) if is_json else count_protobuf(data)
            counters.add(length, encoding, records)
            if faults is not None:
                delay, outcome = faults.decide()
                if delay > 0:
                    time.sleep(delay)
                if outcome == "reset":
                    return
                if outcome is not None:
                    reason = Faults.REASONS.get(outcome, "Error").encode()
                    retry = b"Retry-After: 1\r\n" if outcome in (429, 503) else b""
                    conn.sendall(b"HTTP/1.1 %d %s\r\n%sContent-Length: 0\r\n\r\n" % (outcome, reason, retry))
                    continue
            if is_json:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
            else:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n")
    except (ValueError, zlib.error) as error:
        with counters.lock:
            counters.errors += 1
        print(f"otlp_sink: {error}; closing the connection", file=sys.stderr, flush=True)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--count-records", action="store_true")
    parser.add_argument("--faults", help="a timeline of slow and failed answers (see above)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    faults = Faults(args.faults, args.seed) if args.faults else None

    counters = Counters()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(64)

    def cpu():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def stop(*_):
        with counters.lock:
            report = {"requests": counters.requests, "body_bytes": counters.body_bytes,
                      "by_encoding": counters.by_encoding, "errors": counters.errors,
                      "cpu_s": round(cpu() - started, 3)}
            if args.count_records:
                report["records"] = counters.records
            if faults is not None:
                report["answers"] = dict(faults.counts)
        sys.stdout.write(json.dumps(report) + "\n")
        sys.stdout.flush()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    started = cpu()  # the interpreter's start-up is not the receiver's work
    if faults is not None:
        faults.started = time.monotonic()  # the timeline starts when it listens
    print(f"listening {listener.getsockname()[1]}", flush=True)
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(conn, counters, args.count_records, faults),
                         daemon=True).start()


if __name__ == "__main__":
    main()
