#!/usr/bin/env bash
# ansible-test sanity wants the collection at .../ansible_collections/wirefleet/wireguard as a real
# directory, so test a copy of the tracked (and new, not ignored) files there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/build/sanity/ansible_collections/wirefleet/wireguard"
rm -rf "$root/build/sanity"
mkdir -p "$work"
cd "$root"
pip_version=24.2  # the get-pip version ansible-test asks for
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
mkdir -p "$(dirname "$cache")"
sed "s|@PROJECT_PIP@|$root/.venv/bin/pip|" "$root/tests/sanity/get_pip_offline.py" > "$cache"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
  [ -e "$file" ] && printf '%s\0' "$file"
done | rsync -a --from0 --files-from=- ./ "$work/"
cd "$work"
# ansible-test lists the files to check through git.
git init --quiet . && git add --all && git -c user.name=sanity -c user.email=sanity@localhost commit --quiet -m sanity
python=$("$root/.venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
"$root/.venv/bin/ansible-test" sanity --python "$python" --color no "$@"
