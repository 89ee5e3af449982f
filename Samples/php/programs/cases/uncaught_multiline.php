<?php
final class Validator
{
    public function check(array $invoice): void
    {
        $errors = [];
        if (empty($invoice['customer'])) {
            $errors[] = '  - customer is missing';
        }
        if (($invoice['total'] ?? 0) < 0) {
            $errors[] = '  - total is negative';
        }
        if ($errors) {
            throw new DomainException("invoice {$invoice['id']} is invalid:\n" . implode("\n", $errors));
        }
    }
}

(new Validator())->check(['id' => 'INV-4', 'total' => -5]);
