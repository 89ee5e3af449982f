"""Ordinary lines from Python's logging with the formats services use (real logging, real structlog)."""
import json
import logging
import sys

import structlog

MESSAGES = [
    (logging.INFO, "starting worker pool with 8 workers"),
    (logging.INFO, "connected to postgres at 10.0.3.12:5432 (pool size 10)"),
    (logging.WARNING, "slow query took 1.82s: SELECT * FROM orders WHERE id = $1"),
    (logging.INFO, "GET /api/v1/orders/1042 200 in 12ms"),
    (logging.ERROR, "payment gateway returned 502, retrying in 2s (attempt 1 of 5)"),
    (logging.INFO, "Traceback logging is enabled for module billing"),
    (logging.WARNING, "retry budget low after ValueError in parse_amount: 3 left"),
    (logging.INFO, "scheduled job cleanup-sessions at 2026-03-14 03:00:00"),
    (logging.DEBUG, "cache miss for key user:42:profile"),
    (logging.INFO, "worker 3 finished batch 77 (128 items) at 1.2k items/s"),
    (logging.ERROR, "could not send email to ops@example.com: Exception raised by SMTP server"),
    (logging.INFO, "shutting down: waiting for 2 in-flight requests"),
]

FORMATS = {
    "python_basic": None,  # basicConfig's default: LEVEL:name:message
    "python_asctime": "%(asctime)s %(levelname)s %(name)s: %(message)s",
    "python_dashes": "%(asctime)s - %(name)s - %(levelname)s - %(message)s",
    "python_flask": "[%(asctime)s] %(levelname)s in %(module)s: %(message)s",
    "python_gunicorn": "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s",
    "python_django": "%(levelname)s %(asctime)s %(module)s %(process)d %(thread)d %(message)s",
}


def run(shape):
    handler = logging.StreamHandler(sys.stdout)
    fmt = FORMATS[shape]
    if shape == "python_gunicorn":
        handler.setFormatter(logging.Formatter(fmt, "%Y-%m-%d %H:%M:%S %z"))
    elif fmt:
        handler.setFormatter(logging.Formatter(fmt))
    else:
        handler.setFormatter(logging.Formatter(logging.BASIC_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG)
    names = ["root", "app.billing", "urllib3.connectionpool", "celery.worker"]
    for i, (level, message) in enumerate(MESSAGES):
        logging.getLogger(names[i % len(names)] if i % len(names) else None).log(level, message)


def run_json():
    """A JSON formatter of the kind python-json-logger writes (one object a line)."""

    class JSONFormatter(logging.Formatter):
        def format(self, record):
            return json.dumps({"asctime": self.formatTime(record), "levelname": record.levelname,
                               "name": record.name, "message": record.getMessage()})

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JSONFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG)
    for level, message in MESSAGES:
        logging.getLogger("api").log(level, message)


def run_structlog(renderer):
    processors = [structlog.processors.add_log_level, structlog.processors.TimeStamper(fmt="iso")]
    if renderer == "json":
        processors.append(structlog.processors.JSONRenderer())
    else:
        processors.append(structlog.dev.ConsoleRenderer(colors=False))
    structlog.configure(processors=processors, logger_factory=structlog.PrintLoggerFactory(sys.stdout))
    log = structlog.get_logger()
    log.info("user logged in", user_id=42, ip="10.0.4.7")
    log.warning("rate limit close", bucket="api", remaining=3)
    log.info("order placed", order_id=1042, total="49.99")
    log.error("upstream failed", service="payments", status=502, error="Exception: gateway timeout")
    log.info("request finished", path="/api/v1/cart", status=200, duration_ms=12.4)
    log.debug("cache refreshed", keys=1284)
    log.info("panic button pressed in admin UI", user="ops")


if __name__ == "__main__":
    shape = sys.argv[1]
    if shape == "python_json":
        run_json()
    elif shape == "structlog_json":
        run_structlog("json")
    elif shape == "structlog_console":
        run_structlog("console")
    else:
        run(shape)
