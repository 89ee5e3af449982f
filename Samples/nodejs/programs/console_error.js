'use strict';
// console.error(err): Node's util.inspect of an Error, as apps print caught errors.
const log = require('./log');

class PaymentError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'PaymentError';
  }
}

function parseOrder(text) {
  return JSON.parse(text);
}

function chargeCard(order) {
  const err = new PaymentError(`card declined for order ${order.id}`);
  err.code = 'E_DECLINED';
  err.retryable = false;
  err.details = { gateway: 'acme-pay', attempt: 2, limits: { daily: 500, used: 498 } };
  throw err;
}

function loadCustomer(id) {
  try {
    return require('fs').readFileSync(`/nonexistent/customers/${id}.json`);
  } catch (cause) {
    throw new Error(`customer ${id} could not be loaded`, { cause });
  }
}

function settle(order) {
  try {
    loadCustomer(order.customer);
  } catch (cause) {
    throw new PaymentError(`settlement of order ${order.id} failed`, { cause });
  }
}

log.info('order-api 3.2.0 listening on :8080');

log.info('POST /orders: parsing request body');
try {
  parseOrder('{"id": 1042, items: []}');
} catch (err) {
  console.error(err);
}

log.info('POST /orders/1042/charge');
try {
  chargeCard({ id: 1042 });
} catch (err) {
  console.error(err);
}

log.info('POST /orders/1043/settle');
try {
  settle({ id: 1043, customer: 'c-77' });
} catch (err) {
  console.error(err);
}

log.info('validating order 1044');
const invalid = new Error('order 1044 is invalid:\n  - quantity must be positive\n  - currency is missing');
console.error(invalid);

log.info('charging 3 cards for batch 9');
const failures = [new PaymentError('card 1 declined'), new TypeError('card 2: amount must be a number')];
console.error(new AggregateError(failures, 'batch 9: 2 of 3 charges failed'));

log.info('retrying batch 9');
console.error('retry failed:', new RangeError('attempt 4 exceeds the limit of 3'));

log.warn('two reports back to back');
console.error(new Error('first of two'));
console.error(new TypeError('second of two'));

log.info('shutting down');
