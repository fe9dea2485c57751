"""Prints test totals per database from pytest's JUnit XML files; exits 1 when a run failed or is missing."""

import sys
import xml.etree.ElementTree as ET  # noqa: S405 - our own pytest output, not untrusted input
from pathlib import Path


def totals(path: Path) -> dict[str, int] | None:
    if not path.exists():
        return None
    root = ET.parse(path).getroot()  # noqa: S314
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    result = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        for key in result:
            result[key] += int(suite.get(key, 0))
    result["passed"] = result["tests"] - result["failures"] - result["errors"] - result["skipped"]
    return result


def main(paths: list[str]) -> int:
    ok = True
    print("\nTest totals per database")
    for name in paths:
        path = Path(name)
        database = path.parent.name
        counted = totals(path)
        if counted is None:
            print(f"  {database:<11} no results ({path} is missing: the run did not start)")
            ok = False
            continue
        failed = counted["failures"] + counted["errors"]
        ok = ok and failed == 0 and counted["tests"] > 0
        print(f"  {database:<11} {counted['passed']} passed, {failed} failed, {counted['skipped']} skipped"
              f" (of {counted['tests']})")
    print("  result:     " + ("all passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
