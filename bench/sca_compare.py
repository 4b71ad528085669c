#!/usr/bin/env python3
"""Compares cargo-audit's and Vigil's findings per lockfile (bench/sca.sh).

    sca_compare.py OUT LOCKFILE_DIR...

Reads OUT/audit-NAME.out (cargo-audit --json) and OUT/vigil-NAME.out (vigil
--format json) and prints, per lockfile, the advisories each reports as
(id, package@version), split into vulnerabilities and warnings
(informational: unmaintained, unsound, notice), and every difference.
"""
import json
import os
import sys


def audit(path):
    data = json.load(open(path))
    key = lambda item: (item["advisory"]["id"], f'{item["package"]["name"]}@{item["package"]["version"]}')
    vulns = {key(item) for item in data["vulnerabilities"]["list"]}
    warnings = {key(item) for kind in data.get("warnings", {}).values() for item in kind if item.get("advisory")}
    return vulns, warnings


def vigil(path):
    data = json.load(open(path))
    vulns, warnings = set(), set()
    for finding in data["findings"]:
        advisory, package = finding.get("advisory"), finding.get("package")
        if not advisory or not package:
            continue
        key = (advisory["id"], f'{package["name"]}@{package["version"]}')
        (vulns if finding["kind"] == "vulnerability" else warnings).add(key)
    return vulns, warnings


def main():
    out, dirs = sys.argv[1], sys.argv[2:]
    total = same = 0
    for directory in dirs:
        name = os.path.basename(directory.rstrip("/"))
        try:
            a_v, a_w = audit(os.path.join(out, f"audit-{name}.out"))
            v_v, v_w = vigil(os.path.join(out, f"vigil-{name}.out"))
        except (OSError, ValueError, KeyError) as error:
            print(f"{name}: cannot compare: {error}")
            continue
        for label, theirs, ours in (("vulnerabilities", a_v, v_v), ("warnings", a_w, v_w)):
            total += len(theirs | ours)
            same += len(theirs & ours)
            status = "equal" if theirs == ours else "DIFFERENT"
            print(f"{name}: {label}: cargo-audit {len(theirs)}, vigil {len(ours)}: {status}")
            for item in sorted(theirs - ours):
                print(f"   only cargo-audit: {item[0]} {item[1]}")
            for item in sorted(ours - theirs):
                print(f"   only vigil:       {item[0]} {item[1]}")
    print(f"agreement: {same} of {total} (advisory, package) pairs reported by both")


if __name__ == "__main__":
    main()
