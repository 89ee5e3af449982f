#!/usr/bin/env bash
# End-to-end benchmarks of the release binary: throughput, CPU and peak memory on the reference inputs, first-record
# latency, the cost of a catastrophic user regex, and weft tail into OTLP/HTTP. Prints markdown tables; see
# Benchmarks/README.md.
#
#   Benchmarks/run.sh                      # 200 MiB inputs, 5 runs each: throughput, latency, regex
#   Benchmarks/run.sh --size 2048 --runs 3 --only throughput     # the 2 GiB memory check
#   Benchmarks/run.sh --only otlp --runs 5                        # weft tail into OTLP/HTTP vs --output FILE
#
# Options:
#   --size MIB        plain-text size of each generated input (default 200; Docker/CRI renderings are larger)
#   --runs N          runs per input and mode; the table shows the median (default 5)
#   --formats LIST    comma-separated inputs (default plain,docker,containerd,crio; the otlp part: plain,docker)
#   --only LIST       comma-separated parts: throughput, latency, regex, otlp (default the first three)
#   --otlp-modes LIST the otlp part's outputs (default file,devnull,protobuf-gzip,protobuf-none,json-none;
#                     also json-gzip)
#   --weft PATH       use this binary instead of building .build/release/weft
#   --no-build        use the existing .build/release/weft as it is
#   --out DIR         where raw measurements go (default Benchmarks/results/<date-time>)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
data="$root/bench-data"   # gitignored in the root

size=200
runs=5
formats=
only=throughput,latency,regex
otlp_modes=file,devnull,protobuf-gzip,protobuf-none,json-none
weft=
build=1
out=

while [ $# -gt 0 ]; do
    case "$1" in
        --size) size=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --formats) formats=$2; shift 2 ;;
        --only) only=$2; shift 2 ;;
        --otlp-modes) otlp_modes=$2; shift 2 ;;
        --weft) weft=$2; build=0; shift 2 ;;
        --no-build) build=0; shift ;;
        --out) out=$2; shift 2 ;;
        -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
done

otlp_formats=${formats:-plain,docker}
formats=${formats:-plain,docker,containerd,crio}

wants() { [[ ",$only," == *",$1,"* ]]; }
note() { echo "run.sh: $*" >&2; }

[ -x /usr/bin/time ] || { note "/usr/bin/time is missing (Debian: apt-get install time)"; exit 1; }
command -v python3 >/dev/null || { note "python3 is missing"; exit 1; }

# --- The binary -------------------------------------------------------------------------------------------------------
if [ -z "$weft" ]; then
    weft="$root/.build/release/weft"
    if [ "$build" = 1 ]; then
        note "building the release binary (swift build -c release --product weft --static-swift-stdlib)"
        "$root/scripts/build-release" >&2
    fi
fi
[ -x "$weft" ] || { note "no binary at $weft (build it, or pass --weft PATH)"; exit 1; }

out=${out:-"$here/results/$(date -u +%Y%m%d-%H%M%S)"}
mkdir -p "$out" "$data"
note "raw measurements in $out"
# Measure a copy: other builds in the same tree may replace .build/release/weft while this runs.
cp "$weft" "$out/weft"
weft="$out/weft"
revision="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git -C "$root" status --porcelain -- Sources Parsers Package.swift 2>/dev/null)" ]; then
    revision="$revision + uncommitted changes in Sources/Parsers"
fi

# --- Inputs -----------------------------------------------------------------------------------------------------------
# generate FORMAT MIB NAME [generate.py options]: bench-data/NAME.log and its summary NAME.json, unless present.
generate() {
    local format=$1 mib=$2 name=$3
    shift 3
    if [ ! -s "$data/$name.log" ] || [ ! -s "$data/$name.json" ]; then
        note "generating $data/$name.log ($format, $mib MiB of text)"
        python3 "$here/generate.py" "$format" "$mib" "$data/$name.log.partial" "$@" > "$data/$name.json.partial"
        mv "$data/$name.log.partial" "$data/$name.log"
        mv "$data/$name.json.partial" "$data/$name.json"
    fi
}

load() { uptime | sed 's/.*load average: //'; }
# machine LOAD_BEFORE: what was measured, on what, and how busy the machine was (1, 5, 15-minute load averages).
machine() {
    echo "weft $revision, $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB." \
        "Load average before: $1; after: $(load)."
}

# measure OUTFILE CMD...: one run under /usr/bin/time; appends "wall user sys maxrss_kib" to OUTFILE.
measure() {
    local file=$1
    shift
    /usr/bin/time -f '%e %U %S %M' -o "$file.one" "$@" > /dev/null
    cat "$file.one" >> "$file"
}

# --- Throughput, CPU, peak memory -------------------------------------------------------------------------------------
if wants throughput; then
    IFS=, read -r -a list <<< "$formats"
    for format in "${list[@]}"; do
        generate "$format" "$size" "$format-$size"
    done
    before=$(load)
    for format in "${list[@]}"; do
        input="$data/$format-$size.log"
        note "$format: warm-up (page cache) and a --summary run"
        cat "$input" > /dev/null
        "$weft" --summary "$input" > /dev/null 2> "$out/$format-$size.summary"
        : > "$out/$format-$size.file.times"
        : > "$out/$format-$size.stdin.times"
        for ((i = 1; i <= runs; i++)); do
            note "$format: run $i/$runs"
            measure "$out/$format-$size.file.times" "$weft" "$input"
            # Only weft is timed; cat feeds the pipe.
            cat "$input" | measure "$out/$format-$size.stdin.times" "$weft"
        done
    done
    {
        echo
        echo "### Throughput: $size MiB inputs, median of $runs runs"
        echo
        python3 "$here/report.py" throughput --data "$data" --results "$out" --size "$size" --formats "$formats"
        echo
        machine "$before"
    } | tee "$out/throughput.md"
fi

# --- First record out -------------------------------------------------------------------------------------------------
if wants latency; then
    generate docker 0.01 latency-docker-small
    before=$(load)
    {
        echo
        echo "### First record out"
        echo
        python3 "$here/first_record.py" --weft "$weft" --input "$data/latency-docker-small.log" --runs 21
        echo
        machine "$before"
    } | tee "$out/latency.md"
fi

# --- A catastrophic user regex ----------------------------------------------------------------------------------------
if wants regex; then
    generate plain 50 regex-normal-50
    python3 "$here/report.py" regex-inputs --data "$data" --normal "$data/regex-normal-50.log"
    before=$(load)
    {
        echo
        echo "### Catastrophic user regex \`(a+)+\$\` (--parsers-file), median of $runs runs"
        echo
        python3 "$here/report.py" regex --weft "$weft" --data "$data" --results "$out" --runs "$runs" \
            --rules "$here/catastrophic.yaml"
        echo
        machine "$before"
    } | tee "$out/regex.md"
fi

# --- weft tail into OTLP/HTTP on loopback, against the file output ---------------------------------------------------
if wants otlp; then
    IFS=, read -r -a list <<< "$otlp_formats"
    for format in "${list[@]}"; do
        generate "$format" "$size" "$format-$size"
    done
    before=$(load)
    {
        echo
        echo "### weft tail into OTLP/HTTP (loopback receiver that only counts) and into a file: $size MiB inputs," \
            "median of $runs runs"
        echo
        python3 "$here/otlp_bench.py" --weft "$weft" --data "$data" --results "$out" --size "$size" \
            --formats "$otlp_formats" --runs "$runs" --modes "$otlp_modes"
        echo
        machine "$before"
    } | tee "$out/otlp.md"
fi
