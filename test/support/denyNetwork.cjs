/** Preload for the privacy tests (`node --require`): every network API throws, and each attempt is recorded. */
'use strict';
// Attempts go to $DENY_NETWORK_LOG, one JSON line each; every thread that loads this file appends a line to
// $DENY_NETWORK_LOG.loaded, so a test can show that worker threads were covered too. Stdio pipes and IPC
// channels are opened by handle, not by connect(), so they keep working.
const fs = require('node:fs');
const { threadId } = require('node:worker_threads');

const log = process.env.DENY_NETWORK_LOG;
if (!log) throw new Error('denyNetwork.cjs: set DENY_NETWORK_LOG to the file that records attempts');
fs.appendFileSync(`${log}.loaded`, JSON.stringify({ pid: process.pid, thread: threadId }) + '\n');

function target(args) {
  const [first] = args;
  if (typeof first === 'string' || typeof first === 'number') return String(first);
  if (first instanceof URL) return first.href;
  if (first && typeof first === 'object') return JSON.stringify({ host: first.host ?? first.hostname, port: first.port, path: first.path, url: first.url });
  return '';
}

function deny(api) {
  return function denied(...args) {
    const entry = { api, target: target(args), pid: process.pid, thread: threadId, stack: new Error().stack.split('\n').slice(2, 6).map((l) => l.trim()) };
    fs.appendFileSync(log, JSON.stringify(entry) + '\n');
    const error = new Error(`network access denied (${api} ${entry.target}) by test/support/denyNetwork.cjs`);
    error.code = 'EACCES';
    throw error;
  };
}

function patch(object, name, api) {
  if (typeof object[name] === 'function') object[name] = deny(api);
}

const net = require('node:net');
patch(net.Socket.prototype, 'connect', 'net.Socket.connect');
patch(net.Server.prototype, 'listen', 'net.Server.listen');
for (const name of ['connect', 'createConnection']) patch(net, name, `net.${name}`);
patch(require('node:tls'), 'connect', 'tls.connect');
for (const mod of ['http', 'https']) for (const name of ['request', 'get']) patch(require(`node:${mod}`), name, `${mod}.${name}`);
patch(require('node:http2'), 'connect', 'http2.connect');
const dgram = require('node:dgram');
patch(dgram, 'createSocket', 'dgram.createSocket');
const dns = require('node:dns');
for (const holder of [dns, dns.promises, dns.Resolver.prototype, dns.promises.Resolver.prototype]) {
  for (const name of Object.getOwnPropertyNames(holder)) {
    if (/^(lookup|resolve|reverse)/.test(name)) patch(holder, name, `dns.${name}`);
  }
}
for (const name of ['fetch', 'WebSocket', 'EventSource']) if (typeof globalThis[name] === 'function') globalThis[name] = deny(name);
