// The boundary bench's Node-API child: the addon (boundary_napi.c) called from a JS loop timed
// with process.hrtime.bigint(), warm-up rounds first so TurboFan has optimised the loops,
// then the one JSON line every runtime's child prints (see boundary_driver.c).
//   node boundary_napi.js ADDON CALLS ROUNDS WARMUP MAX_BATCH ITEMS
"use strict";

const [addonPath, ...numbers] = process.argv.slice(2);
const [calls, rounds, warmup, maxBatch, items] = numbers.map(Number);
const addon = { exports: {} };
process.dlopen(addon, addonPath);
const { addOne, sum } = addon.exports;

const xs = new Int32Array(maxBatch);
for (let i = 0; i < maxBatch; i++) xs[i] = i % 1000;
const perCall = [];
const perItem = {};
let check = 0;
for (let r = -warmup; r < rounds; r++) {
  let start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) check += addOne(i);
  if (r >= 0) perCall.push(Number(process.hrtime.bigint() - start) / calls);
  for (let n = 1; n <= maxBatch; n *= 2) {
    const reps = Math.max(1, Math.floor(items / n));
    start = process.hrtime.bigint();
    for (let j = 0; j < reps; j++) check += sum(xs, n);
    if (r >= 0) (perItem[n] ??= []).push(Number(process.hrtime.bigint() - start) / (reps * n));
  }
}
console.log(JSON.stringify({ per_call: perCall, per_item: perItem, check }));
