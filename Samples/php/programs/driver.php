<?php
// Shared by the programs: marker lines with a pinned clock, and running one uncaught case in a child php that has
// the same settings as this one (an uncaught exception ends its process).

const PINNED_START = 1795931400; // 2026-11-29T05:50:00Z

function marker(string $message): void
{
    static $tick = 0;
    $time = gmdate('Y-m-d H:i:s', PINNED_START + $tick);
    $tick += 1;
    fwrite(STDERR, "$time INFO worker: $message\n");
}

/** The -d settings this process runs with (regenerate.sh passes them), for a child to run with the same. */
function php_settings(): array
{
    $settings = [];
    foreach (['error_reporting', 'log_errors', 'display_errors', 'html_errors', 'date.timezone', 'error_log'] as $key) {
        $value = ini_get($key);
        if ($value === false) {
            continue;
        }
        if ($key === 'display_errors' && $value === '') {
            $value = '0';
        }
        $settings[] = '-d';
        $settings[] = "$key=$value";
    }
    return $settings;
}

/**
 * Runs cases/$case.php in a child php with our settings (plus $extra) and copies what it prints (stdout and stderr,
 * one pipe) to our stderr. A pipe rather than our own descriptors: PHP re-seeks a file descriptor it hands to a
 * child to where its own stream thinks it is, which would write over the child's output; and error_log=/dev/stderr
 * needs a pipe to keep the order.
 */
function run_case(string $case, array $extra = []): void
{
    $command = array_merge([PHP_BINARY, '-n'], php_settings(), $extra, [__DIR__ . "/cases/$case.php"]);
    $spec = [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['redirect', 1]];
    $child = proc_open($command, $spec, $pipes);
    fwrite(STDERR, stream_get_contents($pipes[1]));
    fclose($pipes[1]);
    proc_close($child);
}
