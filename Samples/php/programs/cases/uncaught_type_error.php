<?php
declare(strict_types=1);

function add_tax(int $cents, float $rate): int
{
    return (int) round($cents * (1 + $rate));
}

function total(array $lines): int
{
    $sum = 0;
    foreach ($lines as $line) {
        $sum += add_tax($line['cents'], 0.2);
    }
    return $sum;
}

total([['cents' => 1200], ['cents' => '350']]);
