"""A pinned, ticking clock for the logging module.

Every LogRecord gets a fixed, increasing timestamp instead of the wall clock,
so the captured samples are the same on every run. Only the time is replaced;
formatting and exception rendering are the logging module's own.
"""
import calendar
import itertools
import logging
import time


def install(start, step=1.125):
    """start: 'YYYY-MM-DD HH:MM:SS' (UTC); each record is `step` seconds later."""
    base = calendar.timegm(time.strptime(start, "%Y-%m-%d %H:%M:%S"))
    ticks = itertools.count()
    make_record = logging.getLogRecordFactory()

    def pinned_record(*args, **kwargs):
        record = make_record(*args, **kwargs)
        record.created = base + next(ticks) * step
        record.msecs = int(round((record.created - int(record.created)) * 1000))
        return record

    logging.setLogRecordFactory(pinned_record)
    logging.Formatter.converter = time.gmtime
