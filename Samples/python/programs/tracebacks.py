"""Checkout worker: the everyday CPython 3.11 traceback shapes.

Each failure is printed by sys.excepthook (CPython's own C implementation,
the same code that prints an uncaught exception); the last one is really
left uncaught.
"""
import logging
import sys

import pinnedclock

pinnedclock.install("2026-11-29 05:00:00")
logging.basicConfig(
    level=logging.INFO,
    stream=sys.stdout,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
log = logging.getLogger("checkout")

PRICES = {"apple": 3, "pear": 4}
RATES_HOST = "rates.internal"


def report_current_exception():
    sys.excepthook(*sys.exc_info())


# --- classic: every frame is a whole-line call, so no caret lines ---------

def connect(host):
    raise ConnectionRefusedError(111, "Connection refused")


def fetch_rates(host):
    connect(host)


# --- 3.11 position markers ------------------------------------------------

def line_total(order):
    return PRICES[order["sku"]] * order["qty"]


def order_total(orders):
    return sum([line_total(order) for order in orders])


def discounted(total, discount):
    return total - total * discount["rate"] / discount["cap"]


# --- multi-line message ----------------------------------------------------

def validate(payload):
    raise ValueError(
        "invalid order payload:\nline 2: unexpected field 'qyt'\n  hint: did you mean 'qty'?"
    )


# --- chains ----------------------------------------------------------------

def lookup_customer(customers, customer_id):
    try:
        return customers[customer_id]
    except KeyError:
        log_missing_customer(customer_id)


def log_missing_customer(customer_id):
    raise RuntimeError(f"audit log unavailable while reporting customer {customer_id}")


class CheckoutError(Exception):
    pass


def charge(card):
    try:
        int(card["number"])
    except ValueError as err:
        raise CheckoutError("card rejected for order 1009") from err


# --- recursion -------------------------------------------------------------

def category_depth(categories, name):
    return 1 + category_depth(categories, categories[name])


def main():
    log.info("worker started, 9 orders queued")

    log.info("order 1001: fetching exchange rates from %s", RATES_HOST)
    try:
        fetch_rates(RATES_HOST)
    except ConnectionError:
        report_current_exception()

    log.info("order 1002: computing totals")
    try:
        order_total([{"sku": "apple", "qty": 2}, {"sku": "kiwi", "qty": 1}])
    except KeyError:
        report_current_exception()

    log.info("order 1003: applying discount")
    try:
        discounted(100, {"rate": 5, "cap": 0})
    except ZeroDivisionError:
        report_current_exception()

    log.info("order 1004: validating payload")
    try:
        validate({"qyt": 3})
    except ValueError:
        report_current_exception()

    log.info("order 1005: looking up customer")
    try:
        lookup_customer({}, 77)
    except RuntimeError:
        report_current_exception()

    log.info("order 1006: resolving category depth")
    try:
        category_depth({"fruit": "fruit"}, "fruit")
    except RecursionError:
        report_current_exception()

    log.info("orders 1007 and 1008: retrying rates twice")
    for _ in range(2):
        try:
            fetch_rates(RATES_HOST)
        except ConnectionError:
            report_current_exception()

    log.info("order 1009: charging card")
    charge({"number": "4111-XXXX"})


main()
