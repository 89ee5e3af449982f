#!/usr/bin/env bash
# Runs the test suite under a sanitizer, in its own build folder so the ordinary build stays as it is.
#
#   scripts/sanitize.sh address     # every test, AddressSanitizer + LeakSanitizer (.build-asan)
#   scripts/sanitize.sh thread      # the concurrent parts (collector, OTLP sender, metrics server, processes) under
#                                   # ThreadSanitizer (.build-tsan)
#
# WEFT_SANITIZER tells the tests that a process's resident memory is not Weft's (shadow memory, quarantine): only the
# assertions on a process's RSS are skipped then, everything else holds. Leak reports from the toolchain's own
# runtime libraries are suppressed by Tests/Sanitizers/lsan.supp, which says why for each; nothing of Weft's is.
# Prints swift test's closing line; exits non-zero on a failed test or a sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-address}
scripts/ensure-deps >/dev/null
case "$kind" in
    address)
        export WEFT_SANITIZER=address
        export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
        export LSAN_OPTIONS="suppressions=$PWD/Tests/Sanitizers/lsan.supp:print_suppressions=0"
        swift build --build-tests --sanitize=address --scratch-path .build-asan 2>&1 | { grep -vE "unhandled" || true; }
        swift test --skip-build --sanitize=address --scratch-path .build-asan
        ;;
    thread)
        export WEFT_SANITIZER=thread
        export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
        swift build --build-tests --sanitize=thread --scratch-path .build-tsan 2>&1 | { grep -vE "unhandled" || true; }
        # Skipped by name, all checked by the ordinary run and under AddressSanitizer: the compress-ahead overlap,
        # whose window (a 3 s answer) a ThreadSanitizer build (several times slower) does not fit; and the
        # fault-injection processes (a 100 MB line, 10,000 streams), which exercise one thread each and take minutes
        # under ThreadSanitizer.
        swift test --skip-build --sanitize=thread --scratch-path .build-tsan \
            --filter "WeftCollectorTests|WeftExportHTTPTests|WeftMetricsServerTests|WeftIOTests|WeftLogTests|SignalTests" \
            --skip "theNextBatchIsCompressedWhileOneIsInFlight|FaultInjectionTests"
        ;;
    *) echo "sanitize.sh: address or thread" >&2; exit 2 ;;
esac
