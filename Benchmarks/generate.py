#!/usr/bin/env python3
"""Deterministic benchmark inputs for Weft.

Writes a log of ordinary application lines with real stack traces (the trace records of Samples/<lang>/*.expected.jsonl,
captured from the real runtimes) mixed in, so that about 20% of lines are inside traces, rendered as:

  plain       one line per line
  docker      Docker json-file (traces on stderr, ordinary lines on stdout, lines over 16 KiB split into chunks)
  containerd  CRI with Z timestamps, 16384-byte P chunks
  crio        CRI with +00:00 timestamps and 9 digits, P/F per 8192-byte read
  kubectl     the plain lines as `kubectl logs --prefix --timestamps` prints them, each record from one of four pods
              in turn: "[pod/NAME/app] 2006-01-02T15:04:05.000000000Z line" (the prefix layer's cost against plain)

Usage: generate.py FORMAT SIZE_MB OUTPUT [--seed N] [--long-every N]
Prints a JSON summary (lines, trace lines, expected records) on stdout. The same arguments give the same bytes.
"""
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGS = ["go", "java", "python", "ruby"]


def load_traces():
    traces = []
    for lang in LANGS:
        for path in sorted((ROOT / "Samples" / lang).glob("*.expected.jsonl")):
            for line in path.read_text().splitlines():
                record = json.loads(line)
                if record.get("parser") == lang and "\n" in record["body"]:
                    traces.append(record["body"].split("\n"))
    if not traces:
        sys.exit("no traces found under Samples/*/ (run Samples/regenerate.sh)")
    return traces


METHODS = ["GET", "GET", "GET", "POST", "PUT", "DELETE"]
PATHS = ["/api/v1/items", "/api/v1/orders", "/healthz", "/api/v1/users", "/metrics", "/api/v2/search"]
LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN"]


def ordinary(rng, i):
    kind = rng.random()
    level = rng.choice(LEVELS)
    if kind < 0.5:
        return (f"2026-11-29T05:{i // 60000 % 60:02d}:{i // 1000 % 60:02d}.{i % 1000:03d}Z {level} http "
                f"method={rng.choice(METHODS)} path={rng.choice(PATHS)}/{rng.randrange(100000)} "
                f"status={rng.choice([200, 200, 200, 201, 204, 404, 500])} duration_ms={rng.randrange(1, 900)} "
                f"request_id={rng.getrandbits(64):016x}")
    if kind < 0.8:
        return json.dumps({"ts": 1764392400 + i / 1000, "level": level.lower(), "msg": "cache refresh",
                           "keys": rng.randrange(5000), "shard": rng.randrange(64),
                           "node": f"node-{rng.randrange(12)}"}, separators=(",", ":"))
    return (f"{level:5} [worker-{rng.randrange(16)}] com.example.jobs.Scheduler - job {rng.randrange(10**6)} "
            f"finished in {rng.randrange(10000)} ms, next run in {rng.randrange(60)} s")


def long_line(rng, i):
    size = rng.randrange(17 * 1024, 48 * 1024)
    return f"2026-11-29T05:00:00Z INFO payload dump id={i} data=" + "".join(
        rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(size))


def records(rng, traces, target_bytes, long_every):
    """Yields (stream, lines-of-one-record); ~20% of all lines are trace lines."""
    produced = 0
    i = 0
    trace_lines = 0
    total_lines = 0
    while produced < target_bytes:
        i += 1
        if long_every and i % long_every == 0:
            lines = [long_line(rng, i)]
            stream = "stdout"
        elif total_lines and trace_lines / total_lines < 0.2 and rng.random() < 0.5:
            lines = rng.choice(traces)
            stream = "stderr"
            trace_lines += len(lines)
        else:
            lines = [ordinary(rng, i)]
            stream = "stdout"
        total_lines += len(lines)
        produced += sum(len(x) + 1 for x in lines)
        yield stream, lines


def go_time(ns, style):
    secs, frac = divmod(ns, 1_000_000_000)
    import time
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    if style == "crio":
        return f"{base}.{frac:09d}+00:00"
    if style == "kubectl":
        return f"{base}.{frac:09d}Z"
    digits = f"{frac:09d}".rstrip("0")
    return f"{base}.{digits}Z" if digits else f"{base}Z"


def docker_escape(text):
    out = json.dumps(text, ensure_ascii=False)
    return out.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        sys.exit(__doc__)
    fmt, size_mb, output = args[0], float(args[1]), args[2]
    seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 1
    long_every = int(args[args.index("--long-every") + 1]) if "--long-every" in args else 5000
    rng = random.Random(seed)
    traces = load_traces()
    t = 1_764_392_400_000_000_000
    stats = {"format": fmt, "lines": 0, "trace_lines": 0, "records": 0, "bytes": 0}
    with open(output, "w", encoding="utf-8", newline="\n") as out:
        for stream, lines in records(rng, traces, int(size_mb * 1024 * 1024), long_every):
            stats["records"] += 1
            stats["lines"] += len(lines)
            if stream == "stderr":
                stats["trace_lines"] += len(lines)
            for line in lines:
                t += rng.randrange(1_000, 2_000_000)
                if fmt == "plain":
                    out.write(line + "\n")
                elif fmt == "docker":
                    stamp = go_time(t, "docker")
                    data = (line + "\n").encode()
                    chunks = [data[k:k + 16384] for k in range(0, len(data), 16384)]
                    for chunk in chunks:
                        text = chunk.decode("utf-8", errors="replace")
                        out.write(f'{{"log":{docker_escape(text)},"stream":"{stream}","time":"{stamp}"}}\n')
                elif fmt in ("containerd", "crio"):
                    data = line.encode()
                    size = 16384 if fmt == "containerd" else 8192
                    chunks = [data[k:k + size] for k in range(0, len(data), size)] or [b""]
                    for n, chunk in enumerate(chunks):
                        tag = "F" if n == len(chunks) - 1 else "P"
                        stamp = go_time(t, fmt)
                        out.write(f"{stamp} {stream} {tag} {chunk.decode('utf-8', errors='replace')}\n")
                elif fmt == "kubectl":
                    # No draw from rng: the same seed gives the same lines as plain.
                    pod = ("x2x4q", "mzq7w", "b7xkp", "9d4zs")[stats["records"] % 4]
                    out.write(f"[pod/shop-api-7d9c5b6f4-{pod}/app] {go_time(t, 'kubectl')} {line}\n")
                else:
                    sys.exit(f"unknown format {fmt}")
    stats["bytes"] = Path(output).stat().st_size
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
