// Ordinary lines from bunyan (the Debian node-bunyan package), Node's JSON logger, and plain console output.
const bunyan = require('/usr/share/nodejs/bunyan');
const log = bunyan.createLogger({ name: 'checkout', stream: process.stdout });
log.info('server listening on http://0.0.0.0:3000');
log.info({ req_id: 'a1b2', method: 'GET', url: '/api/cart', status: 200, ms: 14 }, 'request finished');
log.warn({ attempt: 2 }, 'redis reconnecting after Error: connect ECONNREFUSED 10.0.3.9:6379');
log.error({ order: 1043 }, 'payment declined');
log.info('TypeError handling middleware installed');
log.debug('cache warm: 1284 keys');
log.info({ heapUsed: 48123904 }, 'memory usage');
