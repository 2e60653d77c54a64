#!/usr/bin/env python3
"""Validates zkreg's OpenAPI document, and bodies against its schemas.

    openapi_validate.py DOCUMENT.json [INSTANCES.json]

DOCUMENT.json is checked with openapi-spec-validator (OpenAPI 3.1 for
utoipa 5's documents). INSTANCES.json, if given, is a list of
{"what", "schema", "value"}: each value (a real request body or answer) is
validated against its schema, whose "$ref"s point into the document, with
jsonschema's Draft 2020-12 validator (the schema dialect of OpenAPI 3.1).
Prints every failure and exits 1 if there is any. Used by
tests/api_document.rs and .ci/run.
"""
import json
import sys

import jsonschema
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT_URI = "urn:zkreg:openapi"


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    try:
        validate(doc)
    except Exception as e:  # the validator's own error types vary by version
        print(f"document: {e}")
        return 1
    print(f"document: valid OpenAPI {doc.get('openapi')}")
    if len(sys.argv) < 3:
        return 0
    with open(sys.argv[2], encoding="utf-8") as f:
        instances = json.load(f)
    failures = 0
    for n, item in enumerate(instances):
        # Each schema sits in the document, so that its "#/components/..."
        # references resolve against the document.
        key = f"x-instance-{n}"
        doc[key] = item["schema"]
        registry = Registry().with_resource(DOCUMENT_URI, Resource(contents=doc, specification=DRAFT202012))
        validator = jsonschema.Draft202012Validator({"$ref": f"{DOCUMENT_URI}#/{key}"}, registry=registry)
        errors = sorted(validator.iter_errors(item["value"]), key=lambda e: list(e.absolute_path))
        for e in errors:
            failures += 1
            at = "$" + "".join(f"[{p!r}]" for p in e.absolute_path)
            print(f"{item['what']}: {at}: {e.message}")
    print(f"{len(instances)} instances, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
