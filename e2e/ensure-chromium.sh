#!/usr/bin/env bash
# Debian's Chromium for the browser test (browsers cannot be downloaded by Playwright here; the
# Debian package can). Installs it when /usr/bin/chromium is missing, e.g. on a fresh CI machine.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then
	exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
	echo "chromium is missing and this is not root: run 'apt-get update && apt-get install -y chromium'" >&2
	exit 1
fi
echo "[e2e] installing Debian's chromium (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
	if apt-get update -qq </dev/null >&2 && apt-get install -y -qq --no-install-recommends chromium </dev/null >&2; then
		break
	fi
	[[ $attempt -lt 3 ]] || { echo "apt-get could not install chromium" >&2; exit 1; }
	echo "[e2e] apt-get failed (attempt $attempt), retrying in 10 s" >&2
	sleep 10
done
/usr/bin/chromium --version >&2
