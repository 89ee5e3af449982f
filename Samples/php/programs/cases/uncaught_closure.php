<?php
namespace Acme\Import;

class Mapper
{
    public function map(array $rows): array
    {
        return array_map(function (array $row) {
            return $this->currency($row['currency']);
        }, $rows);
    }

    private function currency(string $code): string
    {
        throw new \UnexpectedValueException("unknown currency $code");
    }
}

(new Mapper())->map([['currency' => 'XXX']]);
