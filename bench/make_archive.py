#!/usr/bin/env python3
"""bench/make_archive.py OUT.tar.gz RAW_MIB -- a repository archive as GitLab sends it (one top
directory, gzip), about RAW_MIB MiB of source-like text in files of 4-64 KiB, the same bytes for
the same arguments (seeded). bench/transporter.sh serves it to measure Vigil's fetch of a full
scan (download streamed to disk, then unpacked) directly and through the Transporter."""
import io
import random
import sys
import tarfile

WORDS = ("fn let mut return if else for while match struct impl pub use self Some None Ok Err "
         "config value error result request response token client server repository project "
         "branch commit scan issue finding secret key path file line column severity rule").split()


def main() -> None:
    out, raw_mib = sys.argv[1], int(sys.argv[2])
    rng = random.Random(20261126)
    pool = []
    for _ in range(50_000):
        words = rng.choices(WORDS, k=rng.randint(3, 12))
        pool.append(("    " * rng.randint(0, 3) + " ".join(words) + f" {rng.getrandbits(32):08x};\n").encode())
    total, index = 0, 0
    with tarfile.open(out, "w:gz", compresslevel=6) as tar:
        while total < raw_mib << 20:
            size = rng.randint(4, 64) << 10
            body = bytearray()
            while len(body) < size:
                body += pool[rng.randrange(len(pool))]
            info = tarfile.TarInfo(f"app-main-0123456789abcdef/src/module_{index // 100}/file_{index}.rs")
            info.size, info.mode = len(body), 0o644
            tar.addfile(info, io.BytesIO(bytes(body)))
            total += len(body)
            index += 1
    print(f"{out}: {index} files, {total} bytes unpacked")


if __name__ == "__main__":
    main()
