"""Price fetcher: asyncio's "Task exception was never retrieved".

A task that fails and whose result nobody awaits is reported by the event
loop's default exception handler (through the "asyncio" logger, which has no
handler configured here, so logging's last-resort handler prints it) when the
task object is garbage-collected. The last failure is left uncaught in
asyncio.run().
"""
import asyncio
import gc


def say(line):
    print(line, flush=True)


async def fetch_price(sku):
    await asyncio.sleep(0)
    raise ConnectionError(f"price service closed the connection while fetching {sku}")


async def fetch_all(skus):
    prices = {}
    for sku in skus:
        prices[sku] = await fetch_price(sku)
    return prices


async def main():
    say("2026-11-29 05:04:00,000 INFO prices: refresh started")

    task = asyncio.create_task(fetch_price("apple"))
    await asyncio.sleep(0.01)
    say("2026-11-29 05:04:00,012 INFO prices: background refresh of apple scheduled")
    del task
    gc.collect()

    say("2026-11-29 05:04:01,250 INFO prices: refreshing pear and plum in the foreground")
    await fetch_all(["pear", "plum"])


asyncio.run(main())
