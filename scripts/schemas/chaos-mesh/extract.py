#!/usr/bin/env python3
"""Extracts the openAPIV3Schema of the Chaos Mesh kinds GridLedger writes from Chaos Mesh's manifests/crd.yaml.

Usage: python3 extract.py CRD.yaml OUTDIR
Descriptions (prose only: a "description" key whose value is a string) are dropped to keep the files small;
nothing that constrains a value is dropped, so validation is unchanged.
"""
import json
import sys

import yaml

KINDS = ("NetworkChaos", "PodChaos", "Workflow")


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if not (k == "description" and isinstance(v, str))}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def main():
    crd_file, out_dir = sys.argv[1], sys.argv[2]
    found = set()
    with open(crd_file) as handle:
        for doc in yaml.safe_load_all(handle):
            if not doc:
                continue
            kind = doc["spec"]["names"]["kind"]
            if kind not in KINDS:
                continue
            for version in doc["spec"]["versions"]:
                schema = strip(version["schema"]["openAPIV3Schema"])
                name = f"{out_dir}/{kind.lower()}-{version['name']}.json"
                with open(name, "w") as out:
                    json.dump(schema, out, separators=(",", ":"), sort_keys=True)
                    out.write("\n")
                found.add(kind)
    missing = set(KINDS) - found
    if missing:
        sys.exit(f"{crd_file}: no CRD for {sorted(missing)}")


if __name__ == "__main__":
    main()
