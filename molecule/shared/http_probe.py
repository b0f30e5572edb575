"""One raw HTTP request sent from inside a scenario's client container.

Shared by the molecule scenarios that prove a read-only server answers its
readers only: the request leaves from the container given (a reader or any
other host), so the answer, a timeout or a refusal is what that host gets.
"""

from __future__ import annotations

import subprocess

# Runs in the client container: the path is sent as is (`..` included); prints
# "status content-type length" on stderr, the body on stdout, and "timeout" /
# "refused" when no HTTP answer comes back.
REQUEST = r"""
import http.client, socket, sys
host, port, method, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
try:
    conn = http.client.HTTPConnection(host, port, timeout=3)
    conn.request(method, path, body=b"x" if method in ("PUT", "POST") else None)
    resp = conn.getresponse()
    body = resp.read()
except ConnectionRefusedError:
    print("refused", file=sys.stderr); sys.exit(0)
except (TimeoutError, socket.timeout):
    print("timeout", file=sys.stderr); sys.exit(0)
print(resp.status, resp.getheader("Content-Type"), len(body), file=sys.stderr)
sys.stdout.buffer.write(body)
"""


def request(client: str, method: str, path: str, address: str, port: int):
    """(status or "timeout"/"refused", content type, body) of one request from `client`."""
    out = subprocess.run(
        ["docker", "exec", client, "python3", "-c", REQUEST, address, str(port), method, path],
        capture_output=True,
        timeout=30,
        check=True,
    )
    fields = out.stderr.decode().split()
    if fields[0] in ("timeout", "refused"):
        return fields[0], None, b""
    return int(fields[0]), fields[1], out.stdout
