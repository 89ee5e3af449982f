#!/usr/bin/env python3
"""Score a weft binary against the mixed accuracy corpus (Samples/corpus/build.py), the way a user runs it.

Usage:
  python3 Samples/score.py [--weft PATH] [--corpus DIR | --seeds N,M,...] [--modes replay,filter]
                           [--min-f1 0.99] [--min-major 0.97] [--min-other 0.90] [--failures N]
                           [-- EXTRA WEFT ARGUMENTS]

For each rendering of the corpus (plain text, Docker json-file, CRI containerd) and each mode (`weft replay FILE`:
the log's own times drive the clock; `weft FILE`: the filter, arrival times), it runs weft with JSON output and
compares the records with the ones the corpus was built from:

  - whole-record exact match: a record counts when its body (and, in the container renderings, its stream) is
    exactly an expected record's; precision = matched / produced, recall = matched / expected, F1 of the two;
  - per language, the share of its traces that come out exactly right (same body, same stream, tagged with that
    language's parser).

It prints one table per mode and exits 1 when a figure is under its floor: --min-f1 for every rendering's F1,
--min-major for the share of Go, Python, Java and Ruby traces, --min-other for the other built-ins (all off unless
given). --failures N prints the first N expected records that did not come out (and what came out instead around
them), to see the kind of failure. Arguments after `--` go to weft (e.g. `-- --parsers none --parsers-file X.yaml`).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAJOR = ["go", "python", "java", "ruby"]
OTHER = ["nodejs", "php", "dotnet", "rust", "perl", "dart"]
RENDERINGS = ["plain", "docker", "containerd"]


def default_weft():
    for candidate in (HERE.parent / ".build" / "release" / "weft", HERE.parent / ".build" / "debug" / "weft"):
        if candidate.exists():
            return str(candidate)
    return "weft"


def run_weft(weft, mode, path, extra):
    command = [weft] + (["replay", "--no-summary"] if mode == "replay" else []) + ["--output-format", "json"]
    command += extra + [str(path)]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if result.returncode != 0:
        sys.exit(f"score.py: {' '.join(command)} failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
    records = []
    for line in result.stdout.decode("utf-8", "surrogateescape").splitlines():
        record = json.loads(line)
        attributes = record.get("attributes", {})
        records.append({"body": record["body"], "parser": attributes.get("weft.parser"),
                        "stream": attributes.get("log.iostream")})
    return records


def key(record, rendering, expected):
    if rendering == "plain":
        return (None, record["body"])
    body = record.get("container_body", record["body"]) if expected else record["body"]
    return (record["stream"], body)


def score(expected, produced, rendering):
    want = Counter(key(r, rendering, True) for r in expected)
    got = Counter(key(r, rendering, False) for r in produced)
    matched = sum(min(count, got[k]) for k, count in want.items())
    precision = matched / len(produced) if produced else 0.0
    recall = matched / len(expected) if expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    tagged = Counter((key(r, rendering, False), r["parser"]) for r in produced)
    right, total, missed = Counter(), Counter(), []
    for index, record in enumerate(expected):
        k = key(record, rendering, True)
        if record["kind"] == "trace":
            total[record["parser"]] += 1
            if tagged[(k, record["parser"])] > 0:
                tagged[(k, record["parser"])] -= 1
                right[record["parser"]] += 1
                continue
        elif got[k] > 0:
            continue
        missed.append(index)
    for k in want:
        got[k] -= min(got[k], want[k])
    return {"precision": precision, "recall": recall, "f1": f1, "right": right, "total": total, "missed": missed,
            "matched": matched,
            "expected": len(expected), "produced": len(produced)}


def show_failures(expected, produced, rendering, result, limit):
    """Each missed record, the record before it, and the records that came out holding its first line."""
    produced_keys = [key(r, rendering, False) for r in produced]
    want = Counter(key(r, rendering, True) for r in expected)
    for index in result["missed"][:limit]:
        record = expected[index]
        label = record["parser"] or f"ordinary ({record.get('shape')})"
        print(f"--- {rendering}: expected #{index} {label} {record.get('source', '')}, stream {record['stream']}")
        if index:
            print("    after: " + repr(key(expected[index - 1], rendering, True)[1][-160:]))
        body = key(record, rendering, True)[1]
        print("    want:  " + repr(body[:300]) + (f" ... ({body.count(chr(10)) + 1} lines)" if len(body) > 300 else ""))
        first_line = body.split("\n")[0]
        shown = 0
        for k in produced_keys:
            if (k[1] == first_line or first_line + "\n" in k[1] or k[1].endswith("\n" + first_line)) and \
                    want[k] == 0 and shown < 2:
                got = k[1].split("\n")
                lines = body.split("\n")
                common = next((i for i, (a, b) in enumerate(zip(got, lines)) if a != b), min(len(got), len(lines)))
                print(f"    got:   {len(got)} lines, same as wanted up to line {common}: "
                      + repr("\n".join(got[max(0, common - 1): common + 3])[:300]))
                shown += 1


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[: argv.index("--")]
    parser = argparse.ArgumentParser(description="Score weft's records against the mixed accuracy corpus.")
    parser.add_argument("--weft", default=default_weft(), help="the weft binary (default: .build/release or debug)")
    parser.add_argument("--corpus", type=Path, action="append", help="a directory written by Samples/corpus/build.py "
                        "(repeatable; default: build them in temporary directories, see --seeds)")
    parser.add_argument("--seeds", default="16", help="seeds of the corpora built when --corpus is not given, "
                        "comma-separated; the figures are summed over them (default: 16)")
    parser.add_argument("--per-language", type=int, default=2, help="see build.py (default: 2)")
    parser.add_argument("--modes", default="replay,filter", help="replay, filter or both (default)")
    parser.add_argument("--renderings", default=",".join(RENDERINGS))
    parser.add_argument("--min-f1", type=float)
    parser.add_argument("--min-major", type=float, help="floor for Go, Python, Java, Ruby traces exactly right")
    parser.add_argument("--min-other", type=float, help="floor for the other built-ins' traces exactly right")
    parser.add_argument("--failures", type=int, default=0, help="print the first N missed records per rendering")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)

    corpora = []  # (directory, its expected records)
    temporaries = []
    if args.corpus:
        corpora += args.corpus
    else:
        for seed in [int(x) for x in args.seeds.split(",") if x]:
            temporaries.append(tempfile.TemporaryDirectory(prefix="weft-corpus-"))
            corpus = Path(temporaries[-1].name)
            subprocess.run([sys.executable, str(HERE / "corpus" / "build.py"), "-o", str(corpus), "--seed",
                            str(seed), "--per-language", str(args.per_language)], check=True,
                           stdout=subprocess.DEVNULL)
            corpora.append(corpus)
    expectations = [[json.loads(line) for line in (c / "corpus.expected.jsonl").read_text().splitlines()]
                    for c in corpora]
    expected_count = sum(len(e) for e in expectations)

    failed = []
    figures = {}
    languages = MAJOR + OTHER
    for mode in [m for m in args.modes.split(",") if m]:
        results = {}
        for rendering in [r for r in args.renderings.split(",") if r]:
            # Summed over the corpora: matched, produced and expected records, traces right and in all.
            total = {"matched": 0, "produced": 0, "expected": 0, "right": Counter(), "total": Counter()}
            for corpus, expected in zip(corpora, expectations):
                produced = run_weft(args.weft, mode, corpus / f"corpus.{rendering}.log", extra)
                result = score(expected, produced, rendering)
                if args.failures:
                    show_failures(expected, produced, rendering, result, args.failures)
                for name in ("matched", "produced", "expected"):
                    total[name] += result[name]
                total["right"] += result["right"]
                total["total"] += result["total"]
            precision = total["matched"] / total["produced"] if total["produced"] else 0.0
            recall = total["matched"] / total["expected"] if total["expected"] else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            results[rendering] = {"precision": precision, "recall": recall, "f1": f1, "right": total["right"],
                                  "total": total["total"]}
        print(f"\nweft {'replay ' if mode == 'replay' else ''}FILE  ({expected_count} records expected, "
              f"{len(corpora)} {'corpus' if len(corpora) == 1 else 'corpora'})")
        print(f"{'':12}" + "".join(f"{r:>17}" for r in results))
        for name in ("precision", "recall", "f1"):
            print(f"{name:12}" + "".join(f"{results[r][name]:17.4f}" for r in results))
        print("traces exactly right")
        for lang in languages:
            cells = []
            for r in results:
                total = results[r]["total"][lang]
                share = results[r]["right"][lang] / total if total else 1.0
                cells.append(f"{100 * share:6.1f}% {results[r]['right'][lang]:>4}/{total:<4}".rjust(17))
                floor = args.min_major if lang in MAJOR else args.min_other
                if floor is not None and share < floor:
                    failed.append(f"{mode} {r}: {lang} {100 * share:.1f}% < {100 * floor:.0f}%")
            print(f"  {lang:10}" + "".join(cells))
        for r in results:
            if args.min_f1 is not None and results[r]["f1"] < args.min_f1:
                failed.append(f"{mode} {r}: F1 {results[r]['f1']:.4f} < {args.min_f1}")
        figures[mode] = {r: {"precision": results[r]["precision"], "recall": results[r]["recall"],
                             "f1": results[r]["f1"],
                             "traces": {lang: [results[r]["right"][lang], results[r]["total"][lang]]
                                        for lang in languages}} for r in results}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    if failed:
        print("\nunder the floors:\n  " + "\n  ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
