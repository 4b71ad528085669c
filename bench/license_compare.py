#!/usr/bin/env python3
"""bench/license_compare.py -- helpers of bench/license.sh (license detection against ScanCode and askalono).

  collect OUT            copies real license files found on this machine into OUT/{tune,accept}/<source>/
                         (split by sha256 of the original path: even first byte -> tune, odd -> accept)
  compare OUT SC VIG ASK  reads ScanCode's JSON, Vigil's JSON lines and askalono's JSON lines and prints
                         agreement with ScanCode's file-level `detected_license_expression_spdx`.
"""
import glob, hashlib, json, os, re, shutil, sys

def sources():
    for p in sorted(glob.glob('/usr/share/doc/*/copyright')):
        yield 'debian', p
    import site
    names = re.compile(r'^(licen[cs]e|copying|notice|unlicense)', re.I)
    for sp in site.getsitepackages():
        for p in sorted(glob.glob(os.path.join(sp, '*.dist-info', '**', '*'), recursive=True)):
            if os.path.isfile(p) and (names.match(os.path.basename(p)) or '/licenses/' in p):
                yield 'python', p
        for p in sorted(glob.glob(os.path.join(sp, '*', '*'))):
            if '.dist-info' not in p and os.path.isfile(p) and names.match(os.path.basename(p)):
                yield 'python', p
    home = os.environ.get('CARGO_HOME', os.path.expanduser('~/.cargo'))
    for p in sorted(glob.glob(os.path.join(home, 'registry', 'src', '*', '*', '*'))):
        if os.path.isfile(p) and names.match(os.path.basename(p)):
            yield 'cargo', p
    for nm in ('/work/main/ui-tests/node_modules', '/work/lic/ui-tests/node_modules'):
        for p in sorted(glob.glob(os.path.join(nm, '*', '*')) + glob.glob(os.path.join(nm, '@*', '*', '*'))):
            if os.path.isfile(p) and names.match(os.path.basename(p)):
                yield 'npm', p

def collect(out):
    counts = {}
    index = {}
    for source, path in sources():
        real = os.path.realpath(path)
        if real in index:
            continue
        digest = hashlib.sha256(path.encode()).digest()
        split = 'tune' if digest[0] % 2 == 0 else 'accept'
        flat = path.strip('/').replace('/', '__')[-200:]
        dest = os.path.join(out, split, source, flat)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        try:
            shutil.copyfile(path, dest)
        except OSError:
            continue
        index[real] = dest
        counts[(split, source)] = counts.get((split, source), 0) + 1
    for (split, source), n in sorted(counts.items()):
        print(f'  {split:7} {source:7} {n:5} files')

TOKEN = re.compile(r'\(|\)|[^\s()]+')

# Documented normalisation before comparing (docs/BENCHMARKS.md, "License detection"):
# Vigil's LicenseRef slugs that name the same thing as a ScanCode key.
SAME_AS_SCANCODE = {
    'LicenseRef-public-domain': 'LicenseRef-scancode-public-domain',
    'LicenseRef-xfree86-1.0': 'LicenseRef-scancode-xfree86-1.0',
    'LicenseRef-permissive': 'LicenseRef-scancode-other-permissive',
}

def same_as_scancode(license_id):
    """SAME_AS_SCANCODE, and Vigil's `LicenseRef-x` (a Debian short name) for ScanCode's
    `LicenseRef-scancode-x` with the same name, case aside (`g10-permissive`, `Unicode`)."""
    if license_id in SAME_AS_SCANCODE:
        return SAME_AS_SCANCODE[license_id]
    if license_id.startswith('LicenseRef-') and not license_id.startswith('LicenseRef-scancode-'):
        return 'LicenseRef-scancode-' + license_id[len('LicenseRef-'):].lower()
    return license_id
# ScanCode keys with no SPDX meaning (a clue, not a license): the `no_clues` column drops them
# from ScanCode's side; the main column keeps them.
SCANCODE_CLUES = {
    'LicenseRef-scancode-warranty-disclaimer',
    'LicenseRef-scancode-unknown-license-reference',
    'LicenseRef-scancode-other-permissive',
    'LicenseRef-scancode-other-copyleft',
    'LicenseRef-scancode-public-domain-disclaimer',
    'LicenseRef-scancode-generic-exception',
    'LicenseRef-scancode-proprietary-license',
    'LicenseRef-scancode-unknown',
    'LicenseRef-scancode-free-unknown',
}
# ScanCode keeps the OR of a DEP-5 `License: A or B` field only where it has a rule for the
# wording (Perl's `GPL-1+ or Artistic`, `CC0 or Apache-2.0`); every other field's names are
# matched one by one and ANDed. Vigil keeps the OR (what the field means); for the comparison
# the OR of such a field is read as AND, the way ScanCode reads it.
SCANCODE_KEEPS_OR = re.compile(r'^(MIT OR )?GPL-[12]\.0-or-later OR Artistic-1\.0-Perl|^CC0-1\.0 OR Apache-2\.0$')

def scancode_reading(record):
    """Vigil's file expression with DEP-5 fields' OR read as ScanCode reads them."""
    parts = []
    for d in record.get('detections') or []:
        e = d['expression']
        if d.get('kind') == 'Dep5Field' and ' OR ' in e and not SCANCODE_KEEPS_OR.search(e):
            e = e.replace(' OR ', ' AND ')
        parts.append(f'({e})')
    return ' AND '.join(parts) if parts else (record.get('expression') or '')

def canon(expr, drop=()):
    """The set of license ids and the set of operators of an expression (the comparison key).
    `vigil=sc` compares both exactly after SAME_AS_SCANCODE; `loose` counts any LicenseRef-...
    as one id; `ids_only` is loose on ids and ignores operators."""
    if not expr:
        return (frozenset(), frozenset())
    ids, ops = set(), set()
    for t in TOKEN.findall(expr):
        u = t.upper()
        if u in ('AND', 'OR', 'WITH'):
            ops.add(u)
        elif t not in '()' and t not in drop:
            ids.add(same_as_scancode(t))
    if not ids:
        ops = set()
    elif len(ids) == 1 and 'WITH' not in ops:
        ops = set()
    return (frozenset(ids), frozenset(ops))

def loose(key):
    """Any LicenseRef-... counts as one id `LicenseRef-*` (documented in BENCHMARKS.md)."""
    ids, ops = key
    return (frozenset('LicenseRef-*' if i.startswith('LicenseRef-') else i for i in ids), ops)

def rel(path, root):
    path = os.path.realpath(path)
    root = os.path.realpath(root)
    return os.path.relpath(path, root) if path.startswith(root) else path

def compare(out, sc_json, vig_jsonl, ask_jsonl):
    sc = {}
    with open(sc_json) as f:
        data = json.load(f)
    roots = [os.path.realpath(out)]
    for item in data.get('files', []):
        if item.get('type') != 'file':
            continue
        p = item['path']
        # ScanCode prints paths relative to the scanned directory's parent, starting with its name.
        p = p.split('/', 1)[1] if '/' in p else p
        sc[p] = item.get('detected_license_expression_spdx') or ''
    vig = {}
    with open(vig_jsonl) as f:
        for line in f:
            r = json.loads(line)
            vig[rel(r['path'], out)] = scancode_reading(r)
    ask = {}
    if ask_jsonl and os.path.exists(ask_jsonl):
        with open(ask_jsonl) as f:
            for line in f:
                line = line.strip()
                if not line.startswith('{'):
                    continue
                r = json.loads(line)
                res = r.get('result') or {}
                lic = (res.get('license') or {}).get('name') if res else None
                ask[rel(r['path'].strip(), out)] = lic or ''
    rows = {}
    disagreements = []
    for p, s in sorted(sc.items()):
        split, source = p.split('/')[0], p.split('/')[1]
        groups = [(split, 'all'), (split, 'debian' if source == 'debian' else 'other')]
        v = vig.get(p, '')
        a = ask.get(p, '')
        strict = canon(s) == canon(v)
        lo = loose(canon(s)) == loose(canon(v))
        ak = canon(s) == canon(a)
        ids = loose(canon(s))[0] == loose(canon(v))[0]
        no_clues = canon(s, SCANCODE_CLUES) == canon(v)
        for g in groups:
            r = rows.setdefault(g, [0, 0, 0, 0, 0, 0])
            r[0] += 1; r[1] += strict; r[2] += lo; r[3] += ak; r[4] += ids; r[5] += no_clues
        if not strict:
            disagreements.append((p, s, v))
    print(f"  {'set':7} {'files':7} {'n':>6} {'vigil=sc':>9} {'no_clues':>9} {'loose':>9} {'ids_only':>9} {'askalono=sc':>12}")
    for (split, grp), (n, st, lo, ak, ids, nc) in sorted(rows.items()):
        print(f'  {split:7} {grp:7} {n:6} {100*st/n:8.1f}% {100*nc/n:8.1f}% {100*lo/n:8.1f}% {100*ids/n:8.1f}% {100*ak/n:11.1f}%')
    target = os.path.join(os.path.dirname(os.path.abspath(sc_json)), 'disagreements.tsv')
    with open(target, 'w') as f:
        for p, s, v in disagreements:
            f.write(f'{p}\t{s}\t{v}\n')
    print(f'  disagreements (vigil=sc): {len(disagreements)} listed in {target}')

if __name__ == '__main__':
    if sys.argv[1] == 'collect':
        collect(sys.argv[2])
    elif sys.argv[1] == 'compare':
        compare(*sys.argv[2:6])
