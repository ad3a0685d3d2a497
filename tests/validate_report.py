#!/usr/bin/env python3
"""validate_report.py SCHEMA REPORT... — checks ikemortem JSON reports against the JSON Schema
(2020-12) of schema/report.schema.json. Exit 0 when all are valid, 1 with the first errors
of each invalid report, 77 when python3-jsonschema is not installed (the tests skip)."""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("validate_report.py: python3-jsonschema is not installed", file=sys.stderr)
    sys.exit(77)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in argv[2:]:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        errors = sorted(validator.iter_errors(report), key=lambda e: list(e.absolute_path))
        for e in errors[:5]:
            where = "/".join(str(p) for p in e.absolute_path)
            print(f"{path}: /{where}: {e.message}", file=sys.stderr)
        bad += bool(errors)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
