"""Batch importer: PEP 654 exception groups as printed by CPython 3.11."""
import asyncio
import logging
import sys

import pinnedclock

pinnedclock.install("2026-11-29 05:02:00")
logging.basicConfig(
    level=logging.INFO,
    stream=sys.stdout,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
log = logging.getLogger("importer")


def parse_row(row):
    if "," not in row:
        raise ValueError(f"row {row!r}: expected 2 columns, got 1")
    name, qty = row.split(",")
    return name, int(qty)


def validate_batch(rows):
    errors = []
    for row in rows:
        try:
            parse_row(row)
        except ValueError as err:
            errors.append(err)
    if errors:
        raise ExceptionGroup(f"batch rejected: {len(errors)} of {len(rows)} rows invalid", errors)


def sync_region(region):
    problems = []
    try:
        validate_batch(["apple,3", "pear"])
    except ExceptionGroup as group:
        problems.append(group)
    try:
        raise TimeoutError(f"region {region}: warehouse API did not answer in 5s")
    except TimeoutError as err:
        problems.append(err)
    raise ExceptionGroup(f"sync of region {region} failed", problems)


async def fetch_stock(store):
    await asyncio.sleep(0)
    if store % 2:
        raise ConnectionResetError(f"store {store}: connection reset by peer")
    raise LookupError(f"store {store}: unknown SKU 'kiwi'")


async def refresh_all():
    async with asyncio.TaskGroup() as group:
        for store in (1, 2):
            group.create_task(fetch_stock(store))


def main():
    log.info("import run 88 started")

    log.info("validating batch 1 (3 rows)")
    try:
        validate_batch(["apple,3", "pear", "plum,x"])
    except ExceptionGroup:
        sys.excepthook(*sys.exc_info())

    log.info("syncing region eu-west")
    try:
        sync_region("eu-west")
    except ExceptionGroup:
        sys.excepthook(*sys.exc_info())

    log.info("validating batch 2 (17 rows)")
    try:
        validate_batch([f"sku-{n}" for n in range(17)])
    except ExceptionGroup:
        sys.excepthook(*sys.exc_info())

    log.info("refreshing stock from 2 stores")
    asyncio.run(refresh_all())


main()
