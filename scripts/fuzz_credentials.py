#!/usr/bin/env python3
"""Every secured operation of /openapi.json answers 401 (problem+json) without a token, with a malformed
Authorization header and with an unknown token. Usage: fuzz_credentials.py BASE_URL. Standard library only."""
import json
import sys
import urllib.error
import urllib.request

base = sys.argv[1].rstrip("/")
document = json.load(urllib.request.urlopen(base + "/openapi.json"))
attempts = {
    "no token": None,
    "malformed header": "Basic ZGVtbzpkZW1v",
    "empty bearer": "Bearer ",
    "unknown token": "Bearer trk_" + "A" * 43,
    "overlong token": "Bearer " + "x" * 5000,
}
checked = 0
failures = []
for path, item in sorted(document["paths"].items()):
    for method, operation in sorted(item.items()):
        if not operation.get("security"):
            continue
        url = base + path.replace("{id}", "1").replace("{name}", "downtime")
        for label, header in attempts.items():
            request = urllib.request.Request(url, method=method.upper(),
                                             data=b"{}" if method in ("post", "patch", "put") else None)
            request.add_header("Content-Type", "application/json")
            request.add_header("If-Match", '"v1"')
            if header is not None:
                request.add_header("Authorization", header)
            try:
                with urllib.request.urlopen(request) as response:
                    status, content_type = response.status, response.headers.get("Content-Type", "")
            except urllib.error.HTTPError as error:
                status, content_type = error.code, error.headers.get("Content-Type", "")
            checked += 1
            if status != 401 or not content_type.startswith("application/problem+json"):
                failures.append(f"{method.upper()} {path} with {label}: {status} {content_type}")
print(f"credentials: {checked} requests to secured operations, {len(failures)} not answered 401 problem+json")
for failure in failures[:20]:
    print("  " + failure)
sys.exit(1 if failures else 0)
