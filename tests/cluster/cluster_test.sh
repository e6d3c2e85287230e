#!/usr/bin/env bash
# CTest entry of cluster_test.py: skips (77) where the Spider plugin is not installed.
#   cluster_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
command -v mariadbd >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin"
plugin_dir=$(mariadbd --no-defaults --verbose --help 2>/dev/null | awk '$1 == "plugin-dir" {print $2}')
if [ ! -f "$plugin_dir/ha_spider.so" ]; then
  echo "SKIP: $plugin_dir/ha_spider.so missing (apt-get install mariadb-plugin-spider)"
  exit 77
fi
exec python3 "$(dirname "$0")/cluster_test.py" "$1" "$2"
