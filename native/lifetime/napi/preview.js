// Shows the first pixels of a captured frame, lets the frame go, then asks the camera for its checksum.
// Usage: node --expose-gc preview.js ADDON VARIANT
const [addonPath] = process.argv.slice(2);
const camera = { exports: {} };
process.dlopen(camera, addonPath);

function preview() {
  const frame = camera.exports.capture(); // an external buffer over the camera's own memory
  return Array.from(frame.subarray(0, 4)).join(" ");
}

async function main() {
  console.log(`preview: ${preview()}`);
  // The preview's buffer is garbage now. V8 frees its backing store when it sweeps, and node
  // runs the finalizer on this thread afterwards: collect and yield until it has run.
  while (camera.exports.framesLent() > 0) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  console.log(`checksum: ${camera.exports.checksum()}`);
  camera.exports.close();
}

main();
