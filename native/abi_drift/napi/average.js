// Averages the sampler's readings, laying a typed array over the Buffer it returns.
// Usage: node average.js ADDON VARIANT
const [addonPath, variant] = process.argv.slice(2);
const sampler = { exports: {} };
process.dlopen(sampler, addonPath);

function samplesOf(raw) {
  if (variant === "fixed") {
    if (sampler.exports.sampleBytes !== Float64Array.BYTES_PER_ELEMENT) { // FIX: the layout is checked against the addon's word
      throw new Error(`sampler writes ${sampler.exports.sampleBytes}-byte samples; this reader knows 8`);
    }
    return new Float64Array(raw.buffer, raw.byteOffset, raw.byteLength / Float64Array.BYTES_PER_ELEMENT);
  }
  return new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / Float32Array.BYTES_PER_ELEMENT); // FLAW: sampler v1's float; v2 writes double
}

const samples = samplesOf(sampler.exports.readSamples());
const sum = samples.reduce((a, b) => a + b, 0);
if (sum !== sampler.exports.total()) {
  // The oracle: the addon's own total of the same readings.
  console.error(`faultlab.Detected: abi-mismatch: read ${samples.length} samples [${Array.from(samples).join(", ")}] ` +
                `summing to ${sum}; the sampler's total is ${sampler.exports.total()}`);
  process.exit(1);
}
console.log(`average of ${samples.length} samples: ${sum / samples.length}`);
