#!/usr/bin/env bash
# Time the plan-mode render playbook end to end on a generated star inventory (1 hub + N-1 clients).
#   bench/render_bench.sh            # N=1000
#   bench/render_bench.sh 5000
# Runs from the checkout with its ansible.cfg; per-task times come from ansible.posix.profile_tasks.
set -euo pipefail

count="${1:-1000}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

inventory="$work/inventory"
out="$work/render"
mkdir -p "$inventory/group_vars"
cat > "$inventory/group_vars/all.yml" <<'EOF'
---
wireguard_networks:
  wg0:
    ipv4: 10.8.0.0/16
    port: 51820
EOF
{
  echo "---"
  echo "all:"
  echo "  children:"
  echo "    wireguard_hubs:"
  echo "      hosts:"
  echo "        hub:"
  echo "          wireguard_endpoint: hub.example.com"
  echo "          wireguard_nat: true"
  echo "    wireguard_clients:"
  echo "      hosts:"
  for ((i = 1; i < count; i++)); do
    printf '        client%05d:\n' "$i"
  done
} > "$inventory/hosts.yml"

cd "$repo"
export ANSIBLE_CONFIG="$repo/ansible.cfg"
export ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks
export PROFILE_TASKS_SORT_ORDER=none
python="${repo}/.venv/bin"
echo "render_bench: star of ${count} hosts, inventory ${inventory}"
start=$(date +%s.%N)
"$python/ansible-playbook" -i "$inventory" playbooks/render.yml -e "wireguard_render_dir=$out" \
  | grep -E '^(PLAY RECAP|localhost|[A-Z].* -+ [0-9.]+s$)' || true
end=$(date +%s.%N)
files=$(find "$out" -name '*.conf' | wc -l)
printf 'render_bench: %d hosts, %d config files, wall time %.2f s\n' "$count" "$files" \
  "$("$python/python" -c "print($end - $start)")"
test "$files" -eq "$count"
