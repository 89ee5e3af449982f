'use strict';
async function fetchRates(currency) {
  await null;
  throw new TypeError(`rates for ${currency} are not available`);
}
fetchRates('EUR');
