'use strict';
function connect(host) {
  const refused = new Error(`connect ECONNREFUSED ${host}:5432`);
  refused.errno = -111;
  refused.code = 'ECONNREFUSED';
  throw refused;
}
function openLedger() {
  try {
    connect('10.0.0.7');
  } catch (cause) {
    throw new Error('ledger unavailable', { cause: new Error('pool exhausted after 3 attempts', { cause }) });
  }
}
openLedger();
