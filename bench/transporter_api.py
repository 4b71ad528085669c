"""bench/transporter.sh's calls to Vigil's API: sign in, then one command.

    transporter_api.py BASE USER PASSWORD create-transporter NAME  -> prints "ID ENROLMENT_TOKEN"
"""
import json
import sys
import urllib.request


def call(base, method, path, body=None, cookie=None, csrf=None):
    request = urllib.request.Request(base + path, method=method)
    request.add_header("content-type", "application/json")
    if cookie:
        request.add_header("cookie", cookie)
    if csrf:
        request.add_header("x-csrf-token", csrf)
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(request, data) as response:
        return response.headers, json.loads(response.read() or b"null")


def main():
    base, user, password, command, *args = sys.argv[1:]
    headers, session = call(base, "POST", "/api/v1/session", {"username": user, "password": password})
    cookie = headers["set-cookie"].split(";")[0]
    csrf = session["csrf_token"]
    if command == "create-transporter":
        _, created = call(base, "POST", "/api/v1/transporters", {"name": args[0]}, cookie, csrf)
        print(created["transporter"]["id"], created["enrolment_token"])
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
