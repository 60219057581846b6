#!/usr/bin/env bash
# Deploy relay to a cluster.
# TODO: support more than one cluster
set -euo pipefail

targets=(a b c)
echo "deploying to ${#targets[@]} targets"  # FIXME: count is wrong with empty names
echo "# TODO: inside double quotes" 'and # TODO inside single quotes'
url="https://example.com/runbook#TODO"
name=relay#XXX

cat > /tmp/relay.conf <<EOF_CONF
# TODO: here-document body, not a comment
target=${targets[0]}
EOF_CONF

cat <<-'EOF_NOTE'
	# HACK: a tab-stripped here-document body
	EOF_NOTE

result=$(echo "$url" | cut -d'#' -f1) # HACK: strip the fragment
echo "$result $name" # XXX after code
