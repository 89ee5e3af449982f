'use strict';
function readConfig(file) {
  const err = new Error(`configuration file ${file} is missing the "ledger" section`);
  err.code = 'ECONFIG';
  throw err;
}
readConfig('/etc/shop/config.json');
