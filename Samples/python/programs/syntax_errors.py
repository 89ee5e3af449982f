"""Rule loader: SyntaxError shapes from CPython 3.11.

Rules are user-supplied Python snippets compiled at start-up; a broken plugin
module is imported at the end and its SyntaxError is left uncaught.
"""
import logging
import subprocess
import sys

import pinnedclock

pinnedclock.install("2026-11-29 05:01:00")
logging.basicConfig(
    level=logging.INFO,
    stream=sys.stdout,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
log = logging.getLogger("rules")

RULES = {
    "alert-on-5xx": "if status = = 500:\n    alert()\n",
    "tag-slow": "tags = ['slow' 'p99' 'latency']\nif latency > 2 seconds:\n    tag(tags)\n",
    "drop-health": "if path == '/health':\ndrop()\n",
    "rename-field": "record['user'] = record.pop('uid'\n",
}


def compile_rule(name, source):
    return compile(source, f"<rule {name}>", "exec")


def main():
    log.info("loading %d rules", len(RULES))
    for name, source in RULES.items():
        log.info("compiling rule %s", name)
        try:
            compile_rule(name, source)
        except SyntaxError:
            sys.excepthook(*sys.exc_info())

    log.info("checking plugin bad_plugin.py as a script")
    # A script that does not compile is reported without a "Traceback" header.
    subprocess.run([sys.executable, "-u", "-B", "programs/bad_plugin.py"])

    log.info("importing plugin bad_plugin")
    import bad_plugin  # noqa: F401  (SyntaxError, uncaught)


main()
