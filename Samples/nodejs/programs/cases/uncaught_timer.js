'use strict';
const reports = {};
setTimeout(function buildReport() {
  return reports.daily.rows.length;
}, 1);
