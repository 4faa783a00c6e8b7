// Applies a rate limit read from configuration, where every value is a string, and checks it took.
// Usage: node apply_limit.js ADDON VARIANT
const [addonPath] = process.argv.slice(2);
const limiter = { exports: {} };
process.dlopen(limiter, addonPath);

const config = JSON.parse('{"limit": "5"}'); // what an .env or INI loader hands over

function applyLimit(value) {
  try {
    limiter.exports.setLimit(value);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    limiter.exports.setLimit(Number(value)); // the addon's contract: not a number is a TypeError; convert and retry
  }
}

applyLimit(config.limit);
const applied = limiter.exports.getLimit();
if (applied !== Number(config.limit)) {
  // The oracle: the call said nothing, yet the limit is not the one asked for.
  console.error(`faultlab.Detected: swallowed-error: setLimit(${JSON.stringify(config.limit)}) returned without an error, ` +
                `yet the limit is still ${applied}`);
  process.exit(1);
}
console.log(`limit: ${applied} requests per second`);
