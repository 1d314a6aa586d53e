// express + express-http-proxy: the usual Node.js way to put a gateway in front of services.
// Forwards every path to the backend. express-http-proxy asks for `Connection: close` upstream by default;
// it is kept that way, since that is how the package ships.
//   node express-proxy.js <port> <backend URL>
'use strict';
const express = require('express');
const proxy = require('express-http-proxy');

const [port, backend] = [Number(process.argv[2] || 8083), process.argv[3] || 'http://127.0.0.1:5001'];
const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.use('/', proxy(backend));
app.listen(port, '127.0.0.1', () => console.log(`express-http-proxy listening on 127.0.0.1:${port}, forwarding to ${backend}`));
