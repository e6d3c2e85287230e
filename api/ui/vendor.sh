#!/usr/bin/env bash
# Refreshes the charting library the web UI vendors: installs the exact versions pinned in
# package-lock.json (npm ci, no install scripts) and copies the files the UI loads into vendor/,
# with the library's licence next to them.
#
# vendor/ is committed, so neither the build nor the api needs npm or network at run time; run
# this only after changing the version in package.json (then `npm install` once to update the
# lock file, and commit package.json, package-lock.json and vendor/ together).
set -euo pipefail
cd "$(dirname "$0")"

command -v npm >/dev/null 2>&1 || { echo "vendor.sh: npm not found (apt-get install -y npm)" >&2; exit 69; }

npm ci --ignore-scripts --no-audit --no-fund

src=node_modules/uplot
license=$(node -p "require('./$src/package.json').license")
case "$license" in
  MIT | ISC) ;;
  *) echo "vendor.sh: uplot licence is '$license', expected MIT or ISC: check before vendoring" >&2; exit 1 ;;
esac

mkdir -p vendor
cp "$src/dist/uPlot.esm.js" vendor/uPlot.esm.js
cp "$src/dist/uPlot.min.css" vendor/uPlot.min.css
cp "$src/LICENSE" vendor/uPlot.LICENSE
version=$(node -p "require('./$src/package.json').version")
printf 'uplot %s (%s) from npm: dist/uPlot.esm.js, dist/uPlot.min.css, LICENSE\n' "$version" "$license" > vendor/VERSIONS
echo "vendor.sh: vendored uplot $version ($license) into $(pwd)/vendor"
