<?php
// Uncaught exceptions, each in a child php: log_errors prints "PHP Fatal error:  Uncaught ..." and
// display_errors=stderr prints "Fatal error: Uncaught ..." right after it.
require __DIR__ . '/driver.php';

marker('importer started');
marker('importing invoices-1.csv');
run_case('uncaught_simple');
marker('importing invoices-2.csv');
run_case('uncaught_previous');
marker('totalling invoices-3.csv');
run_case('uncaught_type_error');
marker('validating invoices-4.csv');
run_case('uncaught_multiline');
marker('mapping invoices-5.csv');
run_case('uncaught_closure');
marker('importer finished');
