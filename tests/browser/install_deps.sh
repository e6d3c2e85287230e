#!/usr/bin/env bash
# Installs the browser tests' npm dependencies (playwright-core, exactly as package-lock.json
# pins it) unless that version is already in node_modules. Never downloads a browser: the tests
# use Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")"
want=$(node -p "require('./package-lock.json').packages['node_modules/playwright-core'].version")
have=$(node -p "try { require('./node_modules/playwright-core/package.json').version } catch { '' }")
if [ "$want" = "$have" ]; then
  echo "install_deps.sh: playwright-core $have already installed"
else
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi
chromium=${SIPVAULT_CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "install_deps.sh: $chromium not found: apt-get install -y chromium" >&2; exit 1; }
