"""An HTTP proxy in front of moto_server that behaves more like AWS: fixed latency, optional throttling.

Run: .venv/bin/python bench/latency_proxy.py --upstream http://127.0.0.1:5000 [--port 0] [--latency-ms 40]
         [--rate 0] [--burst 10] [--log calls.jsonl]

Point boto3 at it with AWS_ENDPOINT_URL=http://127.0.0.1:<port>. Every request waits ``--latency-ms``
before it is forwarded. With ``--rate R`` (requests per second) each caller, keyed by the access key
and region of the request's signature (one assumed-role session per account, so: per account and
region), gets a token bucket of ``--burst`` tokens refilled at R/s; past it the proxy answers as AWS
does when it throttles, in the service's protocol, so botocore's retry logic recognises it:

* EC2 (ec2 query): 503 ``RequestLimitExceeded`` in an ``<Response><Errors>`` document
* other query services (IAM, STS, RDS, ...): 400 ``Throttling`` in an ``<ErrorResponse>``
* JSON services (X-Amz-Target: KMS, DynamoDB, CloudTrail, Config): 400 ``ThrottlingException``
* S3 / S3 Control (rest-xml): 503 ``SlowDown``
* rest-json services (GuardDuty, ...): 429 with ``x-amzn-ErrorType: ThrottlingException``

With ``--replay`` the proxy keeps every answer it forwarded, keyed by the request (account, region,
service, X-Amz-Target, method, path, body; not the signature or date) and answers a repeated request from memory,
after the same latency, without asking moto. A first pass records; later passes measure the scanner and
the latency alone, as against AWS, whose servers' CPU is not on our machine (moto_server's is: ~10 ms of
CPU per request, which on a 2-core machine would cap the request rate below what 8 calls in flight at
40 ms ask for). An assumed role's access key is mapped to its account from the AssumeRole answer, so
two runs with different temporary keys share the recording.

It prints ``PORT <n>`` on stdout once listening. ``GET /__proxy/stats`` answers the counts so far
(requests, throttled, per service); ``--log`` writes one JSON line per request (service, region,
access key, action, AssumeRole's RoleArn, throttled), which tests use to see which accounts were read.
"""
from __future__ import annotations

import argparse
import http.client
import json
import re
import sys
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ACCESS_KEY = re.compile(rb"<AccessKeyId>([^<]+)</AccessKeyId>")
CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection",
              "content-length"}


class Bucket:
    def __init__(self, rate: float, burst: float):
        self.rate, self.burst, self.tokens, self.at = rate, burst, burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def throttle_response(service: str, has_target: bool, form: bool) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of AWS's throttling answer in the protocol ``service`` speaks."""
    rid = "00000000-0000-0000-0000-000000000000"
    if service == "ec2":
        body = (f"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
                f"</Message></Error></Errors><RequestID>{rid}</RequestID></Response>")
        return 503, {"Content-Type": "text/xml"}, body.encode()
    if service in ("s3", "s3control"):
        body = f"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>{rid}" \
               f"</RequestId></Error>"
        return 503, {"Content-Type": "application/xml"}, body.encode()
    if has_target:
        return 400, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": rid}, \
            json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
    if form:
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded"
                f"</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>")
        return 400, {"Content-Type": "text/xml"}, body.encode()
    return 429, {"Content-Type": "application/json", "x-amzn-ErrorType": "ThrottlingException:",
                 "x-amzn-RequestId": rid}, json.dumps({"message": "Rate exceeded"}).encode()


class Proxy(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, port: int, upstream: str, latency_s: float, rate: float, burst: float, log: Any,
                 replay: bool = False):
        super().__init__(("127.0.0.1", port), Handler)
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.latency_s, self.rate, self.burst, self.log = latency_s, rate, burst, log
        self.lock = threading.Lock()
        self.buckets: dict[tuple[str, str], Bucket] = {}
        self.stats: Counter[str] = Counter()
        self.local = threading.local()
        self.replay = replay
        self.recorded: dict[tuple, tuple[int, dict[str, str], bytes]] = {}
        self.account_of_key: dict[str, str] = {}  # assumed-role access key -> the RoleArn it was issued for

    def allow(self, key: tuple[str, str]) -> bool:
        if self.rate <= 0:
            return True
        with self.lock:
            bucket = self.buckets.setdefault(key, Bucket(self.rate, self.burst))
            return bucket.take()

    def connection(self) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(*self.upstream, timeout=120)
        return conn


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body leave in separate writes; with Nagle on, the body waits for the client's delayed
    # ACK (~40 ms on Linux), which doubled every call's latency in the first runs
    disable_nagle_algorithm = True
    server: Proxy

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _handle(self) -> None:
        if self.path == "/__proxy/stats":
            with self.server.lock:
                return self._send(200, {"Content-Type": "application/json"}, json.dumps(self.server.stats).encode())
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        m = CREDENTIAL.search(self.headers.get("Authorization", ""))
        akid, region, service = m.groups() if m else ("-", "-", "-")
        form = "x-www-form-urlencoded" in (self.headers.get("Content-Type") or "")
        fields = urllib.parse.parse_qs(body.decode(errors="replace")) if form else {}
        target = self.headers.get("X-Amz-Target")
        action = target or (fields.get("Action") or [f"{self.command} {self.path.split('?')[0]}"])[0]
        time.sleep(self.server.latency_s)
        allowed = self.server.allow((akid, region))
        with self.server.lock:
            self.server.stats["requests"] += 1
            self.server.stats[f"service:{service}"] += 1
            if not allowed:
                self.server.stats["throttled"] += 1
            if self.server.log:
                self.server.log.write(json.dumps({
                    "service": service, "region": region, "akid": akid, "action": action,
                    "role_arn": (fields.get("RoleArn") or [None])[0], "throttled": not allowed}) + "\n")
                self.server.log.flush()
        if not allowed:
            return self._send(*throttle_response(service, bool(target), form))
        if not self.server.replay:
            return self._send(*self._forward(body))
        who = self.server.account_of_key.get(akid, akid)
        key = (who, region, service, target, self.command, self.path, body)
        answer = self.server.recorded.get(key)
        with self.server.lock:
            self.server.stats["replayed" if answer else "recorded"] += 1
        if answer is None:
            answer = self._forward(body)
            if answer[0] < 500:
                self.server.recorded[key] = answer
        role_arn = (fields.get("RoleArn") or [None])[0]
        issued = ACCESS_KEY.search(answer[2]) if role_arn else None
        if issued:
            self.server.account_of_key[issued.group(1).decode()] = role_arn
        self._send(*answer)

    def _forward(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        for attempt in (1, 2):  # a kept-alive upstream connection may have been closed meanwhile
            conn = self.server.connection()
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
                return resp.status, {k: v for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP}, payload
            except (http.client.HTTPException, OSError):
                conn.close()
                self.server.local.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", required=True, help="moto_server URL, e.g. http://127.0.0.1:5000")
    ap.add_argument("--port", type=int, default=0, help="port to listen on (0: a free one, printed)")
    ap.add_argument("--latency-ms", type=float, default=40.0)
    ap.add_argument("--rate", type=float, default=0.0, help="requests/s per access key and region (0: unlimited)")
    ap.add_argument("--burst", type=float, default=10.0)
    ap.add_argument("--log", help="append one JSON line per request to this file")
    ap.add_argument("--replay", action="store_true", help="record answers, then answer repeated requests from memory")
    args = ap.parse_args()
    log = open(args.log, "a") if args.log else None  # noqa: SIM115 - open for the server's life
    server = Proxy(args.port, args.upstream, args.latency_ms / 1000, args.rate, args.burst, log, args.replay)
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sys.exit(0)


if __name__ == "__main__":
    main()
