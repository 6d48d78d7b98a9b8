#!/usr/bin/env bash
# Plan mode on every example inventory: render.yml must succeed, contact no host, write configs that
# wg-quick accepts, and report nothing changed when run again.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v wg-quick >/dev/null || { echo "render_check: wg-quick missing (apt-get install wireguard-tools)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
checked=0
for inventory in inventories/*/; do
  name=$(basename "$inventory")
  dest="$out/$name"
  .venv/bin/ansible-playbook -i "$inventory" playbooks/render.yml -e "wireguard_render_dir=$dest" > "$out/$name.log" \
    || { cat "$out/$name.log"; echo "render_check: render.yml failed on $inventory" >&2; exit 1; }
  again=$(.venv/bin/ansible-playbook -i "$inventory" playbooks/render.yml -e "wireguard_render_dir=$dest")
  grep -q 'changed=0' <<<"$again" || { echo "$again"; echo "render_check: second render of $inventory changed files" >&2; exit 1; }
  configs=$(find "$dest" -name '*.conf' | sort)
  [ -n "$configs" ] || { echo "render_check: $inventory rendered no config" >&2; exit 1; }
  for config in $configs; do
    [ "$(stat -c %a "$config")" = 600 ] || { echo "render_check: $config is not 0600" >&2; exit 1; }
    wg-quick strip "$config" > /dev/null || { echo "render_check: wg-quick strip rejects $config" >&2; exit 1; }
    checked=$((checked + 1))
  done
  for store in "${inventory%/}/.wirefleet-store" "${inventory%/}/wirefleet-store"; do  # default and old store
    [ ! -e "$store" ] || { echo "render_check: plan mode wrote into $store" >&2; exit 1; }
  done
  grep -q "controller store: $root/${inventory%/}/.wirefleet-store" "$out/$name.log" \
    || { echo "render_check: render.yml did not print the controller store of $inventory" >&2; exit 1; }
  echo "render_check: $name: $(wc -l <<<"$configs") configs accepted by wg-quick strip"
done
echo "render_check: $checked passed, 0 failed"
