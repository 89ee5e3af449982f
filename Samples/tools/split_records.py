#!/usr/bin/python3
"""Build a sample's expected records from its capture and its hand-written spec.

This is deliberately independent of Weft: it knows nothing about stack-trace
syntax. Each sample program prints known "marker" lines (ordinary log lines)
before and between the traces it provokes, and its spec file lists, in order,
what the program is known to emit:

    # comment (ignored), blank lines ignored
    marker <exact line>         an ordinary line: a record of its own (parser null)
    trace <parser>              one stack-trace record: every line from here up to
                                the next marker (or the next trace's start, or EOF)
    trace <parser> <regex>      same, and its first line must match <regex>
                                (Python `re.search`). A trace that directly follows
                                another trace, with no marker between them, must
                                carry a regex: the first line after the previous
                                trace's first line that matches it starts the new
                                record.
    blank                       an empty line that is a record of its own (parser null),
                                e.g. the "\n" a runtime prints before its report; a trace
                                directly before it ends right before it
    ordinary-lines              the whole file: every line is its own ordinary record
                                (must be the only directive)

Every line of the capture must be accounted for; any mismatch is an error, so a
program that prints something unexpected makes regeneration fail loudly instead
of producing a wrong expectation.

Output: one JSON object per record, in order:
    {"parser": "python", "body": "<lines joined with \\n>"}
    {"parser": null, "body": "<line>"}

Usage: split_records.py SPEC LOG > EXPECTED.jsonl
"""

import json
import re
import sys


PARSERS = ("python", "java", "go", "ruby", "nodejs", "php", "dotnet", "rust", "perl", "dart")


class SpecError(Exception):
    pass


def read_spec(path):
    items = []
    with open(path, encoding="utf-8") as fh:
        for number, raw in enumerate(fh, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            keyword, _, rest = line.partition(" ")
            if keyword == "marker":
                if not rest:
                    raise SpecError(f"{path}:{number}: marker needs a line")
                items.append(("marker", rest, number))
            elif keyword == "trace":
                parser, _, pattern = rest.partition(" ")
                if parser not in PARSERS:
                    raise SpecError(f"{path}:{number}: unknown parser {parser!r}")
                regex = re.compile(pattern) if pattern else None
                items.append(("trace", (parser, regex), number))
            elif keyword == "blank" and not rest:
                items.append(("blank", None, number))
            elif keyword == "ordinary-lines" and not rest:
                items.append(("ordinary-lines", None, number))
            else:
                raise SpecError(f"{path}:{number}: cannot read {line!r}")
    if any(kind == "ordinary-lines" for kind, _, _ in items) and len(items) != 1:
        raise SpecError(f"{path}: ordinary-lines must be the only directive")
    return items


def read_lines(path):
    with open(path, encoding="utf-8", newline="") as fh:
        text = fh.read()
    if "\r" in text:
        raise SpecError(f"{path}: carriage returns are not expected in a capture")
    if not text:
        return []
    if not text.endswith("\n"):
        raise SpecError(f"{path}: capture does not end with a newline")
    return text[:-1].split("\n")


def split(items, lines, spec_path):
    if items and items[0][0] == "ordinary-lines":
        return [(None, [line]) for line in lines]

    records = []
    pos = 0
    for index, (kind, value, number) in enumerate(items):
        where = f"{spec_path}:{number}"
        if kind == "marker":
            if pos >= len(lines):
                raise SpecError(f"{where}: capture ended, expected marker {value!r}")
            if lines[pos] != value:
                raise SpecError(
                    f"{where}: capture line {pos + 1} is {lines[pos]!r}, expected marker {value!r}"
                )
            records.append((None, [value]))
            pos += 1
            continue
        if kind == "blank":
            if pos >= len(lines):
                raise SpecError(f"{where}: capture ended, expected an empty line")
            if lines[pos] != "":
                raise SpecError(f"{where}: capture line {pos + 1} is {lines[pos]!r}, expected an empty line")
            records.append((None, [""]))
            pos += 1
            continue

        parser, regex = value
        if pos >= len(lines):
            raise SpecError(f"{where}: capture ended, expected a {parser} trace")
        if regex is not None and not regex.search(lines[pos]):
            raise SpecError(
                f"{where}: capture line {pos + 1} {lines[pos]!r} does not start the trace (/{regex.pattern}/)"
            )
        if lines[pos] == "":
            raise SpecError(f"{where}: a trace record may not start with a blank line (capture line {pos + 1})")

        # Where does this record end?
        # Empty-line records right after this trace: it ends before them.
        blanks = 0
        while index + 1 + blanks < len(items) and items[index + 1 + blanks][0] == "blank":
            blanks += 1
        end = len(lines)
        if index + 1 + blanks < len(items):
            next_kind, next_value, next_number = items[index + 1 + blanks]
            if next_kind == "marker":
                found = [j for j in range(pos + 1, len(lines)) if lines[j] == next_value]
                if not found:
                    raise SpecError(
                        f"{spec_path}:{next_number}: marker {next_value!r} not found after capture line {pos + 1}"
                    )
                end = found[0]
            else:
                next_regex = next_value[1]
                if next_regex is None:
                    raise SpecError(
                        f"{spec_path}:{next_number}: a trace directly after another trace needs a start regex"
                    )
                found = [j for j in range(pos + 1, len(lines)) if next_regex.search(lines[j])]
                if not found:
                    raise SpecError(
                        f"{spec_path}:{next_number}: no line matching /{next_regex.pattern}/ after capture line {pos + 1}"
                    )
                end = found[0]
        if blanks:
            end -= blanks
            if end <= pos or any(line != "" for line in lines[end:end + blanks]):
                raise SpecError(
                    f"{where}: expected {blanks} empty line(s) before capture line {end + blanks + 1}"
                )
        records.append((parser, lines[pos:end]))
        pos = end

    if pos != len(lines):
        raise SpecError(
            f"{spec_path}: capture has unexpected lines from line {pos + 1}: {lines[pos]!r}"
        )
    return records


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    spec_path, log_path = argv[1], argv[2]
    try:
        records = split(read_spec(spec_path), read_lines(log_path), spec_path)
    except SpecError as err:
        print(f"split_records: {err}", file=sys.stderr)
        return 1
    out = sys.stdout
    for parser, body in records:
        out.write(json.dumps({"parser": parser, "body": "\n".join(body)}, ensure_ascii=False))
        out.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
