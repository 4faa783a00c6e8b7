// Stores labels in the addon and reads them back: what goes in must come out.
// Usage: node round_trip.js ADDON VARIANT
const [addonPath] = process.argv.slice(2);
const labels = { exports: {} };
process.dlopen(labels, addonPath);

// A string as a single-quoted literal, the form faultlab's oracle lines quote text in.
const quoted = (text) => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

for (const label of ["Kitchen shelf 3", "Tschüss 👋"]) {
  labels.exports.setLabel(label);
  const back = labels.exports.getLabel();
  if (back !== label) {
    // The oracle: no call failed, yet the text changed on the way through C.
    console.error(`faultlab.Detected: silent-corruption: round trip through the addon changed ${quoted(label)} ` +
                  `into ${quoted(back)} (${label.length} UTF-16 units, ${Buffer.byteLength(label)} UTF-8 bytes)`);
    process.exit(1);
  }
  console.log(`label: ${back}`);
}
