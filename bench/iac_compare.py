#!/usr/bin/env python3
"""Compares Vigil's IaC findings with Checkov's results on the same folder.

Usage: iac_compare.py CHECKOV_JSON VIGIL_JSON [CHECKOV_JSON VIGIL_JSON ...] [--markdown FILE]

Each pair is one scanned folder: Checkov's `-o json` output (a list of
framework reports, or one) and Vigil's `scan --only iac --format json`
report, both run inside that folder. A Checkov id is compared when Vigil
has a policy for it (Vigil id derived by the scheme in
crates/vigil-iac/policies/README.md) and Checkov evaluated it at least once.
Per id it agrees when Vigil fails exactly the resources Checkov failed; a
Vigil failure where Checkov passed is a false positive, where Checkov said
nothing (unknown or not applicable) an "extra".
"""
import json
import sys
from collections import defaultdict

BASES = [("CKV2_GITLABCI", 6500), ("CKV_GITLABCI", 6000), ("CKV2_DOCKER", 5500), ("CKV_DOCKER", 5000),
         ("CKV2_K8S", 4500), ("CKV_K8S", 4000), ("CKV2_GCP", 3500), ("CKV_GCP", 3000),
         ("CKV2_AZURE", 2500), ("CKV_AZURE", 2000), ("CKV2_AWS", 1500), ("CKV_AWS", 1000),
         ("CKV_ALI", 7000), ("CKV_OCI", 8000)]


def checkov_id(vigil_id):
    number = int(vigil_id[3:])
    if number >= 9000:
        return None
    for prefix, base in sorted(BASES, key=lambda b: -b[1]):
        if number >= base and number - base < 500:
            return f"{prefix}_{number - base}"
    return None


def vigil_ids():
    import pathlib
    root = pathlib.Path(__file__).resolve().parent.parent / "crates/vigil-iac/policies"
    return {checkov_id(p.stem) for p in root.rglob("IAC*.yaml")} - {None}


def load_checkov(path):
    data = json.load(open(path))
    reports = data if isinstance(data, list) else [data]
    results = {}
    for report in reports:
        for kind, outcome in (("passed_checks", "PASSED"), ("failed_checks", "FAILED")):
            for record in report.get("results", {}).get(kind, []):
                key = (record["check_id"], record["file_path"].lstrip("/"), record["resource"].lstrip("/"))
                # A Dockerfile check may give one record per instruction; a failure wins.
                if results.get(key) != "FAILED":
                    results[key] = outcome
    return results


def load_vigil(path):
    data = json.load(open(path))
    failed = set()
    for finding in data.get("findings", []):
        if finding.get("kind") != "iac":
            continue
        cid = checkov_id(finding["rule_id"])
        if not cid:
            continue
        resource = (finding.get("resource") or {}).get("address", "")
        failed.add((cid, finding["location"]["path"], resource))
    return failed


def main(argv):
    markdown = None
    if "--markdown" in argv:
        index = argv.index("--markdown")
        markdown = argv[index + 1]
        argv = argv[:index] + argv[index + 2:]
    checkov, vigil = {}, set()
    for i in range(0, len(argv), 2):
        checkov.update(load_checkov(argv[i]))
        vigil |= load_vigil(argv[i + 1])
    implemented = vigil_ids()
    evaluated = defaultdict(dict)
    for (cid, path, resource), outcome in checkov.items():
        evaluated[cid][(path, resource)] = outcome
    rows = []
    for cid in sorted(evaluated):
        if cid not in implemented:
            continue
        theirs = evaluated[cid]
        mine = {(p, r) for (c, p, r) in vigil if c == cid}
        failed = {k for k, v in theirs.items() if v == "FAILED"}
        passed = {k for k, v in theirs.items() if v == "PASSED"}
        tp, fn, fp = mine & failed, failed - mine, mine & passed
        extra = mine - failed - passed
        agree = not fn and not fp
        rows.append((cid, len(tp), len(fn), len(fp), len(extra), agree, sorted(fn), sorted(fp), sorted(extra)))
    agreeing = sum(1 for r in rows if r[5])
    total = len(rows)
    not_implemented = sorted(c for c in evaluated if c not in implemented)
    lines = []
    lines.append(f"compared ids: {total}, agreeing: {agreeing} ({100.0 * agreeing / max(total, 1):.1f}%)")
    lines.append(f"failed resources: Checkov {sum(r[1] + r[2] for r in rows)}, both {sum(r[1] for r in rows)}, "
                 f"missed by Vigil {sum(r[2] for r in rows)}, Vigil failed where Checkov passed {sum(r[3] for r in rows)}, "
                 f"Vigil failed where Checkov was silent {sum(r[4] for r in rows)}")
    lines.append(f"Checkov ids on this corpus without a Vigil policy: {len(not_implemented)}")
    for r in rows:
        if not r[5]:
            lines.append(f"DISAGREE {r[0]}: missed {[f'{p}:{x}' for p, x in r[6]]} wrongly failed {[f'{p}:{x}' for p, x in r[7]]}")
    print("\n".join(lines))
    if markdown:
        with open(markdown, "w") as out:
            out.write("| Checkov id | both failed | missed | failed where Checkov passed | failed where Checkov silent | agrees |\n|---|---|---|---|---|---|\n")
            for r in rows:
                out.write(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {'yes' if r[5] else '**no**'} |\n")
            out.write("\nNot implemented in Vigil (evaluated by Checkov on this corpus): " + ", ".join(not_implemented) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
