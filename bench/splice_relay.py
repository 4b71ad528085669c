#!/usr/bin/env python3
"""bench/splice_relay.py LISTEN_PORT TARGET_HOST:PORT -- a plain TCP relay that moves bytes with
splice(2) through a pipe, so they never enter user space: the zero-copy floor of what a relay
process costs. bench/transporter.sh chains two of them (as it chains two socat relays) to show
the best ratio any two-process tunnel could reach on this machine. One thread per direction per
connection; prints nothing; ends with its parent's kill."""
import os
import socket
import sys
import threading

CHUNK = 1 << 20
FLAGS = getattr(os, "SPLICE_F_MOVE", 1) | getattr(os, "SPLICE_F_MORE", 4)


def pump(src: socket.socket, dst: socket.socket) -> None:
    read_end, write_end = os.pipe()
    try:
        import fcntl

        fcntl.fcntl(write_end, 1031, CHUNK)  # F_SETPIPE_SZ
    except OSError:
        pass
    try:
        while True:
            n = os.splice(src.fileno(), write_end, CHUNK, flags=FLAGS)
            if n == 0:
                break
            while n:
                n -= os.splice(read_end, dst.fileno(), n, flags=FLAGS)
    except OSError:
        pass
    finally:
        os.close(read_end)
        os.close(write_end)
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(client: socket.socket, target: tuple[str, int]) -> None:
    upstream = socket.create_connection(target)
    for s in (client, upstream):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
    back.start()
    pump(client, upstream)
    back.join()
    client.close()
    upstream.close()


def main() -> None:
    port = int(sys.argv[1])
    host, target_port = sys.argv[2].rsplit(":", 1)
    listener = socket.create_server(("127.0.0.1", port), reuse_port=False)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client, (host, int(target_port))), daemon=True).start()


if __name__ == "__main__":
    main()
