#!/usr/bin/env bash
# Regenerate every captured sample (Samples/<lang>/<shape>.log) by running the
# small programs in Samples/<lang>/programs/ on the real runtimes, and derive
# each sample's expected records (<shape>.expected.jsonl) from the capture and
# the program's spec (programs/<shape>.spec) with tools/split_records.py.
#
#   bash Samples/regenerate.sh
#
# Runtimes (Debian bookworm packages, installed here if missing): python3
# (/usr/bin/python3, 3.11), ruby (3.1), golang-go (1.19), openjdk-17-jdk,
# liblogback-java + libslf4j-java (the logback sample is skipped, with a
# warning, if they cannot be installed), nodejs (/usr/bin/node), php-cli +
# php-monolog, mono-runtime + mono-mcs, rustc (/usr/bin/rustc, 1.63). The
# rust/modern sample uses a rustup toolchain ($HOME/.cargo/bin/rustc) when
# there is one and is skipped, with a warning, when there is none.
# libmail-java (JavaMail, for java/messages) is installed if missing, and that
# sample skipped, with a warning, if it cannot be.
# php/php5 is written by hand from PHP 5's documented format (PHP 5 is not
# packaged for bookworm): only its expectation is derived here.
# ruby-rails (Rails 6.1, for ruby/rails and ruby/rails_tagged) is installed if
# missing, and those samples skipped, with a warning, if it cannot be.
# perl (/usr/bin/perl, 5.36) is installed if missing.
# dart/unhandled likewise from the Dart VM's (the Dart SDK is not packaged either).
#
# The programs run from a copy under $WEFT_SAMPLES_WORKDIR (default
# /tmp/weft-samples), so paths printed in traces do not depend on where the
# repository is checked out and no build output lands in the repository.
# Programs run with a minimal environment (env -i), TZ=UTC and C.UTF-8.
set -euo pipefail

SAMPLES="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="${WEFT_SAMPLES_WORKDIR:-/tmp/weft-samples}"
PY=/usr/bin/python3
SPLIT="$SAMPLES/tools/split_records.py"
JAVA_LOG_JARS=(/usr/share/java/slf4j-api.jar /usr/share/java/logback-classic.jar /usr/share/java/logback-core.jar)
JAVA_MAIL_JAR=/usr/share/java/javax.mail.jar

say() { printf 'regenerate: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# --- tools -------------------------------------------------------------------

apt_updated=0
apt_install() {
    if [ "$apt_updated" = 0 ]; then
        say "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || return 1
        apt_updated=1
    fi
    say "apt-get install -y $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

missing=()
[ -x /usr/bin/python3 ] || missing+=(python3)
[ -x /usr/bin/ruby ] || missing+=(ruby)
[ -x /usr/bin/go ] || missing+=(golang-go)
{ [ -x /usr/bin/javac ] && [ -x /usr/bin/java ]; } || missing+=(openjdk-17-jdk)
[ -x /usr/bin/node ] || missing+=(nodejs)
[ -x /usr/bin/php ] || missing+=(php-cli)
[ -f /usr/share/php/Monolog/autoload.php ] || missing+=(php-monolog)
[ -x /usr/bin/mono ] || missing+=(mono-runtime)
[ -x /usr/bin/mcs ] || missing+=(mono-mcs)
[ -x /usr/bin/rustc ] || missing+=(rustc)
[ -x /usr/bin/perl ] || missing+=(perl)
if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}" || die "could not install ${missing[*]}"
fi

have_logback=1
for jar in "${JAVA_LOG_JARS[@]}"; do [ -f "$jar" ] || have_logback=0; done
if [ "$have_logback" = 0 ]; then
    if apt_install liblogback-java libslf4j-java; then
        have_logback=1
        for jar in "${JAVA_LOG_JARS[@]}"; do [ -f "$jar" ] || have_logback=0; done
    fi
    [ "$have_logback" = 1 ] || say "warning: liblogback-java/libslf4j-java unavailable, skipping java/logback"
fi

rails_loads() { /usr/bin/ruby -e 'require "action_controller/railtie"' >/dev/null 2>&1; }
have_rails=1
if ! rails_loads; then
    apt_install ruby-rails && rails_loads || have_rails=0
    [ "$have_rails" = 1 ] || say "warning: ruby-rails unavailable, skipping ruby/rails and ruby/rails_tagged"
fi

have_mail=1
if [ ! -f "$JAVA_MAIL_JAR" ]; then
    apt_install libmail-java && [ -f "$JAVA_MAIL_JAR" ] || have_mail=0
    [ "$have_mail" = 1 ] || say "warning: libmail-java unavailable, skipping java/messages"
fi

# --- helpers -----------------------------------------------------------------

case "$WORK" in
    /|"") die "refusing to use '$WORK' as the work directory" ;;
esac

# stage LANG: fresh copy of Samples/LANG/programs at $WORK/LANG/programs
stage() {
    rm -rf "${WORK:?}/$1"
    mkdir -p "$WORK/$1"
    cp -R "$SAMPLES/$1/programs" "$WORK/$1/programs"
}

# clean environment for every program run
runenv() {
    env -i PATH=/usr/bin:/bin HOME="${HOME:-/root}" LANG=C.UTF-8 TZ=UTC "$@"
}

# capture LANG SHAPE DIR EXPECTED_STATUS CMD...: run CMD in DIR with stdout and
# stderr merged into Samples/LANG/SHAPE.log, check its exit status, then write
# Samples/LANG/SHAPE.expected.jsonl from programs/SHAPE.spec.
capture() {
    local lang="$1" shape="$2" dir="$3" want="$4"
    shift 4
    local log="$SAMPLES/$lang/$shape.log"
    local status=0
    (cd "$dir" && runenv "$@") >"$log.tmp" 2>&1 </dev/null || status=$?
    if [ "$status" != "$want" ]; then
        say "$lang/$shape: exit status $status, expected $want; output:"
        cat "$log.tmp" >&2
        die "$lang/$shape did not behave as expected"
    fi
    mv "$log.tmp" "$log"
    expect "$lang/$shape" "$SAMPLES/$lang/programs/$shape.spec" "$log"
}

# expect NAME SPEC LOG: LOG's expected records from SPEC
expect() {
    local out="${3%.log}.expected.jsonl"
    "$PY" "$SPLIT" "$2" "$3" >"$out.tmp" || die "$1: capture does not match its spec"
    mv "$out.tmp" "$out"
    say "$1: $(wc -l <"$3") lines, $(wc -l <"$out") records"
}

# --- python ------------------------------------------------------------------

stage python
pyrun() { capture python "$1" "$WORK/python" "$2" "$PY" -u -B "${@:3}"; }
pyrun tracebacks 1 programs/tracebacks.py
pyrun syntax_errors 1 programs/syntax_errors.py
pyrun exception_groups 1 programs/exception_groups.py
pyrun thread_crash 0 programs/thread_crash.py
pyrun task_never_retrieved 1 programs/task_never_retrieved.py
pyrun logging_default 0 programs/log_exception.py default
pyrun logging_timestamped 0 programs/log_exception.py timestamped

# --- java --------------------------------------------------------------------

stage java
JAVA_OPTS=(-Duser.language=en -Duser.country=US -Duser.timezone=UTC -Dfile.encoding=UTF-8)
java_sources=("$WORK"/java/programs/com/example/orders/{Traces,JulApp,CategoryTree}.java)
java_cp="$WORK/java/classes"
if [ "$have_mail" = 1 ]; then
    java_sources+=("$WORK"/java/programs/com/example/orders/Mailer.java)
    java_cp="$java_cp:$JAVA_MAIL_JAR"
fi
if [ "$have_logback" = 1 ]; then
    java_sources+=("$WORK"/java/programs/com/example/orders/{LogbackApp,PinnedClockConverter}.java)
    java_cp="$java_cp:$(IFS=:; echo "${JAVA_LOG_JARS[*]}")"
fi
runenv javac -g -encoding UTF-8 -cp "$java_cp" -d "$WORK/java/classes" "${java_sources[@]}" \
    || die "javac failed"
capture java traces "$WORK/java" 1 java "${JAVA_OPTS[@]}" -cp "$java_cp" com.example.orders.Traces
capture java jul "$WORK/java" 0 java "${JAVA_OPTS[@]}" -cp "$java_cp" com.example.orders.JulApp
# The JVM's defaults, -XX:MaxJavaStackTraceDepth=1024 among them: the overflow's frames are cut at 1024. Which
# frame is innermost (HashMap.hash, getNode, ...) varies from run to run; the records' lengths do not.
capture java stack_overflow "$WORK/java" 1 java "${JAVA_OPTS[@]}" -cp "$java_cp" com.example.orders.CategoryTree
if [ "$have_mail" = 1 ]; then
    capture java messages "$WORK/java" 0 java "${JAVA_OPTS[@]}" -cp "$java_cp" com.example.orders.Mailer
fi
if [ "$have_logback" = 1 ]; then
    capture java logback "$WORK/java" 0 java "${JAVA_OPTS[@]}" \
        -Dlogback.configurationFile=programs/logback.xml -cp "$java_cp" com.example.orders.LogbackApp
fi

# --- go ----------------------------------------------------------------------

stage go
GO_ENV=(CGO_ENABLED=0 GOPROXY=off GOFLAGS= GO111MODULE=on)
gorun() {
    local shape="$1" want="$2" pkg="$3"
    shift 3
    capture go "$shape" "$WORK/go/programs" "$want" env "${GO_ENV[@]}" "$@" go run -trimpath "./$pkg"
}
# `go run` reports the program's non-zero exit as "exit status 2" and exits 1.
gorun panic 1 panic
gorun goroutines 1 goroutines GOTRACEBACK=all
gorun recovered 1 recovered
gorun nilpointer 1 nilpointer
gorun deadlock 1 deadlock
gorun http_panic 0 httppanic
gorun multiline 1 multiline
gorun stacks 1 stacks

# --- ruby --------------------------------------------------------------------

stage ruby
rbrun() { capture ruby "$1" "$WORK/ruby" "$2" ruby "programs/$1.rb"; }
rbrun uncaught 1
rbrun did_you_mean 1
rbrun stack_overflow 1
rbrun logger 0
if [ "$have_rails" = 1 ]; then
    capture ruby rails "$WORK/ruby" 0 ruby programs/rails_app.rb plain
    capture ruby rails_tagged "$WORK/ruby" 0 ruby programs/rails_app.rb tagged
fi

# --- nodejs ------------------------------------------------------------------

stage nodejs
# Node prints absolute paths (/tmp/weft-samples/nodejs/programs/...). Uncaught
# exceptions end their process: the programs run each case as a child process.
jsrun() { capture nodejs "$1" "$WORK/nodejs" 0 /usr/bin/node "programs/$1.js"; }
jsrun console_error
jsrun uncaught
jsrun rejections

# --- php ---------------------------------------------------------------------

stage php
# No php.ini (-n): the settings that shape the output are all given here.
# log_errors writes "PHP Fatal error:  ..." to stderr (no error_log set), and
# display_errors=stderr writes "Fatal error: ..." after it. The programs run
# each uncaught case as a child php with the same settings.
PHP=(/usr/bin/php -n -d error_reporting=-1 -d log_errors=1 -d display_errors=stderr -d html_errors=0
    -d date.timezone=UTC)
phprun() { capture php "$1" "$WORK/php" 0 "${PHP[@]}" "programs/$1.php"; }
phprun uncaught
phprun error_log
phprun monolog

# --- dotnet (Mono) -----------------------------------------------------------

stage dotnet
# mcs -debug writes the .mdb symbols and mono --debug reads them, so frames
# carry "in /path/File.cs:N". Mono ends an unhandled exception with exit 1.
runenv /usr/bin/mcs -debug -langversion:7.2 -out:"$WORK/dotnet/Invoices.exe" \
    "$WORK"/dotnet/programs/Invoices.cs >&2 || die "mcs failed"
capture dotnet exceptions "$WORK/dotnet" 1 /usr/bin/mono --debug Invoices.exe exceptions
capture dotnet logger "$WORK/dotnet" 0 /usr/bin/mono --debug Invoices.exe logger

# --- rust --------------------------------------------------------------------

stage rust
# Debian's rustc (1.63): the panic message is quoted on the "panicked at" line.
# The program runs every panic in a child process of its own, so each one is
# its process's first panic and prints the RUST_BACKTRACE note.
(cd "$WORK/rust" && runenv /usr/bin/rustc -g --edition 2021 -o panics programs/panics.rs) >&2 || die "rustc failed"
capture rust panics "$WORK/rust" 0 ./panics plain
capture rust backtrace "$WORK/rust" 0 ./panics backtrace
# A rustup toolchain, where there is one (not a Debian package): 1.73+ prints
# the location on the "panicked at" line and the message on the next lines.
# programs/modern.spec was written for 1.95 (thread ids, an empty line before
# each report); another version is skipped rather than trusted.
RUSTUP_RUSTC="${HOME:-/root}/.cargo/bin/rustc"
rustup_version="$( [ -x "$RUSTUP_RUSTC" ] && runenv "$RUSTUP_RUSTC" --version 2>/dev/null || true)"
case "$rustup_version" in
    "rustc 1.95."*)
        (cd "$WORK/rust" && runenv "$RUSTUP_RUSTC" -g --edition 2021 -o panics-modern programs/panics.rs) >&2 \
            || die "rustc (rustup) failed"
        capture rust modern "$WORK/rust" 0 ./panics-modern modern
        ;;
    *) say "warning: no rustup rustc 1.95 at $RUSTUP_RUSTC (${rustup_version:-none}), skipping rust/modern" ;;
esac

# --- perl --------------------------------------------------------------------

stage perl
# The uncaught confess at the end exits 255 (die's status when $! and $? are 0).
capture perl carp "$WORK/perl" 255 /usr/bin/perl programs/carp.pl

# --- written by hand from documented formats (no runtime here) ---------------

expect php/php5 "$SAMPLES/php/php5.spec" "$SAMPLES/php/php5.log"
expect dart/unhandled "$SAMPLES/dart/unhandled.spec" "$SAMPLES/dart/unhandled.log"

# --- mixed (hand-written, not captured) --------------------------------------

expect mixed/ordinary "$SAMPLES/mixed/ordinary.spec" "$SAMPLES/mixed/ordinary.log"
expect mixed/ordinary-more "$SAMPLES/mixed/ordinary-more.spec" "$SAMPLES/mixed/ordinary-more.log"

# --- Docker, containerd and CRI-O renderings of every capture ------------------

bash "$SAMPLES/render/render-all.sh"

say "done"
