/** Preload for the soak (`NODE_OPTIONS=--require`): on SIGUSR2 the server collects all garbage and reports its memory, so that a leak can be told from garbage V8 has not collected yet. */
'use strict';
const { isMainThread } = require('node:worker_threads');

if (isMainThread) {
  // The flag set at run time exposes gc() to a new context only, which is enough to call it.
  require('node:v8').setFlagsFromString('--expose-gc');
  const gc = require('node:vm').runInNewContext('gc');
  process.on('SIGUSR2', () => {
    gc();
    process.stderr.write(`bioner-soak-gc ${JSON.stringify(process.memoryUsage())}\n`);
  });
  // The soak signals only once it has read this line.
  process.stderr.write('bioner-soak-gc ready\n');
}
