'use strict';
Promise.reject('token endpoint returned 503');
