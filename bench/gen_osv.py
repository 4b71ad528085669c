#!/usr/bin/env python3
"""Generates a synthetic OSV corpus and a matching lockfile for bench/sca.sh.

    gen_osv.py OUT_DIR ADVISORIES PACKAGES

OUT_DIR/osv/npm/*.json: ADVISORIES OSV advisories on npm packages `pkg-N`
(several per package, with ECOSYSTEM ranges, aliases and CVSS vectors, as
osv.dev writes them); OUT_DIR/package-lock.json: a lockfile (v3) of PACKAGES
packages, a quarter of them in affected ranges. Deterministic (seeded).
"""
import json
import os
import random
import sys


def main():
    out, advisories, packages = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(7)
    osv_dir = os.path.join(out, "osv", "npm")
    os.makedirs(osv_dir, exist_ok=True)
    names = [f"pkg-{i}" for i in range(max(packages * 4, advisories // 3))]
    for n in range(advisories):
        name = names[n % len(names)] if n < len(names) else rng.choice(names)
        major = rng.randint(0, 5)
        fixed = f"{major}.{rng.randint(1, 20)}.{rng.randint(0, 9)}"
        doc = {
            "schema_version": "1.6.0",
            "id": f"GHSA-bench-{n:07d}",
            "modified": "2026-01-01T00:00:00Z",
            "aliases": [f"CVE-2026-{n:07d}"],
            "summary": f"Synthetic advisory {n} for {name}",
            "details": "Generated for benchmarking. " * 8,
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
            "affected": [{
                "package": {"ecosystem": "npm", "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": [
                    {"introduced": f"{major}.0.0"}, {"fixed": fixed}]}],
            }],
            "references": [{"type": "ADVISORY", "url": f"https://example.invalid/{n}"}],
        }
        with open(os.path.join(osv_dir, f"GHSA-bench-{n:07d}.json"), "w") as f:
            json.dump(doc, f)
    lock = {"name": "bench", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
            "packages": {"": {"name": "bench", "version": "1.0.0", "dependencies": {}}}}
    for i in range(packages):
        name = names[i]
        version = f"{rng.randint(0, 5)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
        if i < packages // 10:
            lock["packages"][""]["dependencies"][name] = f"^{version}"
        lock["packages"][f"node_modules/{name}"] = {
            "version": version,
            "resolved": f"https://registry.npmjs.org/{name}/-/{name}-{version}.tgz",
            "integrity": "sha512-AAAA",
        }
    with open(os.path.join(out, "package-lock.json"), "w") as f:
        json.dump(lock, f, indent=2)


if __name__ == "__main__":
    main()
