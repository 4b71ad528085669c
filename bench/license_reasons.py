#!/usr/bin/env python3
"""bench/license_reasons.py -- why Vigil and ScanCode disagree, file by file.

  license_reasons.py DISAGREEMENTS.tsv [SET] [--markdown]

Reads the disagreements `license_compare.py compare` writes (path, ScanCode's expression,
Vigil's expression as ScanCode would read it) and gives every differing id a reason class,
with the same normalisation as the comparison (`canon`). SET limits the files to a prefix
such as `accept/debian`. Prints one line per class (files in which it occurs, files in which
it is the only class) and, with --markdown, a table of every file with its classes and ids.

Classes, in the order they are tried for each id (missing = ScanCode has it, Vigil not;
extra = Vigil has it, ScanCode not):
  clue          missing: a ScanCode key that names no license (warranty-disclaimer,
                unknown-license-reference, other-permissive, ...; SCANCODE_CLUES).
  bare-mention  missing: GPL-1.0-or-later or LGPL-2.0-or-later (ScanCode's reading of a
                GPL/LGPL named without a version) while Vigil reports a versioned license
                of the same family: the file names the version elsewhere.
  pointer-only  missing: X-only while Vigil reports X-or-later (ScanCode reports a
                /usr/share/common-licenses/X pointer after an "or later" notice alone).
  version-form  missing X-or-later while Vigil reports X-only, or the reverse as extra.
  scancode-key  missing: a ScanCode key with no SPDX id that is not a clue (a text ScanCode
                names and Vigil does not, or names by an SPDX look-alike).
  look-alike    a missing and an extra id of the same family (BSD-4-Clause / BSD-4-Clause-UC,
                MIT / MIT-CMU): the same text read as another variant.
  exception     a WITH exception (or exception id) on one side only.
  vigil-ref     extra: a LicenseRef Vigil gives (a Debian name, a text off the SPDX list).
  missed        missing: an SPDX license Vigil does not report at all.
  extra         extra: an SPDX license ScanCode does not report.
  operators     same ids, different operators (AND/OR/WITH).
  sc-empty      ScanCode gave no expression (its per-file time-out on the 2 MB Boost files).
"""
import os, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from license_compare import SCANCODE_CLUES, canon  # noqa: E402

# ScanCode keys Vigil has an id for (license_compare.SAME_AS_SCANCODE): missing them is a miss.
VIGIL_HAS = {'LicenseRef-scancode-public-domain', 'LicenseRef-scancode-xfree86-1.0'}
EXCEPTIONS = re.compile(r'exception|Linux-syscall-note|Classpath', re.I)
VERSIONED = re.compile(r'^(A?L?GPL|GFDL)-(\d(?:\.\d)?)-(only|or-later)$')

def family(license_id):
    """`BSD-4-Clause-UC` -> `BSD`, `MIT-CMU` -> `MIT`, `LGPL-2.1-only` -> `LGPL`."""
    return re.split(r'[-.\d]', license_id.replace('LicenseRef-scancode-', ''), maxsplit=1)[0].upper()

def reasons(sc_expr, vigil_expr):
    (s_ids, s_ops), (v_ids, v_ops) = canon(sc_expr), canon(vigil_expr)
    missing, extra = sorted(s_ids - v_ids), sorted(v_ids - s_ids)
    found = {}
    def add(cls, license_id):
        found.setdefault(cls, []).append(license_id)
    versioned_v = {VERSIONED.match(i).group(1, 2, 3) for i in v_ids if VERSIONED.match(i)}
    paired_extra = set()
    if not s_ids:
        add('sc-empty', 'ScanCode gave no expression')
        return found
    for i in missing:
        m = VERSIONED.match(i)
        if i in SCANCODE_CLUES:
            add('clue', i)
        elif i in ('GPL-1.0-or-later', 'LGPL-2.0-or-later') and any(
                f == i.split('-')[0] for f, _, _ in versioned_v):
            add('bare-mention', i)
        elif m and m.group(3) == 'only' and (m.group(1), m.group(2), 'or-later') in versioned_v:
            add('pointer-only', i)
        elif m and m.group(3) == 'or-later' and (m.group(1), m.group(2), 'only') in versioned_v:
            add('version-form', i)
        elif EXCEPTIONS.search(i):
            add('exception', i)
        else:
            twin = next((e for e in extra if family(e) == family(i) and e not in paired_extra
                         and not e.startswith('LicenseRef-') and not VERSIONED.match(e)), None)
            if twin and not VERSIONED.match(i):
                paired_extra.add(twin)
                add('look-alike', f'{i}/{twin}')
            elif i.startswith('LicenseRef-scancode-') and i not in VIGIL_HAS:
                add('scancode-key', i)
            else:
                add('missed', i)
    for e in extra:
        if e in paired_extra:
            continue
        m = VERSIONED.match(e)
        if m and m.group(3) == 'only' and any(v == (m.group(1), m.group(2), 'or-later') for v in
                                                (VERSIONED.match(i).group(1, 2, 3) for i in s_ids if VERSIONED.match(i))):
            add('version-form', '+' + e)
        elif EXCEPTIONS.search(e):
            add('exception', '+' + e)
        elif e.startswith('LicenseRef-'):
            add('vigil-ref', '+' + e.replace('LicenseRef-scancode-', 'LicenseRef-'))
        else:
            add('extra', '+' + e)
    if not found and s_ops != v_ops:
        add('operators', ' '.join(sorted(s_ops)) + ' vs ' + ' '.join(sorted(v_ops)))
    return found

ORDER = ['sc-empty', 'clue', 'bare-mention', 'pointer-only', 'version-form', 'scancode-key', 'look-alike',
         'exception', 'vigil-ref', 'missed', 'extra', 'operators']

def main(argv):
    markdown = '--markdown' in argv
    args = [a for a in argv if a != '--markdown']
    if not args:
        sys.exit(__doc__)
    prefix = args[1] if len(args) > 1 else ''
    rows = []
    with open(args[0]) as f:
        for line in f:
            path, sc_expr, vigil_expr = (line.rstrip('\n').split('\t') + ['', ''])[:3]
            if path.startswith(prefix) and path:
                rows.append((path, reasons(sc_expr, vigil_expr)))
    print(f'{len(rows)} disagreeing files under {prefix or "all sets"}')
    print(f"  {'class':13} {'files':>6} {'only class':>11}")
    for cls in ORDER:
        n = sum(1 for _, r in rows if cls in r)
        alone = sum(1 for _, r in rows if set(r) == {cls})
        if n:
            print(f'  {cls:13} {n:6} {alone:11}')
    quirks = {'clue', 'bare-mention', 'pointer-only'}
    only_quirks = sum(1 for _, r in rows if r and set(r) <= quirks)
    print(f'  files whose every difference is a clue key, a bare mention or a pointer read alone: {only_quirks}')
    if markdown:
        print('\n| file | classes: ids (+ = Vigil only) |\n| --- | --- |')
        for path, r in rows:
            name = path.split('/')[-1].replace('usr__share__doc__', '').replace('__copyright', '')
            cells = '; '.join(f"{cls}: {', '.join(r[cls])}" for cls in ORDER if cls in r)
            print(f'| {name} | {cells} |')

if __name__ == '__main__':
    try:
        main(sys.argv[1:])
    except BrokenPipeError:
        pass
