'use strict';
// Unhandled promise rejections, each in a child process: the default mode (thrown like an uncaught exception),
// a rejection with a non-Error reason, an AggregateError from Promise.any, and --unhandled-rejections=warn.
const { spawnSync } = require('child_process');
const path = require('path');
const log = require('./log');

function run(file, args = []) {
  spawnSync(process.execPath, [...args, path.join(__dirname, 'cases', file)], { stdio: 'inherit' });
}

log.info('job 1: fetching exchange rates');
run('reject_error.js');
log.info('job 2: refreshing the token');
run('reject_string.js');
log.info('job 3: querying mirrors');
run('reject_any.mjs');
log.info('job 4: fetching exchange rates (warn mode)');
run('reject_error.js', ['--unhandled-rejections=warn']);
log.info('all jobs exited');
