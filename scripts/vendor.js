// Copies the browser builds of our npm packages into static/vendor/, which Django serves (never a CDN).
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const files = {
  "chart.js/dist/chart.umd.min.js": "chart.umd.min.js",
  "chartjs-adapter-date-fns/dist/chartjs-adapter-date-fns.bundle.min.js": "chartjs-adapter-date-fns.bundle.min.js",
  // Only the accessibility tests load axe (tests/e2e/test_accessibility.py injects /static/vendor/axe.min.js); no page
  // references it.
  "axe-core/axe.min.js": "axe.min.js",
};
const out = path.join(root, "static", "vendor");

// A minified file may end with `//# sourceMappingURL=NAME.map`. Django's manifest storage (collectstatic in production)
// follows that reference to hash it, so a map that is not next to the file fails the build. We copy the map when the
// package ships it, rather than strip the comment: the vendored file then stays byte-for-byte the published one
// (checkable against the npm tarball), and a stack trace from production can be read against the original source.
// Browsers fetch a map only when the developer tools are open, so it costs users nothing. A map the package names but
// does not ship (a packaging mistake upstream) is a dangling reference: only then is the comment removed.
const SOURCE_MAP = /\n\/\/[#@] sourceMappingURL=([^\s'"]+)\s*$/;

function vendor(src, dest) {
  const from = path.join(root, "node_modules", src);
  const to = path.join(out, dest);
  const text = fs.readFileSync(from, "utf8");
  const match = text.match(SOURCE_MAP);
  const map = match && !match[1].startsWith("data:") ? match[1] : null;
  if (map === null) {
    fs.copyFileSync(from, to);
    return [dest];
  }
  const mapFrom = path.resolve(path.dirname(from), map);
  const mapTo = path.resolve(path.dirname(to), map);
  if (fs.existsSync(mapFrom) && path.dirname(mapTo) === path.dirname(to)) {
    fs.copyFileSync(from, to);
    fs.copyFileSync(mapFrom, mapTo);
    return [dest, path.basename(mapTo)];
  }
  console.warn(`${src} names the source map ${map}, which the package does not ship: removing the reference`);
  fs.writeFileSync(to, text.slice(0, match.index) + "\n");
  return [dest];
}

fs.mkdirSync(out, { recursive: true });
const copied = Object.entries(files).flatMap(([src, dest]) => vendor(src, dest));
console.log(`vendored ${copied.length} files into static/vendor/: ${copied.join(", ")}`);
