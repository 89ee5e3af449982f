package com.example.orders;

import java.io.FileNotFoundException;
import java.io.FileReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketException;
import java.sql.SQLTransientConnectionException;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Order service: the stack-trace shapes of Throwable.printStackTrace() and of the
 * default uncaught-exception handler (JDK 17). The marker lines are plain println.
 */
public class Traces {
    static void info(String time, String message) {
        System.out.println("2026-11-29 " + time + " INFO  [main] orders - " + message);
    }

    static void warmCache(int loaded) {
        if (loaded == 0) {
            throw new IllegalStateException("cache not warmed: 0 of 128 entries loaded");
        }
    }

    static void loadConfig() {
        throw new IllegalArgumentException(
                "invalid configuration:\n  server.port: must be between 1 and 65535, was 0\n  db.url: missing");
    }

    static int customerNameLength(String customer) {
        return customer.length();
    }

    static int sumQuantities(List<String> quantities) {
        return quantities.stream().mapToInt(q -> Integer.parseInt(q.trim())).sum();
    }

    public static void main(String[] args) throws Exception {
        info("05:10:00.017", "order service starting");

        info("05:10:01.250", "warming cache");
        try {
            warmCache(0);
        } catch (IllegalStateException e) {
            e.printStackTrace();
        }

        info("05:10:02.500", "loading configuration");
        try {
            loadConfig();
        } catch (IllegalArgumentException e) {
            e.printStackTrace();
        }

        info("05:10:03.750", "GET /orders/1042");
        try {
            new OrderController(new OrderService(new OrderRepository())).show(1042);
        } catch (RuntimeException e) {
            e.printStackTrace();
        }

        info("05:10:05.000", "committing transaction 77");
        try {
            Transactions.commit(77);
        } catch (IllegalStateException e) {
            e.printStackTrace();
        }

        info("05:10:06.250", "summing quantities for order 1043");
        try {
            int total = List.of("3", "7", "x").stream().mapToInt(q -> Integer.parseInt(q)).sum();
            info("05:10:06.251", "total " + total);
        } catch (NumberFormatException e) {
            e.printStackTrace();
        }

        info("05:10:07.500", "summing quantities for orders 1044 and 1045");
        for (List<String> quantities : List.of(List.of("1", "two"), List.of("5", ""))) {
            try {
                sumQuantities(quantities);
            } catch (NumberFormatException e) {
                e.printStackTrace();
            }
        }

        info("05:10:08.750", "resolving customer of order 1046");
        try {
            customerNameLength(null);
        } catch (NullPointerException e) {
            e.printStackTrace();
        }

        info("05:10:10.000", "starting invoice worker");
        Thread worker = new Thread(() -> {
            int lines = 0;
            System.out.println("per line: " + 100 / lines);
        }, "invoice-worker-1");
        worker.start();
        worker.join();

        info("05:10:11.250", "exporting orders 1047-1049");
        List<String> exported = List.of("1047", "1048", "1049").stream()
                .map(id -> {
                    try (FileReader reader = new FileReader("exports/order-" + id + ".csv")) {
                        return id;
                    } catch (IOException e) {
                        throw new UncheckedIOException("export of order " + id + " failed", e);
                    }
                })
                .collect(Collectors.toList());
        info("05:10:11.999", "exported " + exported);
    }
}

class OrderLookupException extends Exception {
    OrderLookupException(String message, Throwable cause) {
        super(message, cause);
    }
}

class OrderRepository {
    Object find(long id) throws SQLTransientConnectionException {
        throw new SQLTransientConnectionException("HikariPool-1 - Connection is not available, request timed out after 30000ms.");
    }
}

class OrderService {
    private final OrderRepository repository;

    OrderService(OrderRepository repository) {
        this.repository = repository;
    }

    Object lookup(long id) throws OrderLookupException {
        try {
            return repository.find(id);
        } catch (SQLTransientConnectionException e) {
            throw new OrderLookupException("lookup of order " + id + " failed", e);
        }
    }
}

class OrderController {
    private final OrderService service;

    OrderController(OrderService service) {
        this.service = service;
    }

    Object show(long id) {
        try {
            return service.lookup(id);
        } catch (OrderLookupException e) {
            throw new RuntimeException("GET /orders/" + id + " failed", e);
        }
    }
}

class Transactions {
    static class Connection implements AutoCloseable {
        private final String name;

        Connection(String name) {
            this.name = name;
        }

        @Override
        public void close() throws IOException {
            IOException failure = new IOException("close failed: " + name, new SocketException("Broken pipe"));
            if (name.equals("replica")) {
                failure.addSuppressed(new TimeoutException("flush of replica timed out after 500 ms"));
            }
            throw failure;
        }
    }

    static void commit(long id) throws IOException {
        try (Connection primary = new Connection("primary"); Connection replica = new Connection("replica")) {
            throw new IllegalStateException("transaction " + id + " aborted: write conflict on orders");
        }
    }
}
