#!/usr/bin/env python3
"""Validates the manifests `gridledger deploy kubernetes` wrote, offline.

Kubernetes objects: against the Kubernetes API's OpenAPI schemas shipped in kubernetes-validate (strict: an
unknown field fails), looked up as kubernetes_validate.validate does. Chaos Mesh objects: against the openAPIV3Schema of the Chaos Mesh CRDs in
scripts/schemas/chaos-mesh (see SOURCE.md there). Exits 1 naming the file, object and error on the first failure
of each file; prints one line per folder otherwise.

Usage: validate_manifests.py KUBERNETES_VERSION SCHEMA_DIR MANIFEST_DIR...
"""
import glob
import json
import os
import sys

import re

import jsonschema
import yaml
from kubernetes_validate import utils
from referencing import Registry, Resource


def kubernetes_validator(version, document, cache={}):
    """kubernetes_validate.validate's own lookup (strict schemas of the newest release not newer than `version`),
    with the validator kept per kind: the library reloads its definitions (megabytes) for every object."""
    key = (document.get("apiVersion"), document.get("kind"))
    if key not in cache:
        release = [v for v in utils.all_versions() if utils.major_minor(v) <= utils.major_minor(version)][-1]
        api_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", document["apiVersion"])
        schema_dir = f"v{release}-local-strict"
        schema = utils.schema_contents(
            f"kubernetes-json-schema/{schema_dir}/{document['kind'].lower()}-{api_version}.json", version)
        definitions = utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/_definitions.json", version)
        registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
        cache[key] = jsonschema.validators.Draft202012Validator(schema, registry=registry)
    return cache[key]


def chaos_validator(schema_dir, kind, cache={}):
    if kind not in cache:
        path = os.path.join(schema_dir, f"{kind.lower()}-v1alpha1.json")
        if not os.path.exists(path):
            return None
        with open(path) as handle:
            cache[kind] = jsonschema.Draft7Validator(json.load(handle))
    return cache[kind]


def main():
    version, schema_dir, folders = sys.argv[1], sys.argv[2], sys.argv[3:]
    failures = 0
    for folder in folders:
        counts = {}
        files = sorted(glob.glob(os.path.join(folder, "*.yaml")))
        if not files:
            print(f"{folder}: no manifests", file=sys.stderr)
            failures += 1
            continue
        for path in files:
            with open(path) as handle:
                documents = [d for d in yaml.safe_load_all(handle) if d is not None]
            for document in documents:
                kind = document.get("kind", "?")
                name = document.get("metadata", {}).get("name", "?")
                where = f"{path}: {kind}/{name}"
                if document.get("apiVersion", "").startswith("chaos-mesh.org/"):
                    validator = chaos_validator(schema_dir, kind)
                    if validator is None:
                        print(f"{where}: no Chaos Mesh schema for {kind} in {schema_dir}", file=sys.stderr)
                        failures += 1
                        continue
                    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
                    if errors:
                        error = errors[0]
                        field = ".".join(str(p) for p in error.path)
                        print(f"{where}: {field}: {error.message}", file=sys.stderr)
                        failures += 1
                        continue
                else:
                    try:
                        errors = sorted(
                            kubernetes_validator(version, document).iter_errors(document), key=lambda e: list(e.path))
                        if errors:
                            field = ".".join(str(p) for p in errors[0].path)
                            print(f"{where}: {field}: {errors[0].message}", file=sys.stderr)
                            failures += 1
                            continue
                    except Exception as error:  # an unknown kind or version: a failure, not a pass
                        print(f"{where}: {error}", file=sys.stderr)
                        failures += 1
                        continue
                counts[kind] = counts.get(kind, 0) + 1
        summary = ", ".join(f"{kind} {count}" for kind, count in sorted(counts.items()))
        print(f"{folder}: valid: {summary}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
