"""Invoice job: exceptions logged through the logging module.

Usage: log_exception.py default      logging.basicConfig() defaults ("ERROR:root:msg")
       log_exception.py timestamped  "%(asctime)s %(levelname)s %(name)s: %(message)s"

logging.exception() / exc_info=True append the formatted traceback to the
log message, so the logger line introduces the trace.
"""
import json
import logging
import sys

import pinnedclock

STYLE = sys.argv[1]
pinnedclock.install("2026-11-29 05:05:00" if STYLE == "default" else "2026-11-29 05:06:00")
if STYLE == "default":
    logging.basicConfig(level=logging.INFO)
else:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

db_log = logging.getLogger("invoices.db")


def load_invoice(number):
    with open(f"invoices/{number}.json") as fh:
        return json.load(fh)


def parse_amount(text):
    return round(float(text.replace(",", ".")), 2)


def total(lines):
    return sum(parse_amount(line["amount"]) for line in lines)


class LedgerError(Exception):
    pass


def post_to_ledger(invoice):
    try:
        {"EUR": 1, "USD": 2}[invoice["currency"]]
    except KeyError as err:
        raise LedgerError(f"invoice {invoice['number']}: no ledger for currency {invoice['currency']}") from err


def main():
    logging.info("invoice job started")

    logging.info("loading invoice 2026-0042")
    try:
        load_invoice("2026-0042")
    except OSError:
        logging.exception("could not load invoice 2026-0042")

    logging.info("totalling invoice 2026-0043")
    try:
        total([{"amount": "12,50"}, {"amount": "n/a"}])
    except ValueError:
        db_log.error("invoice 2026-0043 has a bad amount", exc_info=True)

    logging.info("posting invoice 2026-0044")
    try:
        post_to_ledger({"number": "2026-0044", "currency": "CHF"})
    except LedgerError:
        logging.exception("posting failed:\n  invoice: 2026-0044\n  currency: CHF")

    logging.info("posting invoice 2026-0045")
    try:
        try:
            post_to_ledger({"number": "2026-0045", "currency": "GBP"})
        except LedgerError:
            db_log.info("ledger missing, falling back to the suspense account")
            {"suspense": None}["suspense"].append("2026-0045")
    except AttributeError:
        db_log.exception("fallback failed for invoice 2026-0045")

    logging.info("invoice job finished: 0 of 4 posted")


main()
