'use strict';
function legacyPlugin() {
  throw 'plugin returned status 7';
}
legacyPlugin();
