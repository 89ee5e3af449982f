#!/usr/bin/env bash
# Capture the ordinary (non-trace) log lines of the corpus from real programs, one file per shape in
# Samples/corpus/ordinary/<shape>.log. Each file is what the program wrote, untouched; build.py re-stamps the
# timestamps onto its own timeline when it weaves them.
#
#   bash Samples/corpus/capture.sh
#
# Debian bookworm packages (installed if missing): nginx, apache2, redis-server, rsyslog, golang-go,
# golang-k8s-klog-dev, ruby, openjdk-17-jdk, liblogback-java, libslf4j-java, nodejs, node-bunyan,
# python3-structlog, make, gcc. PostgreSQL is taken from the machine's /usr/local/bin/postgres when there is one
# (skipped with a warning otherwise). Servers listen on 127.0.0.1 only and are stopped by their pid files.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE/ordinary"
WORK="${WEFT_CORPUS_WORKDIR:-/tmp/weft-corpus}"
PROGRAMS="$HERE/programs"
say() { printf 'capture: %s\n' "$*" >&2; }

missing=()
for pair in /usr/sbin/nginx:nginx /usr/sbin/apache2:apache2 /usr/bin/redis-server:redis-server \
    /usr/sbin/rsyslogd:rsyslog /usr/bin/go:golang-go /usr/share/gocode/src/k8s.io/klog/klog.go:golang-k8s-klog-dev \
    /usr/bin/ruby:ruby /usr/bin/javac:openjdk-17-jdk /usr/share/java/logback-classic.jar:liblogback-java \
    /usr/share/java/slf4j-api.jar:libslf4j-java /usr/bin/node:nodejs /usr/share/nodejs/bunyan:node-bunyan \
    /usr/lib/python3/dist-packages/structlog:python3-structlog /usr/bin/make:make /usr/bin/gcc:gcc \
    /usr/bin/curl:curl /usr/bin/logger:bsdutils; do
    [ -e "${pair%%:*}" ] || missing+=("${pair##*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

rm -rf "$WORK" && mkdir -p "$WORK" "$OUT"
export TZ=UTC LANG=C.UTF-8

# --- Python logging (six formatter layouts, a JSON formatter) and structlog ---------------------------------------
for shape in python_basic python_asctime python_dashes python_flask python_gunicorn python_django python_json \
    structlog_json structlog_console; do
    /usr/bin/python3 "$PROGRAMS/pylogging.py" "$shape" > "$OUT/$shape.log"
done

# --- Go: the standard logger with three flag sets, and klog -------------------------------------------------------
GO111MODULE=off GOPATH=/usr/share/gocode:$WORK/gopath GOCACHE=$WORK/gocache \
    go build -o "$WORK/golog" "$PROGRAMS/golog/main.go"
for shape in go_log go_log_micro go_log_prefix klog; do "$WORK/golog" "$shape" > "$OUT/$shape.log" 2>&1; done

# --- Ruby's Logger ------------------------------------------------------------------------------------------------
/usr/bin/ruby "$PROGRAMS/rubylogger.rb" > "$OUT/ruby_logger.log"

# --- Logback with Spring Boot's console pattern and with Logback's own default --------------------------------------
CP=/usr/share/java/slf4j-api.jar:/usr/share/java/logback-classic.jar:/usr/share/java/logback-core.jar
mkdir -p "$WORK/java" && javac -d "$WORK/java" -cp "$CP" "$PROGRAMS/javalog/LogLines.java"
for shape in spring default; do
    java -Duser.timezone=UTC -Dlogback.configurationFile="$PROGRAMS/javalog/$shape.xml" -cp "$CP:$WORK/java" LogLines \
        > "$OUT/logback_$shape.log"
done

# --- Node: bunyan -------------------------------------------------------------------------------------------------
/usr/bin/node "$PROGRAMS/bunyan.js" > "$OUT/bunyan.log"

# --- nginx: its real access and error logs while curl hits it -------------------------------------------------------
N="$WORK/nginx"
mkdir -p "$N/logs" "$N/html" "$N/tmp" && echo ok > "$N/html/index.html" && echo '{}' > "$N/html/health.json"
sed "s#@WORK@#$N#g" "$PROGRAMS/nginx.conf" > "$N/nginx.conf"
/usr/sbin/nginx -c "$N/nginx.conf" -p "$N"
sleep 0.5
UA="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
for path in / /health.json /missing.php /wp-login.php /api/orders/1042 '/index.html?utm_source=mail' \
    '/search?q=Traceback+most+recent+call' /static/app.js; do
    curl -s -o /dev/null -A "$UA" "http://127.0.0.1:18080$path"
done
curl -s -o /dev/null -X POST -d 'sku=1042&qty=2' http://127.0.0.1:18080/api/cart
curl -s -o /dev/null -e https://shop.example.com/ http://127.0.0.1:18080/
curl -s -o /dev/null -H 'X-Forwarded-For: 10.0.4.7' -A 'kube-probe/1.29' http://127.0.0.1:18080/health.json
kill "$(cat "$N/nginx.pid")"
sleep 0.5
cp "$N/logs/access.log" "$OUT/nginx_access.log"
cp "$N/logs/error.log" "$OUT/nginx_error.log"
cp "$N/logs/forwarded.log" "$OUT/nginx_forwarded.log"

# --- Apache httpd: combined access log and error log ----------------------------------------------------------------
A="$WORK/apache"
mkdir -p "$A/logs" "$A/html" && echo ok > "$A/html/index.html" && chmod -R a+rX "$A"
sed "s#@WORK@#$A#g" "$PROGRAMS/httpd.conf" > "$A/httpd.conf"
/usr/sbin/apache2 -f "$A/httpd.conf" -k start
sleep 0.5
for path in / /missing /admin/settings /cgi-bin/test.cgi '/?panic=1'; do
    curl -s -o /dev/null -A "Go-http-client/1.1" "http://127.0.0.1:18081$path"
done
curl -s -o /dev/null -X DELETE http://127.0.0.1:18081/api/session
kill "$(cat "$A/httpd.pid")"
sleep 1
cp "$A/logs/access.log" "$OUT/apache_access.log"
cp "$A/logs/error.log" "$OUT/apache_error.log"

# --- Redis ----------------------------------------------------------------------------------------------------------
R="$WORK/redis"
mkdir -p "$R"
/usr/bin/redis-server --port 16379 --bind 127.0.0.1 --dir "$R" --logfile "$R/redis.log" --daemonize yes \
    --pidfile "$R/redis.pid" --save ""
sleep 0.5
/usr/bin/redis-cli -p 16379 set order:1042 paid > /dev/null
/usr/bin/redis-cli -p 16379 bgsave > /dev/null
sleep 0.5
kill "$(cat "$R/redis.pid")"
sleep 0.5
cp "$R/redis.log" "$OUT/redis.log"

# --- rsyslog: traditional and precise file formats, messages sent with logger(1) -----------------------------------
S="$WORK/syslog"
mkdir -p "$S"
sed "s#@WORK@#$S#g" "$PROGRAMS/rsyslog.conf" > "$S/rsyslog.conf"
/usr/sbin/rsyslogd -f "$S/rsyslog.conf" -i "$S/rsyslogd.pid"
sleep 1
L=(logger -u "$S/log.sock")
"${L[@]}" -t sshd -i "Accepted publickey for deploy from 10.0.4.7 port 52144 ssh2: ED25519 SHA256:Qk3v9x"
"${L[@]}" -t CRON -i "(root) CMD (/usr/local/bin/backup.sh >/dev/null 2>&1)"
"${L[@]}" -t kernel "[12345.678901] oom-kill: constraint=CONSTRAINT_MEMCG, task=java, pid=4242, uid=1000"
"${L[@]}" -t systemd "Started Daily apt download activities."
"${L[@]}" -t dockerd -i 'time="2026-03-14T10:11:34.123456789Z" level=info msg="Container failed to exit within 10s of signal 15 - using the force"'
"${L[@]}" -t app -i "panic averted: retry succeeded at attempt 3"
"${L[@]}" -t sudo "   deploy : TTY=pts/0 ; PWD=/srv/app ; USER=root ; COMMAND=/usr/bin/systemctl restart app"
"${L[@]}" -t kubelet -i 'E0314 10:11:34.123456    1234 pod_workers.go:1298] "Error syncing pod, skipping" pod="shop/api-7d9c5b6f4-x2x4q"'
sleep 1
kill "$(cat "$S/rsyslogd.pid")"
sleep 0.5
cp "$S/traditional.log" "$OUT/syslog_traditional.log"
cp "$S/precise.log" "$OUT/syslog_precise.log"

# --- PostgreSQL: server start/stop and statement errors (single-user mode), as the postgres user -------------------
if [ -x /usr/local/bin/postgres ] && id postgres > /dev/null 2>&1; then
    P="$WORK/pg"
    mkdir -p "$P" && chown postgres "$P"
    su postgres -s /bin/sh -c "/usr/local/bin/initdb -D $P/data -A trust > /dev/null 2>&1"
    su postgres -s /bin/sh -c "/usr/local/bin/postgres -D $P/data -p 15432 -k $P -c listen_addresses=127.0.0.1 \
        -c log_line_prefix='%m [%p] ' > $P/server.log 2>&1 & echo \$! > $P/pid"
    sleep 2
    kill "$(cat "$P/pid")"
    sleep 1.5
    printf 'select 1/0;\nselect * from orders;\ncreate table t(id int primary key);\ninsert into t values (1),(1);\n' |
        su postgres -s /bin/sh -c "/usr/local/bin/postgres --single -D $P/data -c log_line_prefix='%m [%p] ' postgres" \
            2>> "$P/server.log" > /dev/null
    # single-user mode echoes each statement's trailing newline as a line holding one tab: not a server log line
    grep -v $'^\t$' "$P/server.log" > "$OUT/postgres.log"
else
    say "warning: no /usr/local/bin/postgres, keeping ordinary/postgres.log as it is"
fi

# --- Build output: make + gcc warnings, npm, pip --------------------------------------------------------------------
B="$WORK/build"
mkdir -p "$B" && cp "$PROGRAMS/build/util.c" "$PROGRAMS/build/Makefile" "$B/"
{ make -C "$B" --no-print-directory 2>&1; make -C "$B" --no-print-directory 2>&1
  make -C "$B" --no-print-directory nothing 2>&1 || true; } > "$OUT/make_gcc.log"
mkdir -p "$B/npmapp" && cp "$PROGRAMS/build/package.json" "$PROGRAMS/build/build.js" "$B/npmapp/"
{ (cd "$B/npmapp" && npm install --offline --no-audit --no-fund 2>&1 && npm run build 2>&1); } > "$OUT/npm.log"
mkdir -p "$B/pypkg" && cp "$PROGRAMS/build/setup.py" "$B/pypkg/"
(cd "$B" && /usr/bin/python3 -m pip install --no-index --no-build-isolation --no-cache-dir --target "$B/pytarget" \
    ./pypkg 2>&1) | sed -e 's#/tmp/pip-[a-z-]*[a-z0-9_]*/#/tmp/pip-wheel-cache/#' -e '/^Looking in links/d' > "$OUT/pip.log"

say "wrote $(ls "$OUT" | wc -l) files in $OUT"
