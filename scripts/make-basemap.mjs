// Regenerates assets/coastline_110m.bin from Natural Earth (public domain) as the npm package
// `world-atlas` ships it. Run: (cd /tmp/nb && npm install world-atlas@2 topojson-client@3) &&
//   node scripts/make-basemap.mjs /tmp/nb/node_modules assets/coastline_110m.bin
// Format (little-endian): u32 polyline count, then per polyline u32 vertex count and f32 lon, lat pairs.
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { createRequire } from "node:module";

const [modules, out] = process.argv.slice(2);
const require = createRequire(modules + "/");
const topojson = require("topojson-client");
const land = JSON.parse(readFileSync(modules + "/world-atlas/land-110m.json", "utf8"));
const mesh = topojson.mesh(land, land.objects.land);
const lines = mesh.type === "MultiLineString" ? mesh.coordinates : [mesh.coordinates];
let floats = 0;
for (const line of lines) floats += line.length * 2;
const buffer = Buffer.alloc(4 + lines.length * 4 + floats * 4);
let offset = buffer.writeUInt32LE(lines.length, 0);
for (const line of lines) {
  offset = buffer.writeUInt32LE(line.length, offset);
  for (const [lon, lat] of line) {
    offset = buffer.writeFloatLE(lon, offset);
    offset = buffer.writeFloatLE(lat, offset);
  }
}
writeFileSync(out + ".tmp", buffer);
renameSync(out + ".tmp", out);
console.log(`${lines.length} polylines, ${floats / 2} vertices, ${buffer.length} bytes`);
