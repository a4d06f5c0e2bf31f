// Copies the browser builds of our npm packages into static/vendor/, which Django serves (never a CDN).
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const files = {
  "chart.js/dist/chart.umd.min.js": "chart.umd.min.js",
  "chartjs-adapter-date-fns/dist/chartjs-adapter-date-fns.bundle.min.js": "chartjs-adapter-date-fns.bundle.min.js",
  "htmx.org/dist/htmx.min.js": "htmx.min.js",
};
const out = path.join(root, "static", "vendor");
fs.mkdirSync(out, { recursive: true });
for (const [src, dest] of Object.entries(files)) {
  fs.copyFileSync(path.join(root, "node_modules", src), path.join(out, dest));
}
console.log(`vendored ${Object.keys(files).length} files into static/vendor/`);
