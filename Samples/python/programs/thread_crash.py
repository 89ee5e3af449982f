"""Thumbnail service: exceptions that escape threading.Thread targets.

threading.excepthook (the default) prints "Exception in thread NAME:" and the
traceback; the process keeps running.
"""
import logging
import sys
import threading

import pinnedclock

pinnedclock.install("2026-11-29 05:03:00")
logging.basicConfig(
    level=logging.INFO,
    stream=sys.stdout,
    format="%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s",
)
log = logging.getLogger("thumbs")


def decode(path):
    with open(path, "rb") as fh:
        return fh.read()


def worker(path):
    decode(path)


def poll_queue(queue):
    while True:
        job = queue.pop(0)
        log.info("resizing %s", job["image"])


def main():
    log.info("thumbnail service ready")

    log.info("dispatching job 1 to an unnamed worker thread")
    thread = threading.Thread(target=worker, args=("uploads/missing-cat.png",))
    thread.start()
    thread.join()

    log.info("starting the queue poller thread")
    poller = threading.Thread(target=poll_queue, args=([{"image": "dog.png"}],), name="queue-poller")
    poller.start()
    poller.join()

    log.info("all worker threads have exited")


main()
