package com.example.orders;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Catalog import: a category tree whose parent links form a cycle, so building a category's path recurses until the
 * stack overflows. A default-configured JVM (-XX:MaxJavaStackTraceDepth=1024) keeps the innermost 1024 frames of a
 * StackOverflowError, so each trace here is over a thousand lines.
 *
 * <p>First the request handler catches it, wraps it and logs it through java.util.logging's SimpleFormatter
 * (header, "SEVERE: msg", the wrapper with its few frames, "Caused by: java.lang.StackOverflowError" with 1024 frames,
 * the closing empty line); then the import leaves it uncaught in main ("Exception in thread "main"
 * java.lang.StackOverflowError" and 1024 frames).
 */
public class CategoryTree {
    private static final Logger log = Logger.getLogger(CategoryTree.class.getName());
    private static final Instant START = Instant.parse("2026-11-29T05:15:00Z");
    private static final AtomicLong TICKS = new AtomicLong();

    static {
        log.setFilter(record -> {
            record.setInstant(START.plusMillis(1125 * TICKS.getAndIncrement()));
            return true;
        });
    }

    private final Map<Integer, Integer> parents = new HashMap<>();
    private final Map<Integer, String> names = new HashMap<>();

    void add(int id, String name, int parent) {
        names.put(id, name);
        parents.put(id, parent);
    }

    String path(int id) {
        Integer parent = parents.get(id);
        return parent == null || parent == 0 ? names.get(id) : parentPath(parent) + "/" + names.get(id);
    }

    String parentPath(int parent) {
        return path(parent);
    }

    static CategoryTree load() {
        CategoryTree tree = new CategoryTree();
        tree.add(1, "garden", 0);
        tree.add(12, "tools", 1);
        tree.add(17, "hoses", 18);
        tree.add(18, "watering", 17);
        return tree;
    }

    static String breadcrumbs(CategoryTree tree, int id) {
        try {
            return tree.path(id);
        } catch (StackOverflowError e) {
            throw new IllegalStateException("category " + id + ": parent chain does not end", e);
        }
    }

    public static void main(String[] args) {
        log.info("catalog import started");
        CategoryTree tree = load();
        log.info("breadcrumbs for category 12: " + breadcrumbs(tree, 12));
        try {
            breadcrumbs(tree, 17);
        } catch (IllegalStateException e) {
            log.log(Level.SEVERE, "GET /categories/17 failed", e);
        }
        log.info("indexing category paths");
        for (int id : new int[] {1, 12, 17}) {
            tree.path(id);
        }
        log.info("catalog import finished");
    }
}
