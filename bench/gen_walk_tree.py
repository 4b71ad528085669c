#!/usr/bin/env python3
"""Generate the walk benchmark tree: DIRS x FILES_PER_DIR text files of ~SIZE bytes.

usage: gen_walk_tree.py OUT_DIR [files=100000] [avg_size=10485]
Content is slices of real source text (Python stdlib, C headers, Rust crates) so
it is not one repeated byte; NUL-free. Prints "FILES BYTES" on stdout.
"""
import os, random, sys

out = sys.argv[1]
nfiles = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
avg = int(sys.argv[3]) if len(sys.argv) > 3 else 10_485  # 100k x ~10.5 KB ~= 1 GB
SOURCES = ["/usr/lib/python3.11", "/usr/include", os.path.expanduser("~/.cargo/registry/src"),
           "/usr/lib/python3", "/usr/share/doc"]
EXTS = [".py", ".h", ".rs", ".txt", ".md", ".js", ".c", ".go"]
POOL_MAX = 64 << 20

rng = random.Random(42)
chunks, total = [], 0
for src in SOURCES:
    for dirpath, _, names in os.walk(src):
        for n in names:
            p = os.path.join(dirpath, n)
            try:
                if not os.path.isfile(p) or os.path.islink(p) or os.path.getsize(p) > (1 << 20):
                    continue
                data = open(p, "rb").read()
            except OSError:
                continue
            if b"\0" in data or not data:
                continue
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            chunks.append(data)
            total += len(data)
            if total >= POOL_MAX:
                break
        if total >= POOL_MAX:
            break
    if total >= POOL_MAX:
        break
rng.shuffle(chunks)
pool = b"".join(chunks)
if len(pool) < 1 << 20:
    sys.exit("not enough source text found for the pool")

per_dir = 100
ndirs = (nfiles + per_dir - 1) // per_dir
written = nbytes = 0
for d in range(ndirs):
    ddir = os.path.join(out, f"a{d // 100:02d}", f"b{d % 100:02d}")
    os.makedirs(ddir, exist_ok=True)
    for f in range(per_dir):
        if written == nfiles:
            break
        size = rng.randint(avg * 3 // 4, avg * 5 // 4)
        start = rng.randrange(0, len(pool) - size)
        nl = pool.find(b"\n", start, start + 200)  # start on a line boundary when cheap
        start = nl + 1 if nl != -1 and nl + 1 + size <= len(pool) else start
        data = pool[start:start + size]
        with open(os.path.join(ddir, f"f{f:03d}{EXTS[(d + f) % len(EXTS)]}"), "wb") as fh:
            fh.write(data)
        written += 1
        nbytes += len(data)
print(written, nbytes)
