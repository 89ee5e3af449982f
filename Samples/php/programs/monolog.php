<?php
// Monolog (Debian's php-monolog, 2.x) with LineFormatter and includeStacktraces(true), as apps and Laravel set it up:
// the record's first line, then "[stacktrace]", "#N" frames, "[previous exception]" sections, and the rest of the
// context and extra after the closing quote. Records go to stderr; the clock is pinned by a processor.
require '/usr/share/php/Monolog/autoload.php';

use Monolog\Formatter\LineFormatter;
use Monolog\Handler\StreamHandler;
use Monolog\Logger;

function logger(string $channel, LineFormatter $formatter): Logger
{
    static $tick = 0;
    $formatter->includeStacktraces(true);
    $handler = new StreamHandler('php://stderr');
    $handler->setFormatter($formatter);
    $logger = new Logger($channel, [$handler]);
    $logger->pushProcessor(function (array $record) use (&$tick): array {
        $record['datetime'] = new DateTimeImmutable('@' . (1795932000 + $tick), new DateTimeZone('UTC'));
        $tick += 1;
        return $record;
    });
    return $logger;
}

// Monolog's defaults: "[%datetime%] %channel%.%level_name%: %message% %context% %extra%".
$app = logger('billing', new LineFormatter(null, null, true));
// Laravel's: no empty context/extra, its own date format.
$laravel = logger('production', new LineFormatter(null, 'Y-m-d H:i:s', true, true));

class GatewayException extends RuntimeException
{
}

function call_gateway(string $order): void
{
    throw new GatewayException("gateway timeout after 30s for order $order", 504);
}

function charge(string $order): void
{
    try {
        call_gateway($order);
    } catch (GatewayException $e) {
        throw new LogicException("charge for order $order failed", 0, $e);
    }
}

function refund(array $payment): void
{
    throw new UnexpectedValueException("refund of {$payment['id']} rejected:\nstatus: closed\nsince: 2026-11-01");
}

$app->info('payment worker started');

$app->info('charging order 1042');
try {
    charge('1042');
} catch (Exception $e) {
    $app->error('Payment failed', ['exception' => $e]);
}

$app->info('refunding payment p-77');
try {
    refund(['id' => 'p-77']);
} catch (Exception $e) {
    $app->critical('Refund failed', ['exception' => $e]);
}

$app->warning('gateway latency above 2s', ['p95_ms' => 2300]);

$app->info('charging order 1043');
try {
    charge('1043');
} catch (Exception $e) {
    $laravel->error($e->getMessage(), ['userId' => 17, 'exception' => $e]);
}

$app->info('charging orders 1044 and 1045');
foreach (['1044', '1045'] as $order) {
    try {
        call_gateway($order);
    } catch (Exception $e) {
        $laravel->error('Charge failed', ['exception' => $e]);
    }
}

$app->info('payment worker stopped');
