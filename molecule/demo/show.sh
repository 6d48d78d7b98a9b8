#!/usr/bin/env bash
# `make demo`, after the converge: what the fleet looks like from the inside.
set -euo pipefail
cd "$(dirname "$0")/../.."
store=build/demo-store
hosts=(wf-demo-hub wf-demo-gateway wf-demo-laptop wf-demo-phone)

# The phone is not managed by Ansible: load the config wirefleet rendered for it, as its app would
# (minus DNS, which a container has no resolver manager for).
grep -v '^DNS' "$store/devices/wf-demo-phone/wg0.conf" \
  | docker exec -i wf-demo-phone sh -c 'wg-quick down wg0 >/dev/null 2>&1; install -m 0600 /dev/stdin /etc/wireguard/wg0.conf && wg-quick up wg0 >/dev/null 2>&1'

echo "== wg show on the hub"
docker exec wf-demo-hub wg show wg0

declare -A address
for host in "${hosts[@]}"; do
  address[$host]=$(docker exec "$host" ip -4 -o addr show dev wg0 | awk '{split($4, a, "/"); print a[1]}')
done
address[wf-demo-lanhost]=198.18.24.20
targets=("${hosts[@]}" wf-demo-lanhost)

echo
echo "== reachability (ping from row to column's tunnel address; lanhost: its LAN address)"
printf '%-16s' ""
for target in "${targets[@]}"; do printf '%-16s' "${target#wf-demo-}"; done
echo
for source in "${targets[@]}"; do
  printf '%-16s' "${source#wf-demo-}"
  for target in "${targets[@]}"; do
    if [ "$source" = "$target" ]; then mark="-"
    elif docker exec "$source" ping -c 1 -W 2 "${address[$target]}" >/dev/null 2>&1; then mark="ok"
    else mark="no"; fi
    printf '%-16s' "$mark"
  done
  echo
done

echo
echo "== the phone's config as a QR code ($store/devices/wf-demo-phone/wg0.png)"
cat "$store/devices/wf-demo-phone/wg0.txt"
echo
echo "Converge again: PATH=\$PWD/.venv/bin:\$PATH molecule converge -s demo"
echo "Tear it down:   make demo-down"
