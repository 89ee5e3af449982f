#!/usr/bin/env python3
"""Weave a realistic mixed log from real captures, render it as plain text, Docker json-file and CRI (containerd),
and write the records a person would read in it, known by construction.

Usage:
  python3 Samples/corpus/build.py [-o OUTDIR] [--seed N] [--per-language N]

Inputs (all in the repository):
  Samples/<lang>/<shape>.expected.jsonl   the real captured traces of every built-in parser, with their record
                                          boundaries (derived from the programs' specs, see Samples/README.md)
  Samples/corpus/ordinary/<shape>.log     ordinary lines captured from real programs by capture.sh
  Samples/corpus/written/<shape>.log      ordinary lines of shapes no program here can print, written from their
                                          documented format (pino, zap, slog, logrus, BuildKit, uvicorn, php-fpm)
  Samples/mixed/ordinary*.log             hand-written look-alikes ("Exception", "panic:", " at " in prose ...)

Outputs in OUTDIR (default Samples/corpus/out, ignored by git):
  corpus.plain.log        one stream: what `2>&1` into a file gives
  corpus.docker.log       Docker json-file (stdout and stderr, the runtime's nanosecond times)
  corpus.containerd.log   CRI as containerd writes it
  corpus.expected.jsonl   one object per record: {"stream", "parser", "body", "kind", "shape"}; `parser` is the
                          language of a trace and null for an ordinary line; `stream` is what the container
                          renderings carry (plain text has one stream)
  corpus.stats.json       lines, records, traces per language

How the log is woven (seeded, so the same inputs and seed give the same bytes):
  - Every trace appears at least once. Each language gets max(its traces, ordinary shapes) * --per-language
    placements, so an ordinary line of every shape follows a trace of every built-in.
  - Each placement is: a snippet of ordinary lines (1-4 consecutive lines of one shape's capture), the trace, a
    snippet of another shape. One in eight placements has a second trace right before its trace (back to back).
    The first line after a trace is never blank nor indented (those only appear inside snippets, after the lines
    they followed when captured). The line right before a trace on its stream never reads as the message that
    introduces it (no error level word, no "failed"/"exception"): a logger line that does introduce a trace is part
    of the captured trace already, and a person could not tell the two apart either.
  - Time: the lines of a trace are microseconds apart (now and then a millisecond: Python writes a traceback line by
    line); the application's next line comes 0.3-8 s later, or in one case out of three a close 0.2-250 ms later;
    ordinary lines are 1 ms-2 s apart. Every timestamp printed in a line (ordinary lines and a trace's logger line
    alike) is re-stamped to the woven time in its own format.
  - Streams (container renderings): traces go to stderr, or to stdout when a logger wrote them (their first line
    has a timestamp) in one case out of three; ordinary snippets go to stdout or stderr. In one trace out of four, an
    ordinary line of the other stream is written in the middle of the trace (in plain text it comes after the
    trace's following snippet, since one stream cannot carry both).
"""

import argparse
import bisect
import importlib.util
import json
import math
import random
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parent
LANGUAGES = ["go", "python", "java", "ruby", "nodejs", "php", "dotnet", "rust", "perl", "dart"]
START = 1773478800 * 1_000_000_000  # 2026-03-14T09:00:00Z
US, MS, S = 1_000, 1_000_000, 1_000_000_000
MAX_TRACE_REPEAT_LINES = 200  # longer traces (java/stack_overflow) are placed once only

spec = importlib.util.spec_from_file_location("render", SAMPLES / "render" / "render.py")
render = importlib.util.module_from_spec(spec)
spec.loader.exec_module(render)

# ---------------------------------------------------------------------------------------------------------------------
# Re-stamping: every timestamp shape that appears in the inputs, found near the start of a line (or as a JSON time
# field) and rewritten in the same shape at the woven time.

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MON = "(?:" + "|".join(MONTHS) + ")"


def civil(nanos):
    seconds, fraction = divmod(nanos, S)
    days, second_of_day = divmod(seconds, 86400)
    y, m, d = render.civil_from_days(days)
    return y, m, d, second_of_day // 3600, second_of_day // 60 % 60, second_of_day % 60, fraction, (days + 3) % 7


def frac(fraction, digits):
    return f"{fraction:09d}"[:digits]


def iso(m, t):
    y, mo, d, h, mi, s, f, _ = civil(t)
    text = f"{y:04d}{m['s1']}{mo:02d}{m['s1']}{d:02d}{m['T']}{h:02d}:{mi:02d}:{s:02d}"
    if m["f"]:
        text += m["fs"] + frac(f, len(m["f"]))
    return text + (m["z"] or "")


def clf(m, t):
    y, mo, d, h, mi, s, _, _ = civil(t)
    return f"{d:02d}/{MONTHS[mo - 1]}/{y:04d}:{h:02d}:{mi:02d}:{s:02d} {m['z']}"


def php(m, t):
    y, mo, d, h, mi, s, _, _ = civil(t)
    return f"{d:02d}-{MONTHS[mo - 1]}-{y:04d} {h:02d}:{mi:02d}:{s:02d}"


def apache(m, t):
    y, mo, d, h, mi, s, f, wd = civil(t)
    return f"{DAYS[wd]} {MONTHS[mo - 1]} {d:02d} {h:02d}:{mi:02d}:{s:02d}.{frac(f, 6)} {y:04d}"


def redis(m, t):
    y, mo, d, h, mi, s, f, _ = civil(t)
    return f"{d:02d} {MONTHS[mo - 1]} {y:04d} {h:02d}:{mi:02d}:{s:02d}.{frac(f, 3)}"


def syslog(m, t):
    _, mo, d, h, mi, s, _, _ = civil(t)
    return f"{MONTHS[mo - 1]} {d:2d} {h:02d}:{mi:02d}:{s:02d}"


def jul(m, t):
    y, mo, d, h, mi, s, _, _ = civil(t)
    return f"{MONTHS[mo - 1]} {d:02d}, {y:04d} {(h + 11) % 12 + 1}:{mi:02d}:{s:02d} {'AM' if h < 12 else 'PM'}"


def klog(m, t):
    _, mo, d, h, mi, s, f, _ = civil(t)
    return f"{m['l']}{mo:02d}{d:02d} {h:02d}:{mi:02d}:{s:02d}.{frac(f, 6)}"


def clock(m, t):
    _, _, _, h, mi, s, f, _ = civil(t)
    return f"{h:02d}:{mi:02d}:{s:02d}" + (f".{frac(f, len(m['f']))}" if m["f"] else "")


def epoch_ms(m, t):
    return str(t // MS)


def epoch_s(m, t):
    return f"{t // S}.{frac(t % S, len(m['f']))}"


STAMPS = [
    (re.compile(r"(?<![\d.])\d{4}(?P<s1>[-/])\d\d(?P=s1)\d\d(?P<T>[T ])\d\d:\d\d:\d\d(?:(?P<fs>[.,])(?P<f>\d{1,9}))?"
                r"(?P<z>Z|[+-]\d\d:\d\d| UTC| [+-]\d{4}(?=\]))?"), iso),
    (re.compile(r"\d\d/" + MON + r"/\d{4}:\d\d:\d\d:\d\d (?P<z>[+-]\d{4})"), clf),
    (re.compile(r"\d\d-" + MON + r"-\d{4} \d\d:\d\d:\d\d"), php),
    (re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) " + MON + r" \d\d \d\d:\d\d:\d\d\.\d{6} \d{4}"), apache),
    (re.compile(r"\d\d " + MON + r" \d{4} \d\d:\d\d:\d\d\.\d{3}"), redis),
    (re.compile(MON + r" \d\d?, \d{4} \d\d?:\d\d:\d\d [AP]M"), jul),
    (re.compile(r"^" + MON + r" [ \d]\d \d\d:\d\d:\d\d(?!\d)"), syslog),
    (re.compile(r"^(?P<l>[IWEF])\d{4} \d\d:\d\d:\d\d\.\d{6}"), klog),
    (re.compile(r"(?<=^\[)\d\d:\d\d:\d\d(?:\.(?P<f>\d+))?(?= )|^\d\d:\d\d:\d\d(?:\.(?P<f2>\d+))?(?= )"), clock),
]
JSON_STAMPS = [
    (re.compile(r'(?<="time":)\d{13}(?=[,}])'), epoch_ms),
    (re.compile(r'(?<="ts":)\d{10}\.(?P<f>\d+)(?=[,}])'), epoch_s),
]
EARLY = 40  # a timestamp further into a line is part of the message, not the line's


def restamp(text, t):
    """`text` with its leading timestamp (or JSON time field) rewritten to time `t` in the same shape."""
    best = None
    for pattern, fmt in STAMPS:
        m = pattern.search(text)
        if m and (m.start() < EARLY or (text.startswith("{") and re.search(r'"(?:time|timestamp|asctime|ts)": ?"$',
                                                                             text[: m.start()]))):
            if best is None or m.start() < best[0].start():
                best = (m, fmt)
    if best is None and text.startswith("{"):
        for pattern, fmt in JSON_STAMPS:
            m = pattern.search(text)
            if m:
                best = (m, fmt)
                break
    if best is None:
        return text
    m, fmt = best
    groups = {k: v for k, v in m.groupdict().items()}
    if fmt is clock:
        groups["f"] = groups.get("f") or groups.get("f2")
    return text[: m.start()] + fmt(groups, t) + text[m.end():]


# ---------------------------------------------------------------------------------------------------------------------
# Inputs


def load_traces(exclude=()):
    """Every trace record of the samples (but those of `exclude`, "lang/shape"), with the blank line its runtime
    prints before it when there is one."""
    traces = {lang: [] for lang in LANGUAGES}
    for lang in LANGUAGES:
        for path in sorted((SAMPLES / lang).glob("*.expected.jsonl")):
            if f"{lang}/{path.name.removesuffix('.expected.jsonl')}" in exclude:
                continue
            records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            for i, record in enumerate(records):
                if record["parser"] is None:
                    continue
                blank_before = i > 0 and records[i - 1]["parser"] is None and records[i - 1]["body"] == ""
                traces[lang].append({
                    "lang": record["parser"], "source": f"{lang}/{path.name.removesuffix('.expected.jsonl')}",
                    "lines": record["body"].split("\n"), "blank_before": blank_before,
                })
    return traces


def load_shapes():
    shapes = {}
    for folder in ("ordinary", "written"):
        for path in sorted((HERE / folder).glob("*.log")):
            shapes[path.stem] = path.read_text(encoding="utf-8").split("\n")[:-1]
    for name in ("ordinary", "ordinary-more"):
        shapes["lookalike_" + name.replace("-", "_")] = (
            (SAMPLES / "mixed" / f"{name}.log").read_text(encoding="utf-8").split("\n")[:-1])
    return {name: lines for name, lines in shapes.items() if lines}


def is_leader(line):
    return bool(line.strip()) and not line[:1].isspace()


INTRODUCES = re.compile(r"(?i)\b(?:err|error|errors|fatal|crit|critical|severe|panic|exception|fail|failed|failure|"
                        r"alert|emerg|warn|warning)\b|\w(?:Error|Exception)\b|^[EFW]\d{4} |^[EFW], \[|"
                        r"\"level\":(?:40|50|60)")


def introduces(line):
    """Whether a line could read as the message that introduces a trace printed right after it (a level word of a
    warning or worse, an error class, "failed"): loggers print such a line and then the exception."""
    return bool(INTRODUCES.search(line))


# ---------------------------------------------------------------------------------------------------------------------
# Weaving


def log_uniform(rng, low, high):
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


class Weaver:
    def __init__(self, rng, shapes):
        self.rng = rng
        self.shapes = shapes
        self.units = []  # each: {"kind", "stream", "lines": [(text, t)], "parser", "shape"}
        self.now = START
        self.last = {"stdout": "", "stderr": ""}  # the last line written on each stream

    def snippet(self, shape, stream, before_trace=False, first_after_trace=False):
        lines = self.shapes[shape]
        leaders = [i for i, line in enumerate(lines) if is_leader(line)]
        rng = self.rng
        for _ in range(50):
            first = rng.choice(leaders)
            count = rng.randint(1, 4)
            chosen = lines[first: first + count]
            # a snippet ends on a line that is not blank (a blank line right before a trace reads as the trace's)
            while chosen and not chosen[-1].strip():
                chosen.pop()
            if before_trace and introduces(chosen[-1]):
                continue
            break
        else:
            chosen = [next(line for line in lines if is_leader(line) and not introduces(line))]
        out = []
        for k, text in enumerate(chosen):
            self.now += log_uniform(rng, 50 * US, 50 * MS) if k else 0
            out.append((text, self.now))
        self.units.append({"kind": "ordinary", "stream": stream, "lines": out, "shape": shape})
        self.last[stream] = chosen[-1]
        self.now += log_uniform(rng, 1 * MS, 2 * S)

    def trace(self, trace, stream):
        rng = self.rng
        if trace["blank_before"]:
            self.units.append({"kind": "ordinary", "stream": stream, "lines": [("", self.now)], "shape": "blank"})
            self.now += log_uniform(rng, 2 * US, 40 * US)
        out = []
        for k, text in enumerate(trace["lines"]):
            if k:
                self.now += log_uniform(rng, 100 * US, 5 * MS) if rng.random() < 0.03 else log_uniform(rng, 1 * US,
                                                                                                       50 * US)
            out.append((text, self.now))
        unit = {"kind": "trace", "stream": stream, "lines": out, "parser": trace["lang"], "source": trace["source"]}
        self.units.append(unit)
        self.last[stream] = out[-1][0]
        return unit

    def after_trace_gap(self):
        if self.rng.random() < 1 / 3:
            self.now += log_uniform(self.rng, 200 * US, 250 * MS)
        else:
            self.now += log_uniform(self.rng, 300 * MS, 8 * S)


def trace_stream(rng, trace):
    logged = bool(re.match(r"[\[\dA-Z]", trace["lines"][0])) and restamp(trace["lines"][0], START) != \
        trace["lines"][0]
    return "stdout" if logged and rng.random() < 1 / 3 else "stderr"


def other(stream):
    return "stdout" if stream == "stderr" else "stderr"


def weave(seed, per_language, exclude=()):
    rng = random.Random(seed)
    traces = load_traces(exclude)
    shapes = load_shapes()
    shape_names = sorted(shapes)
    placements = []
    for lang in LANGUAGES:
        pool = traces[lang]
        repeatable = [t for t in pool if len(t["lines"]) <= MAX_TRACE_REPEAT_LINES]
        count = max(len(pool), len(shape_names)) * per_language
        order = pool[:]
        rng.shuffle(order)
        while len(order) < count:
            more = repeatable[:]
            rng.shuffle(more)
            order += more
        after = []
        while len(after) < count:
            more = shape_names[:]
            rng.shuffle(more)
            after += more
        placements += [(trace, shape) for trace, shape in zip(order[:count], after[:count])]
    rng.shuffle(placements)

    weaver = Weaver(rng, shapes)
    # The application's own first line: three syslog or RFC 3339-stamped lines at the very start of a plain file would
    # make `--format auto` read the whole file as a journal or a timestamped pipe (it decides on the first three).
    weaver.snippet("plain_app", "stdout")
    interleaved = []  # (trace unit, ordinary unit) pairs: a line of the other stream inside the trace
    for trace, after_shape in placements:
        stream = trace_stream(rng, trace)
        before_stream = rng.choice(["stdout", "stdout", "stderr"])
        if introduces(weaver.last[stream]):
            before_stream = stream  # what the trace's stream printed last must not read as its introduction
        weaver.snippet(rng.choice(shape_names), before_stream, before_trace=True)
        if rng.random() < 1 / 8:
            first = rng.choice([t for t in traces[rng.choice(LANGUAGES)] if len(t["lines"]) <= MAX_TRACE_REPEAT_LINES])
            if not (trace["lang"] == "ruby" and first["lang"] == "ruby"):
                # (two uncaught Ruby errors back to back read like an error and its cause: Ruby prints both alike)
                weaver.trace(first, stream)
                weaver.now += log_uniform(rng, 1 * MS, 2 * S)
        unit = weaver.trace(trace, stream)
        if len(unit["lines"]) >= 3 and rng.random() < 1 / 4:
            interleaved.append(unit)
        weaver.after_trace_gap()
        weaver.snippet(after_shape, rng.choice(["stdout", "stderr"]))

    # A line of the other stream in the middle of some traces (container renderings); in plain text it comes after
    # the trace's following snippet.
    units = weaver.units
    for unit in interleaved:
        k = rng.randint(1, len(unit["lines"]) - 1)
        t = (unit["lines"][k - 1][1] + unit["lines"][k][1]) // 2
        shape = rng.choice(shape_names)
        text = rng.choice([line for line in shapes[shape] if is_leader(line) and not introduces(line)] or [""])
        position = units.index(unit)
        plain_after = position + 2 if position + 2 <= len(units) else len(units)
        unit_after = units[plain_after - 1]
        plain_time = unit_after["lines"][-1][1] + log_uniform(rng, 1 * MS, 100 * MS)
        units.insert(plain_after, {"kind": "ordinary", "stream": other(unit["stream"]), "lines": [(text, t)],
                                   "plain_time": plain_time, "shape": shape, "inside": True})
    return units


# ---------------------------------------------------------------------------------------------------------------------
# Rendering


def physical_lines(units, plain):
    """(text, stream, time) in the order they reach the file: plain text in unit order, containers by time."""
    out = []
    for unit in units:
        for text, t in unit["lines"]:
            when = unit.get("plain_time", t) if plain else t
            out.append((restamp(text, when), unit["stream"], when))
    if not plain:
        out.sort(key=lambda line: line[2])
    return out


def expected(units):
    records = []
    for unit in units:
        if unit["kind"] == "trace":
            records.append({"stream": unit["stream"], "parser": unit["parser"], "kind": "trace",
                            "body": "\n".join(restamp(text, t) for text, t in unit["lines"]),
                            "source": unit["source"]})
        else:
            for text, t in unit["lines"]:
                records.append({"stream": unit["stream"], "parser": None, "kind": "ordinary",
                                "body": restamp(text, unit.get("plain_time", t)), "shape": unit["shape"],
                                "container_body": restamp(text, t)})
    return records


def main(argv=None):
    parser = argparse.ArgumentParser(description="Weave the mixed accuracy corpus (see the top of this file).")
    parser.add_argument("-o", "--outdir", type=Path, default=HERE / "out")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--per-language", type=int, default=2,
                        help="placements per language, in multiples of max(its traces, ordinary shapes)")
    parser.add_argument("--exclude", action="append", default=[], metavar="LANG/SHAPE",
                        help="leave out a sample's traces (repeatable), e.g. to compare with a corpus of before it")
    args = parser.parse_args(argv)

    units = weave(args.seed, args.per_language, set(args.exclude))
    args.outdir.mkdir(parents=True, exist_ok=True)
    plain = physical_lines(units, plain=True)
    (args.outdir / "corpus.plain.log").write_bytes(b"".join(text.encode() + b"\n" for text, _, _ in plain))
    container = [(text.encode(), True, stream, t) for text, stream, t in physical_lines(units, plain=False)]
    (args.outdir / "corpus.docker.log").write_bytes(render.render_docker(container, None))
    (args.outdir / "corpus.containerd.log").write_bytes(render.render_containerd(container, "+00:00"))
    records = expected(units)
    with open(args.outdir / "corpus.expected.jsonl", "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    traces = {}
    for record in records:
        if record["kind"] == "trace":
            traces[record["parser"]] = traces.get(record["parser"], 0) + 1
    stats = {"seed": args.seed, "lines": len(plain), "records": len(records),
             "ordinary": sum(r["kind"] == "ordinary" for r in records), "traces": traces,
             "shapes": len(load_shapes()), "interleaved": sum(1 for u in units if u.get("inside"))}
    (args.outdir / "corpus.stats.json").write_text(json.dumps(stats, indent=1) + "\n")
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
