package com.example.orders;

import java.io.FileNotFoundException;
import java.io.FileReader;
import java.io.IOException;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Inventory sync logging through java.util.logging with the JDK's default ConsoleHandler and
 * SimpleFormatter (two-line records: "Nov 29, 2026 5:13:00 AM class method" then "LEVEL: msg").
 * A logger filter pins each record's time (fixed start, 1.125 s per record) so that the
 * captured sample is the same on every run; formatting is SimpleFormatter's own.
 */
public class JulApp {
    private static final Logger log = Logger.getLogger(JulApp.class.getName());
    private static final Instant START = Instant.parse("2026-11-29T05:13:00Z");
    private static final AtomicLong TICKS = new AtomicLong();

    static {
        log.setFilter(record -> {
            record.setInstant(START.plusMillis(1125 * TICKS.getAndIncrement()));
            return true;
        });
    }

    static class InventorySyncException extends Exception {
        InventorySyncException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static String readFeed(String path) throws IOException {
        try (FileReader reader = new FileReader(path)) {
            return "ok";
        }
    }

    static void syncWarehouse(String warehouse) throws InventorySyncException {
        try {
            readFeed("feeds/" + warehouse + ".xml");
        } catch (IOException e) {
            throw new InventorySyncException("sync of warehouse " + warehouse + " failed", e);
        }
    }

    static int reserve(int[] stock, int slot) {
        return stock[slot]--;
    }

    static void reserveForOrder(String order, int slot) {
        try {
            reserve(new int[] {4, 0, 9}, slot);
        } catch (ArrayIndexOutOfBoundsException e) {
            log.log(Level.WARNING, "reservation for order " + order + " failed", e);
        }
    }

    public static void main(String[] args) {
        log.info("inventory sync started");

        try {
            syncWarehouse("berlin-2");
        } catch (InventorySyncException e) {
            log.log(Level.SEVERE, "warehouse berlin-2 skipped", e);
        }

        log.info("reserving stock for order 1042");
        reserveForOrder("1042", 3);

        log.info("inventory sync finished with 2 errors");
    }
}
