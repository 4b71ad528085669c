#!/usr/bin/env python3
"""Helpers for bench/secrets.sh.

  gen OUT CORPUS_DIR TARGET_MB   build OUT/clean (real source text, >= TARGET_MB) and
                                 OUT/planted (copies of clean files with the corpus's
                                 planted credential lines inserted) + OUT/labels.json;
                                 prints "CLEAN_BYTES PLANTED_BYTES FILES"
  subset SRC DST MB              hard-link a random ~MB sample of SRC/clean plus all of
                                 SRC/planted into DST; prints "BYTES FILES"
  sarif FMT IN OUT ROOT [A=B..]  convert a tool report (sarif|betterleaks|ripsecrets|
                                 detect-secrets) to minimal SARIF with URIs relative to
                                 ROOT; A=B renames path component A back to B
  count SARIF                    print "TOTAL CLEAN" (findings, findings under clean/)
  top SARIF ROOT N               top N rules on clean/ with example paths and masked lines
"""
import json, os, random, re, shutil, sys
from collections import Counter, defaultdict

SOURCES = [  # (name, dir, cap MB): a mix of languages, capped so no one source dominates
    ("rust", "~/.cargo/registry/src", 90), ("c-include", "/usr/include", 130),
    ("python-sys", "/usr/lib/python3.11", 60), ("python-dist", "/usr/lib/python3", 50),
    ("js", "/usr/lib/node_modules", 20), ("perl", "/usr/share/perl", 25),
    ("share", "/usr/share", 140), ("python312", "~/.pyenv/versions/3.12.1/lib/python3.12", 150),
    ("python313", "~/.pyenv/versions/3.13.0/lib/python3.13", 100),
    ("python311", "~/.pyenv/versions/3.11.7/lib/python3.11", 100),
    ("python310", "~/.pyenv/versions/3.10.13/lib/python3.10", 100),
    ("rust-doc", "~/.rustup/toolchains/1.95.0-x86_64-unknown-linux-gnu/share/doc", 1000),
]
# Renamed so that no tool skips a file because of a built-in path allowlist
# (gitleaks/betterleaks skip node_modules, vendor/, lib/python3.x, *.dist-info, lock files...).
RENAME_DIRS = {"node_modules": "node-mods", "bower_components": "bower-comps", "vendor": "vendored",
               "venv": "venv_", "env": "env_", "virtualenv": "virtualenv_"}
SKIP_NAMES = re.compile(r"(?i)(\.(svg|bmp|gif|jpe?g|png|tiff?|eot|[ot]tf|woff2?|gem|lock)$|^go\.(mod|sum|work)|"
                        r"package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|gradlew|mvnw|javascript\.json|"
                        r"\.min\.js|vigil\.toml)")


def sanitize(rel):
    parts = []
    for p in rel.split(os.sep):
        p = RENAME_DIRS.get(p, p)
        p = p.replace("dist-info", "distinfo")
        p = re.sub(r"^python([23])", r"py\1", p)
        parts.append(p)
    return os.path.join(*parts)


def text_or_none(path):
    try:
        if os.path.islink(path) or not os.path.isfile(path) or not 0 < os.path.getsize(path) <= (1 << 20):
            return None
        data = open(path, "rb").read()
        if b"\0" in data:
            return None
        data.decode("utf-8")
        return data
    except (OSError, UnicodeDecodeError):
        return None


def gen(out, corpus, target_mb):
    target = int(target_mb) << 20
    clean, total, nfiles = os.path.join(out, "clean"), 0, 0
    files = []
    for name, src, cap in SOURCES:
        src, got = os.path.expanduser(src), 0
        for dirpath, dirs, names in os.walk(src):
            # ripsecrets' crate (in the cargo registry only because this bench installs it) is
            # full of test credentials: leave it out so the tree does not depend on install order
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not d.startswith("ripsecrets-")
                             and not (name == "share" and d == "perl"))
            for n in sorted(names):
                if n.startswith(".") or SKIP_NAMES.search(n):
                    continue
                data = text_or_none(os.path.join(dirpath, n))
                if data is None:
                    continue
                rel = os.path.join(name, sanitize(os.path.relpath(os.path.join(dirpath, n), src)))
                dst = os.path.join(clean, rel)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                with open(dst, "wb") as fh:
                    fh.write(data)
                files.append(rel)
                got += len(data); total += len(data); nfiles += 1
                if got >= cap << 20 or total >= target:
                    break
            if got >= cap << 20 or total >= target:
                break
        if total >= target:
            break
    # plant every corpus credential line (multi-line keys keep their span) into a random file copy
    rng = random.Random(7)
    labels = json.load(open(os.path.join(corpus, "labels.json")))
    planted, pbytes, used = [], 0, set()
    for lab in labels["planted"]:
        src_lines = open(os.path.join(corpus, "tree", lab["path"]), encoding="utf-8", errors="replace").read().split("\n")
        block = src_lines[lab["line"] - 1: lab["line"] - 1 + lab.get("span", 1)]
        while True:
            rel = rng.choice(files)
            if rel not in used and 1000 < os.path.getsize(os.path.join(clean, rel)) < 200_000:
                used.add(rel)
                break
        lines = open(os.path.join(clean, rel), encoding="utf-8").read().split("\n")
        at = rng.randrange(0, len(lines))
        lines[at:at] = block
        dst = os.path.join(out, "planted", rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        data = "\n".join(lines).encode()
        open(dst, "wb").write(data)
        pbytes += len(data)
        planted.append({"path": os.path.join("planted", rel), "line": at + 1, "span": len(block),
                        "kind": lab["kind"], "value": lab["value"]})
    json.dump({"seed": 7, "planted": planted, "decoys": []}, open(os.path.join(out, "labels.json"), "w"), indent=1)
    print(total, pbytes, nfiles + len(planted))


def subset(src, dst, mb):
    rng, want, got, n = random.Random(11), int(mb) << 20, 0, 0
    clean = []
    for dirpath, _, names in os.walk(os.path.join(src, "clean")):
        clean += [os.path.join(dirpath, f) for f in names]
    clean.sort()
    rng.shuffle(clean)
    planted = [os.path.join(d, f) for d, _, names in os.walk(os.path.join(src, "planted")) for f in names]
    for p in planted + clean:
        if got >= want and not p.startswith(os.path.join(src, "planted")):
            break
        q = os.path.join(dst, os.path.relpath(p, src))
        os.makedirs(os.path.dirname(q), exist_ok=True)
        os.link(p, q)
        got += os.path.getsize(p); n += 1
    print(got, n)


def sarif(fmt, inp, out, root, *renames):
    root = os.path.realpath(root)
    ren = dict(r.split("=", 1) for r in renames)
    found = []  # (path, line, rule, snippet)
    if fmt == "sarif":
        for run in json.load(open(inp)).get("runs", []):
            for r in run.get("results", []):
                if r.get("properties", {}).get("kind", "secret") != "secret":
                    continue  # vigil: keep secret findings only (not iac/license/...)
                for loc in r.get("locations", [])[:1]:
                    pl = loc.get("physicalLocation", {})
                    reg = pl.get("region", {})
                    found.append((pl.get("artifactLocation", {}).get("uri", ""), reg.get("startLine", 0),
                                  r.get("ruleId", "?"), reg.get("snippet", {}).get("text")))
    elif fmt == "betterleaks":
        for f in json.load(open(inp)).get("findings") or []:
            found.append((f["location"]["path"], f["location"]["start_line"], f["rule_id"], None))
    elif fmt == "ripsecrets":
        for line in open(inp, encoding="utf-8", errors="replace"):
            m = re.match(r"^(.*?):(\d+):", line)
            if m:
                found.append((m.group(1), int(m.group(2)), "ripsecrets", None))
    elif fmt == "detect-secrets":
        for path, items in json.load(open(inp))["results"].items():
            found += [(path, it["line_number"], it["type"], None) for it in items]
    results = []
    for uri, line, rule, snip in found:
        if uri.startswith("file://"):
            uri = uri[7:]
        if os.path.isabs(uri):
            uri = os.path.relpath(os.path.realpath(uri), root)
        uri = os.path.normpath(uri)
        uri = os.path.join(*[ren.get(p, p) for p in uri.split(os.sep)])
        region = {"startLine": line}
        if snip:
            region["snippet"] = {"text": snip}
        results.append({"ruleId": rule, "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": uri}, "region": region}}]})
    json.dump({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": fmt}}, "results": results}]}, open(out, "w"))


def results(path):
    for r in json.load(open(path))["runs"][0]["results"]:
        pl = r["locations"][0]["physicalLocation"]
        yield r["ruleId"], pl["artifactLocation"]["uri"], pl["region"]


def count(path):
    res = list(results(path))
    print(len(res), sum(1 for _, uri, _ in res if uri.startswith("clean/")))


def mask(text):
    # hide long tokens that mix in digits (possible values); keep plain identifiers readable
    text = re.sub(r"[A-Za-z0-9+/=_\-.]{12,}", lambda m: m.group(0) if not re.search(r"\d", m.group(0))
                  else m.group(0)[:4] + f"…({len(m.group(0))} chars)", text)
    return text.strip()[:110]


def top(path, root, n):
    by_rule, examples = Counter(), defaultdict(list)
    for rule, uri, reg in results(path):
        if not uri.startswith("clean/"):
            continue
        by_rule[rule] += 1
        if len(examples[rule]) < 3:
            shape = reg.get("snippet", {}).get("text")
            if shape is None:
                try:
                    shape = open(os.path.join(root, uri), encoding="utf-8").read().split("\n")[reg["startLine"] - 1]
                except (OSError, IndexError):
                    shape = "?"
            examples[rule].append(f"{uri}:{reg['startLine']}: {mask(shape)}")
    for rule, c in by_rule.most_common(int(n)):
        print(f"  {rule}: {c}")
        for e in examples[rule]:
            print(f"      {e}")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"gen": gen, "subset": subset, "sarif": sarif, "count": count, "top": top}[cmd](*args)
