#!/usr/bin/env python3
"""Render a plain-text log capture the way the container runtimes write it to disk.

Usage:
  python3 Samples/render/render.py CAPTURE [-o OUTDIR] [options]

Writes, next to each other in OUTDIR (default: the capture's directory):
  <stem>.docker.log       Docker json-file
  <stem>.containerd.log   CRI as written by containerd
  <stem>.crio.log         CRI as written by CRI-O (conmon)

Each line of CAPTURE is one line the application wrote. A last line without a newline stays unterminated, as a
stream that ended without one (Docker: a last chunk without "\\n"; CRI: a last "P" chunk with no "F").

The runtimes' rules followed (Weft's docs/formats.md, checked against moby daemon/logger/copier.go and
jsonfilelog/jsonlog/jsonlogbytes.go, containerd internal/cri/io/logger.go, conmon src/ctr_logging.c):

  docker      One JSON object per line, keys log, stream, (attrs,) time. `log` is escaped like moby's encoder:
              `"` and `\\` escaped, `\\n` and `\\r` as such, other bytes < 0x20 and `<` `>` `&` as \\u00XX, U+2028 and
              U+2029 as \\u2028/\\u2029, every byte that does not start valid UTF-8 as \\ufffd. A line longer than
              16 KiB is cut into 16384-byte chunks of its raw bytes; only the last chunk's `log` ends in "\\n" (a line
              of an exact multiple of 16 KiB ends with a chunk whose `log` is just "\\n"). Every chunk carries the
              line's time. `time` is Go RFC3339Nano in UTC: "Z", trailing zeros of the fraction dropped.
  containerd  "<time> <stream> <P|F> <content>". A line over 16384 bytes becomes exact 16384-byte P chunks, then an F
              with the rest. Each chunk has its own time (the line's time + 1 us per chunk). Times are RFC3339Nano,
              trailing zeros trimmed, "Z" when --tz is +00:00. containerd's line reader drops the "\\r" of a "\\r\\n",
              so a terminated line loses one trailing "\\r".
  crio        Same line shape. conmon reads the pipe in buffers of at most --read-size (8192) bytes; in each read,
              every newline-terminated piece is an F line and a trailing piece without newline is a P line, and all
              lines of one read share one timestamp: local time with 9 fractional digits and a numeric offset
              ("+00:00" by default, never "Z"). "\\r" is kept. --crio-reads says how the reads fall:
                line    (default) the application writes each line separately and each write is read on its own,
                        in reads of at most --read-size bytes (read k of a line gets the line's time + k us);
                packed  each stream's output is read in full --read-size buffers, so P/F boundaries fall anywhere
                        and short P chunks appear; a read carries the time of the line its last byte belongs to.

Streams: every line goes to --stream (default stderr). With --interleave, every other "ordinary" line goes to stdout
instead, the rest stays on --stream, so stdout lines fall between the lines of a trace's neighbourhood. "Ordinary"
lines are the records with "parser": null in the capture's <stem>.expected.jsonl (see Samples/README.md) when that
file exists (or --expected names one); otherwise a line that is not blank, does not start with whitespace and does
not look like part of a trace (Traceback, Caused by, goroutine, panic, "Error:" after an indented line, ...).

Times are deterministic: line i is written at --start + i * --step-ms.

Examples:
  python3 Samples/render/render.py Samples/python/tracebacks.log -o /tmp/out
  python3 Samples/render/render.py app.log --interleave --crio-reads packed --start 2026-03-14T09:00:00Z --step-ms 5
"""

import argparse
import json
import re
import sys
from pathlib import Path

DOCKER_CHUNK = 16 * 1024
CONTAINERD_MAX_LINE = 16384
CONMON_BUFFER = 8192
MICROSECOND = 1_000


# ---------------------------------------------------------------------------------------------------------------------
# Time


def parse_time(text):
    """RFC 3339 -> nanoseconds since the epoch, UTC."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})", text)
    if not m:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 time: {text!r} (example: 2026-03-14T09:00:00Z)")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    fraction = int((m.group(7) or "").ljust(9, "0"))
    seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    return (seconds - offset_seconds(m.group(8))) * 1_000_000_000 + fraction


def offset_seconds(zone):
    if zone in ("Z", "z"):
        return 0
    sign = -1 if zone[0] == "-" else 1
    return sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)


def parse_offset(text):
    if not re.fullmatch(r"[+-]\d{2}:\d{2}", text):
        raise argparse.ArgumentTypeError(f"not a UTC offset: {text!r} (example: +02:00)")
    return text


def days_from_civil(y, m, d):
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z):
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (m <= 2), m, d


def format_time(nanos, zone, trim):
    """RFC 3339 in `zone` ("+HH:MM"); `trim` drops trailing zeros of the fraction (Go RFC3339Nano) and writes "Z"
    for +00:00, otherwise 9 digits and the numeric offset (conmon)."""
    local = nanos + offset_seconds(zone) * 1_000_000_000
    seconds, fraction = divmod(local, 1_000_000_000)
    days, second_of_day = divmod(seconds, 86400)
    y, mo, d = civil_from_days(days)
    hour, minute, second = second_of_day // 3600, second_of_day // 60 % 60, second_of_day % 60
    text = f"{y:04d}-{mo:02d}-{d:02d}T{hour:02d}:{minute:02d}:{second:02d}"
    if trim:
        digits = f"{fraction:09d}".rstrip("0")
        if digits:
            text += "." + digits
        return text + ("Z" if zone == "+00:00" else zone)
    return text + f".{fraction:09d}" + zone


# ---------------------------------------------------------------------------------------------------------------------
# Docker's JSON escaping


def rune_length(data, i):
    """Go utf8.DecodeRune's size for a valid sequence at data[i] (>= 0x80), or 0 for RuneError of size 1."""
    b = data[i]
    if 0xC2 <= b <= 0xDF:
        length, low, high = 2, 0x80, 0xBF
    elif b == 0xE0:
        length, low, high = 3, 0xA0, 0xBF
    elif b == 0xED:
        length, low, high = 3, 0x80, 0x9F
    elif 0xE1 <= b <= 0xEF:
        length, low, high = 3, 0x80, 0xBF
    elif b == 0xF0:
        length, low, high = 4, 0x90, 0xBF
    elif 0xF1 <= b <= 0xF3:
        length, low, high = 4, 0x80, 0xBF
    elif b == 0xF4:
        length, low, high = 4, 0x80, 0x8F
    else:
        return 0
    if i + length > len(data) or not low <= data[i + 1] <= high:
        return 0
    if any(not 0x80 <= data[i + k] <= 0xBF for k in range(2, length)):
        return 0
    return length


def go_json_string(data):
    out = bytearray(b'"')
    i = 0
    while i < len(data):
        b = data[i]
        if b < 0x80:
            if b in (0x22, 0x5C):
                out += bytes((0x5C, b))
            elif b == 0x0A:
                out += b"\\n"
            elif b == 0x0D:
                out += b"\\r"
            elif b < 0x20 or b in (0x3C, 0x3E, 0x26):
                out += b"\\u00%02x" % b
            else:
                out.append(b)
            i += 1
            continue
        length = rune_length(data, i)
        if length == 0:
            out += b"\\ufffd"
            i += 1
        elif data[i : i + 3] in (b"\xe2\x80\xa8", b"\xe2\x80\xa9"):
            out += b"\\u2028" if data[i + 2] == 0xA8 else b"\\u2029"
            i += 3
        else:
            out += data[i : i + length]
            i += length
    out += b'"'
    return bytes(out)


# ---------------------------------------------------------------------------------------------------------------------
# Renderers. Each takes [(line bytes, terminated, stream, time ns)] and returns the file's bytes.


def render_docker(lines, attrs):
    out = bytearray()
    for data, terminated, stream, time in lines:
        pieces = [data[k : k + DOCKER_CHUNK] for k in range(0, len(data), DOCKER_CHUNK)]
        if terminated and (not pieces or len(pieces[-1]) == DOCKER_CHUNK):
            pieces.append(b"")
        stamp = format_time(time, "+00:00", trim=True).encode()
        for k, piece in enumerate(pieces):
            log = piece + (b"\n" if terminated and k == len(pieces) - 1 else b"")
            out += b'{"log":' + go_json_string(log) + b',"stream":"' + stream.encode() + b'"'
            if attrs is not None:
                out += b',"attrs":' + attrs
            out += b',"time":"' + stamp + b'"}\n'
    return bytes(out)


def render_containerd(lines, zone):
    out = bytearray()
    for data, terminated, stream, time in lines:
        if terminated and data.endswith(b"\r"):
            data = data[:-1]
        if not terminated and not data:
            continue
        k = 0
        while True:
            start = k * CONTAINERD_MAX_LINE
            last = len(data) - start <= CONTAINERD_MAX_LINE
            piece = data[start:] if last else data[start : start + CONTAINERD_MAX_LINE]
            tag = b"F" if last and terminated else b"P"
            stamp = format_time(time + k * MICROSECOND, zone, trim=True).encode()
            out += stamp + b" " + stream.encode() + b" " + tag + b" " + piece + b"\n"
            if last:
                break
            k += 1
    return bytes(out)


def conmon_read(out, data, stream, time, zone):
    """conmon's write_k8s_log for one read buffer."""
    stamp = format_time(time, zone, trim=False).encode()
    i = 0
    while i < len(data):
        j = data.find(b"\n", i)
        if j < 0:
            out += stamp + b" " + stream.encode() + b" P " + data[i:] + b"\n"
            break
        out += stamp + b" " + stream.encode() + b" F " + data[i:j] + b"\n"
        i = j + 1


def render_crio(lines, zone, mode, read_size):
    out = bytearray()
    if mode == "line":
        for data, terminated, stream, time in lines:
            written = data + (b"\n" if terminated else b"")
            for k in range(0, len(written), read_size):
                conmon_read(out, written[k : k + read_size], stream, time + k // read_size * MICROSECOND, zone)
        return bytes(out)
    # packed: per stream, the whole output read in full buffers; reads of both streams ordered by time.
    reads = []
    for stream in ("stdout", "stderr"):
        data = bytearray()
        owner = []  # for each byte, the index of the line it belongs to
        for index, (line, terminated, line_stream, _) in enumerate(lines):
            if line_stream != stream:
                continue
            written = line + (b"\n" if terminated else b"")
            data += written
            owner += [index] * len(written)
        for k in range(0, len(data), read_size):
            chunk = bytes(data[k : k + read_size])
            last_line = owner[k + len(chunk) - 1]
            reads.append((lines[last_line][3], last_line, stream, chunk))
    for time, _, stream, chunk in sorted(reads, key=lambda r: (r[0], r[1], r[2])):
        conmon_read(out, chunk, stream, time, zone)
    return bytes(out)


# ---------------------------------------------------------------------------------------------------------------------
# Which lines are "ordinary"

TRACE_START = re.compile(
    rb"^(Traceback \(most recent call last\):|Caused by: |Exception in thread |goroutine \d+ \[|panic: |fatal error: |"
    rb"During handling of the above exception|The above exception was the direct cause|\s)"
)


def ordinary_from_expected(path, captured):
    """Marks each captured line ordinary if it is a `"parser": null` record of the expectations; None on mismatch."""
    flags = []
    for record in path.read_text(encoding="utf-8", errors="surrogateescape").splitlines():
        if not record.strip():
            continue
        entry = json.loads(record)
        body = entry["body"].encode("utf-8", "surrogateescape").split(b"\n")
        if captured[len(flags) : len(flags) + len(body)] != body:
            return None
        flags += [entry.get("parser") is None and len(body) == 1] * len(body)
    return flags if len(flags) == len(captured) else None


def ordinary_by_heuristic(captured):
    flags = []
    previous_indented = False
    for line in captured:
        blank = not line.strip()
        indented = line[:1] in (b" ", b"\t")
        trace_like = bool(TRACE_START.match(line)) or (previous_indented and re.match(rb"^[\w.$]+(: |$)", line))
        flags.append(not blank and not trace_like)
        previous_indented = indented
    return flags


# ---------------------------------------------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Render a plain-text capture as Docker json-file, containerd and CRI-O logs.",
        epilog="See the top of this file for the runtimes' rules that are followed.",
    )
    parser.add_argument("capture", type=Path, help="plain-text capture, one application line per line")
    parser.add_argument("-o", "--outdir", type=Path, help="where to write the renderings (default: beside the capture)")
    parser.add_argument(
        "--formats", default="docker,containerd,crio",
        help="comma-separated subset of docker,containerd,crio (default: all)",
    )
    parser.add_argument(
        "--stream", choices=["stdout", "stderr"], default="stderr", help="stream of every line (default: stderr)"
    )
    parser.add_argument("--interleave", action="store_true", help="send every other ordinary line to the other stream")
    parser.add_argument(
        "--expected", type=Path, help="expectations naming the ordinary lines (default: <stem>.expected.jsonl)"
    )
    parser.add_argument("--start", type=parse_time, default=parse_time("2026-03-14T09:00:00Z"),
                        help="time of the first line, RFC 3339 (default: 2026-03-14T09:00:00Z)")
    parser.add_argument("--step-ms", type=float, default=1.0, help="time between lines in milliseconds (default: 1)")
    parser.add_argument("--tz", type=parse_offset, default="+00:00",
                        help="node zone for containerd and CRI-O times (default: +00:00; Docker is always UTC)")
    parser.add_argument(
        "--crio-reads", choices=["line", "packed"], default="line", help="how conmon's reads fall (default: line)"
    )
    parser.add_argument("--read-size", type=int, default=CONMON_BUFFER, help="conmon's read buffer (default: 8192)")
    parser.add_argument(
        "--docker-attrs", help='JSON object written as "attrs" on every Docker line, e.g. {"app":"shop"}'
    )
    args = parser.parse_args(argv)

    formats = [f for f in args.formats.split(",") if f]
    unknown = sorted(set(formats) - {"docker", "containerd", "crio"})
    if unknown:
        parser.error(f"unknown format(s) {', '.join(unknown)}: use docker, containerd, crio")
    if args.read_size < 1:
        parser.error("--read-size must be at least 1")
    attrs = None
    if args.docker_attrs is not None:
        try:
            value = json.loads(args.docker_attrs)
        except json.JSONDecodeError as error:
            parser.error(f"--docker-attrs is not JSON: {error}")
        if not isinstance(value, dict):
            parser.error("--docker-attrs must be a JSON object")
        attrs = json.dumps(value, separators=(",", ":")).encode()

    raw = args.capture.read_bytes()
    captured = raw.split(b"\n")
    ends_with_newline = raw.endswith(b"\n")
    if ends_with_newline or not raw:
        captured.pop()

    streams = [args.stream] * len(captured)
    if args.interleave:
        other = "stdout" if args.stream == "stderr" else "stderr"
        ordinary = None
        expected = args.expected or args.capture.with_name(args.capture.name.removesuffix(".log") + ".expected.jsonl")
        if expected.exists():
            ordinary = ordinary_from_expected(expected, captured)
            if ordinary is None:
                print(f"render.py: {expected} does not match the capture; guessing ordinary lines", file=sys.stderr)
        elif args.expected:
            parser.error(f"{args.expected} does not exist")
        if ordinary is None:
            ordinary = ordinary_by_heuristic(captured)
        count = 0
        for index, is_ordinary in enumerate(ordinary):
            if is_ordinary:
                if count % 2 == 0:
                    streams[index] = other
                count += 1

    step = round(args.step_ms * 1_000_000)
    lines = [
        (data, index < len(captured) - 1 or ends_with_newline, streams[index], args.start + index * step)
        for index, data in enumerate(captured)
    ]

    outdir = args.outdir or args.capture.parent
    outdir.mkdir(parents=True, exist_ok=True)
    stem = args.capture.name.removesuffix(".log")
    renderings = {
        "docker": lambda: render_docker(lines, attrs),
        "containerd": lambda: render_containerd(lines, args.tz),
        "crio": lambda: render_crio(lines, args.tz, args.crio_reads, args.read_size),
    }
    for name in formats:
        path = outdir / f"{stem}.{name}.log"
        path.write_bytes(renderings[name]())
        print(path)


if __name__ == "__main__":
    main()
