<?php
// The same reports through error_log (error_log=/dev/stderr, display off): PHP stamps the first line with
// "[29-Nov-2026 05:50:00 UTC]" (the real clock: that stamp changes from run to run).
require __DIR__ . '/driver.php';

$logged = ['-d', 'error_log=/dev/stderr', '-d', 'display_errors=0'];
marker('importer started (error_log mode)');
marker('importing invoices-1.csv');
run_case('uncaught_simple', $logged);
marker('importing invoices-2.csv');
run_case('uncaught_previous', $logged);
marker('importer finished');
