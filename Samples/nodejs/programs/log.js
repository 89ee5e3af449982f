'use strict';
// Marker lines: ordinary log lines with a pinned clock, written synchronously to stderr (where Node prints its own
// error reports) so that the capture keeps their order.
const start = Date.parse('2026-11-29T05:40:00.000Z');
let tick = 0;

function log(level, message) {
  const time = new Date(start + tick * 1125).toISOString();
  tick += 1;
  process.stderr.write(`${time} ${level.padEnd(5)} shop-api: ${message}\n`);
}

module.exports = {
  info: (message) => log('INFO', message),
  warn: (message) => log('WARN', message),
};
