package com.example.orders;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Logback conversion word "pinnedDate": like %d{yyyy-MM-dd HH:mm:ss.SSS}, but the clock is
 * pinned (a fixed start, 1.125 s per event) so that the captured sample is the same on every run.
 */
public class PinnedClockConverter extends ClassicConverter {
    private static final Instant START = Instant.parse("2026-11-29T05:12:00Z");
    private static final DateTimeFormatter FORMAT =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(ZoneOffset.UTC);
    private static final AtomicLong TICKS = new AtomicLong();

    @Override
    public String convert(ILoggingEvent event) {
        return FORMAT.format(START.plusMillis(1125 * TICKS.getAndIncrement()));
    }
}
