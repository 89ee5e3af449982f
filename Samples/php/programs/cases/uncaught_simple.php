<?php
function read_invoices(string $path): array
{
    if (!is_file($path)) {
        throw new RuntimeException("invoice file $path does not exist");
    }
    return file($path);
}

function import(string $path): int
{
    return count(read_invoices($path));
}

import('/nonexistent/invoices-1.csv');
