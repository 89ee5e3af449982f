#!/usr/bin/env python3
"""Tables and inputs for Benchmarks/run.sh.

  report.py throughput --data DIR --results DIR --size MIB --formats a,b,c
      Markdown table of the timed runs run.sh recorded (medians).
  report.py regex-inputs --data DIR --normal FILE
      Writes the pathological inputs of the catastrophic-regex check into DIR (deterministic; skipped when present).
  report.py regex --weft BIN --data DIR --results DIR --runs N --rules FILE
      Times weft with and without the rule file on those inputs and prints the table.
  report.py micro FILE
      Condenses the text output of `swift package benchmark` (saved to FILE) into one row per benchmark: medians.

Each timed run is one line "wall user sys maxrss_kib" as written by `/usr/bin/time -f '%e %U %S %M'`.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

MIB = 1024 * 1024

# The pathological lines: a run of `a` that does not reach the end of the line, so `(a+)+$` fails only after
# trying every way of splitting the run. Lengths from "just long enough to explode" to a 10 KiB line.
PATHOLOGICAL_LENGTHS = [25, 1000, 10000]
PATHOLOGICAL_COUNT = 2000
# The mixed input: one pathological line after every this many normal lines.
MIXED_EVERY = 1000
MIXED_LENGTH = 1000


def read_times(path):
    runs = []
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) == 4 and not line.startswith("Command"):
            wall, user, sys_, rss = parts
            runs.append({"wall": float(wall), "cpu": float(user) + float(sys_), "rss_kib": int(rss)})
    if not runs:
        sys.exit(f"report.py: no measurements in {path}")
    return runs


def medians(runs):
    return {
        "wall": statistics.median(r["wall"] for r in runs),
        "best_wall": min(r["wall"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "rss_mib": statistics.median(r["rss_kib"] for r in runs) / 1024,
        "n": len(runs),
    }


def weft_summary(path):
    """Lines and records weft reported in its --summary (stderr), and the match-limit hits."""
    text = Path(path).read_text() if Path(path).exists() else ""
    found = re.search(r"weft: (\d+) lines .* in, (\d+) records out", text)
    hits = re.search(r"regex match-limit hits (\d+)", text)
    return (int(found.group(1)) if found else None, int(found.group(2)) if found else None,
            int(hits.group(1)) if hits else None)


def rate(count, seconds):
    if count is None or seconds <= 0:
        return "–"
    value = count / seconds
    if value >= 1e6:
        return f"{value / 1e6:.2f} M"
    if value >= 1e3:
        return f"{value / 1e3:.0f} K"
    return f"{value:.0f}"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(out)


def cmd_throughput(args):
    rows = []
    for fmt in args.formats.split(","):
        name = f"{fmt}-{args.size}"
        info = json.loads(Path(args.data, name + ".json").read_text())
        size = Path(args.data, name + ".log").stat().st_size
        _, weft_records, _ = weft_summary(Path(args.results, name + ".summary"))
        for mode in ("file", "stdin"):
            m = medians(read_times(Path(args.results, f"{name}.{mode}.times")))
            rows.append([
                fmt, f"{size / MIB:.0f}", "file argument" if mode == "file" else "stdin pipe",
                f"{size / MIB / m['wall']:.0f}", f"{size / MIB / m['best_wall']:.0f}", rate(info["lines"], m["wall"]),
                rate(info["records"], m["wall"]),
                f"{m['wall']:.2f}", f"{m['cpu']:.2f}", f"{m['rss_mib']:.1f}",
                f"{weft_records} / {info['records']}" if weft_records is not None else "–",
            ])
    print(table(["input", "size MiB", "mode", "MiB/s", "best MiB/s", "lines/s", "records/s", "wall s", "CPU s (user+sys)",
                 "peak RSS MiB", "records out / expected"], rows))
    print()
    print("Medians of the runs, except best MiB/s (the fastest run). lines and expected records: generate.py's "
          "summary of each input (a trace counts as one record); records out: weft's own --summary of a separate run.")
    print()
    # Each file run is followed at once by its stdin run, so a slow spell of the shared machine tends to hit both:
    # the ratio within each pair is steadier than the ratio of the two medians.
    pairs = []
    for fmt in args.formats.split(","):
        name = f"{fmt}-{args.size}"
        files = read_times(Path(args.results, f"{name}.file.times"))
        pipes = read_times(Path(args.results, f"{name}.stdin.times"))
        ratios = [f["wall"] / p["wall"] for f, p in zip(files, pipes)]
        pairs.append([fmt, f"{statistics.median(ratios):.2f}", f"{min(ratios):.2f} – {max(ratios):.2f}"])
    print(table(["input", "stdin pipe speed ÷ file argument speed (median of paired runs)", "range"], pairs))


def pathological_path(data, length):
    return Path(data, f"regex-pathological-{length}x{PATHOLOGICAL_COUNT}.log")


def mixed_path(data):
    return Path(data, f"regex-mixed-every{MIXED_EVERY}.log")


def write_atomically(path, write):
    partial = Path(str(path) + ".partial")
    with open(partial, "w", encoding="utf-8", newline="\n") as out:
        write(out)
    os.replace(partial, path)


def cmd_regex_inputs(args):
    for length in PATHOLOGICAL_LENGTHS:
        path = pathological_path(args.data, length)
        if not path.exists():
            line = "a" * length + "!\n"
            write_atomically(path, lambda out: out.write(line * PATHOLOGICAL_COUNT))
    path = mixed_path(args.data)
    if not path.exists():
        bad = "a" * MIXED_LENGTH + "!\n"

        def mix(out):
            with open(args.normal, encoding="utf-8") as normal:
                for number, line in enumerate(normal, 1):
                    out.write(line)
                    if number % MIXED_EVERY == 0:
                        out.write(bad)

        write_atomically(path, mix)


def timed(weft, extra, path, runs, times_file, append=False):
    """Runs weft on a file `runs` times under /usr/bin/time; returns the medians of every run in `times_file`."""
    if not append:
        Path(times_file).write_text("")
    with tempfile.NamedTemporaryFile() as one:
        for _ in range(runs):
            subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", one.name, weft, *extra, str(path)],
                           stdout=subprocess.DEVNULL, check=True)
            with open(times_file, "a") as log:
                log.write(Path(one.name).read_text())
    return medians(read_times(times_file))


def replay_hits(weft, extra, path, summary_file):
    """The match-limit hits in `weft replay`'s summary."""
    with open(summary_file, "w") as err:
        subprocess.run([weft, "replay", *extra, str(path)], stdout=subprocess.DEVNULL, stderr=err, check=True)
    return weft_summary(summary_file)[2]


def cmd_regex(args):
    rule = ["--parsers-file", args.rules]
    results = Path(args.results)
    rows = []
    notes = []

    normal = Path(args.data, "regex-normal-50.log")
    normal_lines = json.loads(Path(args.data, "regex-normal-50.json").read_text())["lines"]
    inputs = [("normal lines only", normal, normal_lines, 0)]
    for length in PATHOLOGICAL_LENGTHS:
        inputs.append((f"{PATHOLOGICAL_COUNT} lines of {length} × `a` + `!`", pathological_path(args.data, length), 0,
                       PATHOLOGICAL_COUNT))
    inputs.append((f"normal + 1 line of {MIXED_LENGTH} × `a` + `!` per {MIXED_EVERY}", mixed_path(args.data),
                   normal_lines, normal_lines // MIXED_EVERY))

    # Runs go round-robin over every (input, rule file) pair, so that a slow spell of the shared machine lands on
    # all of them instead of on whichever was measured then.
    configs = [(path, extra, results / f"{path.stem}.{name}.times")
               for _, path, _, _ in inputs for name, extra in (("norule", []), ("rule", rule))]
    for _, _, times_file in configs:
        Path(times_file).write_text("")
    for _ in range(args.runs):
        for path, extra, times_file in configs:
            timed(args.weft, extra, path, 1, times_file, append=True)
    walls = {}
    for label, path, good, bad in inputs:
        size = path.stat().st_size
        base = medians(read_times(results / f"{path.stem}.norule.times"))
        with_rule = medians(read_times(results / f"{path.stem}.rule.times"))
        walls[path] = with_rule["wall"]
        hits = replay_hits(args.weft, rule, path, results / f"{path.stem}.rule.replay-summary")
        for name, m, h in (("built-ins", base, None), ("built-ins + `(a+)+$`", with_rule, hits)):
            rows.append([
                label, f"{size / MIB:.1f}", name, f"{m['wall']:.2f}", f"{size / MIB / m['wall']:.0f}",
                rate(good, m["wall"]) if good else "–", "" if h is None else f"{h} of {bad}",
            ])
        if good:
            notes.append(f"{label}: normal lines/s with the rule = {base['wall'] / with_rule['wall']:.2f}× "
                         f"the rate without it")
        else:
            notes.append(f"{label}: {(with_rule['wall'] - base['wall']) / bad * 1e3:.3f} ms per pathological line "
                         f"(wall with the rule minus without, over {bad} lines)")

    # The pathological lines' effect on the others: the same normal lines, with the rule, without and with one
    # pathological line per MIXED_EVERY among them.
    alone, mixed = walls[normal], walls[mixed_path(args.data)]
    bad = normal_lines // MIXED_EVERY
    notes.append(f"pathological lines among normal ones (both with the rule): normal lines/s = {alone / mixed:.2f}× "
                 f"the rate without the pathological lines; {(mixed - alone) / bad * 1e3:.3f} ms per pathological "
                 f"line")

    print(table(["input", "MiB", "parsers", "wall s", "MiB/s", "normal lines/s",
                 "match-limit hits (weft replay) of pathological lines"], rows))
    print()
    for note in notes:
        print(f"- {note}")


def cmd_micro(args):
    """Parses ordo-one/benchmark's text tables: a benchmark's name on its own line, then rows of metric values."""
    benchmarks = {}
    current = None
    previous = ""
    for line in Path(args.file).read_text().splitlines():
        if line.startswith("│"):
            cells = [c.strip() for c in line.strip("│").split("│")]
            if cells[0] == "Metric":
                current = previous  # the benchmark's name is the line above its table
                benchmarks[current] = {}
            elif current is not None and len(cells) >= 4:
                benchmarks[current][cells[0]] = (cells[3], cells[1])  # p50, p0 (the best run)
        elif line.strip() and not line.startswith(("╒", "╞", "├", "╘")):
            previous = line.strip()

    def get(metrics, prefix, best=False):
        for key, value in metrics.items():
            if key.startswith(prefix):
                return value[1] if best else value[0]
        return "–"

    rows = []
    for name, metrics in benchmarks.items():
        if not metrics:
            continue
        lines = get(metrics, "K lines/s")
        items = lines if lines != "–" else get(metrics, "K records/s")
        per_item = f"{1e6 / float(items):.0f}" if items not in ("–", "0") else "–"
        rows.append([name, get(metrics, "Time (wall clock)"), get(metrics, "Time (wall clock)", best=True),
                     get(metrics, "MiB/s"), get(metrics, "MiB/s", best=True), lines, get(metrics, "K records/s"),
                     per_item, get(metrics, "Malloc (total)")])
    print(table(["benchmark", "ms/iteration (median)", "ms (best)", "MiB/s (median)", "MiB/s (best)",
                 "K lines/s", "K records/s", "ns per line (records for encoding)", "mallocs/iteration"], rows))
    print()
    print("Medians and best of each benchmark's iterations; the lines/records rates are medians.")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("throughput")
    p.add_argument("--data", required=True)
    p.add_argument("--results", required=True)
    p.add_argument("--size", required=True)
    p.add_argument("--formats", required=True)
    p = sub.add_parser("regex-inputs")
    p.add_argument("--data", required=True)
    p.add_argument("--normal", required=True)
    p = sub.add_parser("regex")
    p.add_argument("--weft", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--results", required=True)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--rules", required=True)
    p = sub.add_parser("micro")
    p.add_argument("file")
    args = parser.parse_args()
    {"throughput": cmd_throughput, "regex-inputs": cmd_regex_inputs, "regex": cmd_regex, "micro": cmd_micro}[
        args.command](args)


if __name__ == "__main__":
    main()
