"""Driver of bench/webhook_flood.sh: floods, delivers, samples RSS, prints one result line."""
import argparse, socket, sqlite3, threading, time, uuid
import urllib.request

p = argparse.ArgumentParser()
for name in ("label", "body", "secret", "db"):
    p.add_argument("--" + name, required=True)
for name in ("pid", "port", "instance", "flood", "rounds", "authenticated"):
    p.add_argument("--" + name, type=int, required=True)
a = p.parse_args()

LENGTH = 24 << 20
CHUNK = b" " * (64 << 10)
peak = [0]
done = threading.Event()

def rss_kb():
    with open(f"/proc/{a.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

def sample():
    while not done.is_set():
        try:
            peak[0] = max(peak[0], rss_kb())
        except OSError:
            return
        time.sleep(0.05)

statuses = {}
lock = threading.Lock()

def flood(n):
    target = a.instance + 1000 if n % 3 == 0 else a.instance
    token = "x-gitlab-token: wrong\r\n" if n % 3 == 1 else ""
    head = (f"POST /hooks/gitlab/{target} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
            f"x-gitlab-event: Push Hook\r\n{token}content-length: {LENGTH}\r\n\r\n").encode()
    status = "error"
    try:
        with socket.create_connection(("127.0.0.1", a.port), timeout=60) as s:
            s.sendall(head)
            sent = 0
            try:
                while sent < LENGTH:
                    s.sendall(CHUNK)
                    sent += len(CHUNK)
            except OSError:
                pass
            try:
                status = s.recv(64).split(b" ")[1].decode()
            except (OSError, IndexError):
                status = "closed"
    except OSError:
        pass
    with lock:
        statuses[status] = statuses.get(status, 0) + 1

def deliver(body, results):
    for _ in range(a.authenticated):
        req = urllib.request.Request(
            f"http://127.0.0.1:{a.port}/hooks/gitlab/{a.instance}", data=body, method="POST",
            headers={"content-type": "application/json", "x-gitlab-token": a.secret,
                     "x-gitlab-event": "Push Hook", "idempotency-key": str(uuid.uuid4())})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                results.append(r.status)
        except Exception as e:  # noqa: BLE001 - a failure is a result here
            results.append(str(e))

before = rss_kb()
threading.Thread(target=sample, daemon=True).start()
body = open(a.body, "rb").read()
results = []
start = time.monotonic()
deliverer = threading.Thread(target=deliver, args=(body, results))
deliverer.start()
for _ in range(a.rounds):
    threads = [threading.Thread(target=flood, args=(n,)) for n in range(a.flood)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
deliverer.join()
elapsed = time.monotonic() - start
time.sleep(0.3)
after = rss_kb()
done.set()
stored = sqlite3.connect(a.db).execute("select count(*) from webhook_events").fetchone()[0]
ok = sum(1 for r in results if r == 200)
print(f"{a.label}: {a.flood} concurrent x {a.rounds} rounds of 24 MB unauthenticated posts in {elapsed:.1f} s "
      f"(answers {dict(sorted(statuses.items()))}); RSS before {before/1024:.0f} MB, peak {peak[0]/1024:.0f} MB, "
      f"after {after/1024:.0f} MB (target peak < 100 MB: {'met' if peak[0] < 100 * 1024 else 'MISSED'}); "
      f"authenticated {ok}/{a.authenticated} answered 200, {stored} stored")
