#!/usr/bin/env bash
# A demo of the main job on the embedded default (a SQLite file): libnetwork's object flow through the
# CLI, then the audit trail, time travel and verification. Needs no root (null driver, host namespace).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d "${TMPDIR:-/tmp}/netledger-demo.XXXXXX")
trap 'rm -rf "$dir"' EXIT
export NETLEDGER_DB="$dir/netledger.db"
export NETLEDGER_RUN_DIR="$dir/run"   # the sandboxes' hosts and resolv.conf files
nl() { echo "\$ netledger $*"; node bin/netledger.js "$@"; }

nl network create -d null demo-net
nl endpoint create demo-net web
nl sandbox create --host-netns --hostname web web-container
nl endpoint join demo-net web web-container
nl network ls
nl endpoint ls
join_seq=$(node bin/netledger.js log --type endpoint.joined --json | tail -1 | node -e 'process.stdin.on("data",d=>console.log(JSON.parse(d).seq))')
nl endpoint leave demo-net web web-container
nl endpoint rm demo-net web
nl network create -d null scratch
nl network rm scratch
nl log
nl log --stream web --type endpoint
nl replay --until "$join_seq"
nl diff "$join_seq" head
nl topology --until "$join_seq"
nl inspect --history scratch
head=$(node bin/netledger.js head)
nl verify --expect-head "$head"
echo "database: $NETLEDGER_DB (removed at exit)"
