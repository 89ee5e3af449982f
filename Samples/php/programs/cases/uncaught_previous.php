<?php
class ImportException extends Exception
{
}

function parse_amount(string $field): int
{
    if (!preg_match('/^\d+$/', $field)) {
        throw new InvalidArgumentException("amount '$field' is not a number");
    }
    return (int) $field;
}

function import_row(array $row): int
{
    try {
        return parse_amount($row[1]);
    } catch (InvalidArgumentException $e) {
        throw new ImportException("row {$row[0]} cannot be imported", 17, $e);
    }
}

function import_file(string $name): void
{
    try {
        import_row(['42', '12,50']);
    } catch (ImportException $e) {
        throw new RuntimeException("import of $name failed", 0, $e);
    }
}

import_file('invoices-2.csv');
