package com.example.orders;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Payment service logging through SLF4J + Logback 1.2 (Debian's liblogback-java). */
public class LogbackApp {
    private static final Logger log = LoggerFactory.getLogger(LogbackApp.class);

    static class PaymentGateway {
        void authorize(String order, long cents) throws ConnectException {
            throw new ConnectException("Connection refused: gateway.payments.internal:8443");
        }
    }

    static class PaymentService {
        private final PaymentGateway gateway = new PaymentGateway();

        void charge(String order, long cents) {
            try {
                gateway.authorize(order, cents);
            } catch (ConnectException e) {
                throw new IllegalStateException("payment for order " + order + " not authorized", e);
            }
        }

        long settle(String batch) {
            log.warn("batch {} total exceeds the long range, aborting", batch);
            throw new ArithmeticException("settlement total overflowed for batch " + batch);
        }
    }

    static class Receipt implements AutoCloseable {
        @Override
        public void close() throws IOException {
            throw new IOException("receipt spool is read-only");
        }
    }

    static void checkout(PaymentService payments, String order, long cents) {
        payments.charge(order, cents);
    }

    public static void main(String[] args) throws Exception {
        PaymentService payments = new PaymentService();
        log.info("payment service started");

        log.info("charging order 1042");
        try {
            checkout(payments, "1042", 4999);
        } catch (IllegalStateException e) {
            log.error("charge failed for order {}", "1042", e);
        }

        log.info("printing receipt for order 1043");
        try (Receipt receipt = new Receipt()) {
            throw new UncheckedIOException("printer offline", new IOException("no route to printer lp0"));
        } catch (UncheckedIOException e) {
            log.warn("receipt for order 1043 not printed", e);
        }

        log.info("settling batch 7 asynchronously");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<Long> settlement = pool.submit(() -> payments.settle("7"));
        try {
            settlement.get();
        } catch (ExecutionException e) {
            log.error("settlement of batch 7 failed", e);
        }
        pool.shutdown();

        log.info("retrying orders 1044 and 1045");
        for (String order : new String[] {"1044", "1045"}) {
            try {
                checkout(payments, order, 1250);
            } catch (IllegalStateException e) {
                log.error("charge failed for order {}", order, e);
            }
        }
        log.info("payment service stopped");
    }
}
