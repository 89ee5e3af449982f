'use strict';
// Uncaught exceptions: each one ends its process, so every case runs as a child process (same stderr, in order).
const { spawnSync } = require('child_process');
const path = require('path');
const log = require('./log');

function run(file, args = []) {
  spawnSync(process.execPath, [...args, path.join(__dirname, 'cases', file)], { stdio: 'inherit' });
}

log.info('worker 1: loading configuration');
run('uncaught_error.js');
log.info('worker 2: connecting to the ledger');
run('uncaught_cause.js');
log.info('worker 3: scheduling the report timer');
run('uncaught_timer.js');
log.info('worker 4: reading /nonexistent/ledger.csv');
run('uncaught_fs.js');
log.info('worker 5: starting the event bus');
run('uncaught_event.js');
log.info('worker 6: running legacy plugin');
run('uncaught_string.js');
log.info('all workers exited');
