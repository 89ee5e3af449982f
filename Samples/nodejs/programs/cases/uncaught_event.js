'use strict';
const { EventEmitter } = require('events');
const bus = new EventEmitter();
function publish(topic) {
  bus.emit('error', new Error(`no subscriber for topic ${topic}`));
}
publish('orders.created');
