#!/usr/bin/env bash
# Fuzzes Weft's readers of untrusted bytes with libFuzzer and AddressSanitizer (swiftc -sanitize=fuzzer,address):
# the Docker and CRI decoders, the partial joiner, the rule-file loader and pattern compiler, the engine with
# arbitrary line sequences and timestamps, the config loader, the JSON lines / OTLP encoders (their output must parse
# and carry the text), and the whole pipeline. The targets and their invariants are in Sources/WeftFuzzing.
#
#   scripts/fuzz.sh                      # every target for 60 s
#   scripts/fuzz.sh --seconds 20         # CI's short pass
#   scripts/fuzz.sh --seconds 600 engine pipeline
#
# Each target starts from its seed corpus (Fuzz/seeds.txt: real captures from Samples/, the rule files, the shipped
# configs) plus what earlier runs found (.build-fuzz/corpus/TARGET, kept between runs on one machine) and the kept
# regression inputs (Fuzz/regressions/TARGET). A crash, a violated invariant, a leak or a timeout (an input that
# takes over --timeout seconds) fails the run; its input is saved under Fuzz/crashes/TARGET/ to be fixed and then
# moved to Fuzz/regressions/TARGET/, where FuzzRegressionTests replays it in every test run.
#
# Prints, per target, the executions and the corpus size, and a closing "fuzz: N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
timeout=10
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
all=(docker cri joiner rules engine config encoders pipeline)
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

scripts/ensure-deps >/dev/null
scratch=.build-fuzz
echo "fuzz.sh: building weft-fuzz (Weft's modules with -sanitize=fuzzer,address) in $scratch" >&2
WEFT_FUZZ=1 swift build --scratch-path "$scratch" --product weft-fuzz 2>&1 \
    | { grep -vE "Cannot export local symbol|found 1 file\(s\) which are unhandled" >&2 || true; }
driver="$(WEFT_FUZZ=1 swift build --scratch-path "$scratch" --show-bin-path)/weft-fuzz"

passed=0
failed=0
for target in "${targets[@]}"; do
    corpus="$scratch/corpus/$target"
    crashes="Fuzz/crashes/$target"
    mkdir -p "$corpus" "$crashes"
    # The seeds, cut to 64 KiB, named by their path so reruns overwrite rather than pile up.
    seeds=$(awk -v t="$target" '$1 == t { for (i = 2; i <= NF; i++) print $i }' Fuzz/seeds.txt)
    for pattern in $seeds; do
        for file in $pattern; do
            [ -f "$file" ] && head -c 65536 "$file" >"$corpus/seed-$(echo "$file" | tr '/' '_')"
        done
    done
    extra=()
    [ -d "Fuzz/regressions/$target" ] && extra+=("Fuzz/regressions/$target")
    log="$scratch/$target.log"
    status=0
    WEFT_FUZZ_TARGET=$target ASAN_OPTIONS=detect_leaks=1 SWIFT_BACKTRACE=enable=no "$driver" "$corpus" "${extra[@]}" \
        -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(grep -oE "stat::number_of_executed_units: *[0-9]+" "$log" | grep -oE "[0-9]+$" || echo 0)
    size=$(ls "$corpus" | wc -l)
    if [ "$status" -eq 0 ]; then
        passed=$((passed + 1))
        echo "fuzz: $target: $runs executions in ${seconds} s, corpus $size inputs, no crash"
    else
        failed=$((failed + 1))
        echo "fuzz: $target: FAILED after $runs executions (exit $status); input in $crashes/, log $log"
        grep -E "invariant violated|ERROR: |SUMMARY|Fatal error" "$log" | head -5 | sed 's/^/    /'
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
