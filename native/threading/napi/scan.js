// Starts a scan on the addon's worker thread and waits for its three progress reports.
// Usage: node scan.js ADDON VARIANT
const [addonPath] = process.argv.slice(2);
const scanner = { exports: {} };
process.dlopen(scanner, addonPath);

const seen = [];
scanner.exports.startScan((step) => seen.push(step)); // the worker reports each step to this callback
const waiting = setInterval(() => {
  if (seen.length === 3) {
    clearInterval(waiting);
    console.log(`progress: ${seen.join(" ")}`);
  }
}, 5);
