'use strict';
const fs = require('fs');
fs.readFileSync('/nonexistent/ledger.csv', 'utf8');
