#!/usr/bin/env bash
# Writes the Kubernetes and Chaos Mesh manifests of every shipped topology (gridledger deploy kubernetes) and
# validates them offline: Kubernetes objects against the API schemas of kubernetes-validate (pinned below),
# Chaos Mesh objects against the CRD schemas in scripts/schemas/chaos-mesh. Needs python3 and the network once
# (pip installs the pinned packages into .build/validate-venv). Usage: scripts/validate-manifests.sh [GRIDLEDGER]
set -euo pipefail
cd "$(dirname "$0")/.."
KUBERNETES_VALIDATE_VERSION=1.31.0 # its schemas cover Kubernetes up to 1.31
KUBERNETES_VERSION=1.31.0
JSONSCHEMA_VERSION=4.23.0
PYYAML_VERSION=6.0.2
binary="${1:-.build/debug/gridledger}"
[ -x "$binary" ] || { echo "validate-manifests: $binary is not built (swift build)" >&2; exit 1; }
venv=.build/validate-venv
stamp="$venv/.pinned-$KUBERNETES_VALIDATE_VERSION-$JSONSCHEMA_VERSION-$PYYAML_VERSION"
if [ ! -e "$stamp" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" "jsonschema==$JSONSCHEMA_VERSION" "PyYAML==$PYYAML_VERSION"
    touch "$stamp"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
folders=()
for topology in topologies/*.yaml; do
    name=$(basename "$topology" .yaml)
    "$binary" deploy kubernetes "$topology" --out "$work/$name" --image registry.example/gridledger:test \
        --storage-class standard >"$work/$name.log" 2>&1 || { cat "$work/$name.log" >&2; exit 1; }
    # One variant with the in-transport links and no storage class, so both branches are checked.
    "$binary" deploy kubernetes "$topology" --out "$work/$name-transport" --links transport --generators 2 \
        >"$work/$name-transport.log" 2>&1 || { cat "$work/$name-transport.log" >&2; exit 1; }
    folders+=("$work/$name" "$work/$name-transport")
done
"$venv/bin/python" scripts/validate_manifests.py "$KUBERNETES_VERSION" scripts/schemas/chaos-mesh "${folders[@]}"
echo "validate-manifests: ${#folders[@]} deployments of $(ls topologies/*.yaml | wc -l) topologies valid"
