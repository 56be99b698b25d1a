"""Fixtures of the `akms serve` tests: a server on a free port (in-memory store), its
credentials and audit log, and clients of the official SDKs pointed at it."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AKMS = Path(os.environ.get("AKMS_BIN", ROOT / "target" / "release" / "akms"))

ADMIN = ("admin-key", "admin-secret-0123456789")
# May sign and read public keys, nothing else; never on the key behind alias/forbidden.
SIGNER = ("signer-key", "signer-secret-0123456789")
SIGNER_POLICY = {
    "Principal": "signer",
    "Statement": [
        {"Effect": "Allow", "Action": ["kms:AsymmetricSign", "kms:GetPublicKey", "kms:DescribeKey"], "Resource": ["*"]},
        {"Effect": "Deny", "Action": ["kms:*"], "Resource": ["alias/forbidden"]},
    ],
}
CREDENTIALS = {
    "AccessKeys": [
        {"AccessKeyId": ADMIN[0], "AccessKeySecret": ADMIN[1]},
        {"AccessKeyId": SIGNER[0], "AccessKeySecret": SIGNER[1], "Policy": SIGNER_POLICY},
    ]
}


class Server:
    """A running `akms serve`: its URL, host:port and audit log."""

    def __init__(self, tmp: Path, extra_args=(), name="serve", store_args=None):
        """``store_args`` (e.g. ``["--store", F, "--passphrase-file", P]``) replaces --memory."""
        self.dir = tmp
        self.credentials = tmp / f"{name}-credentials.json"
        self.credentials.write_text(json.dumps(CREDENTIALS))
        self.audit_path = tmp / f"{name}-audit.jsonl"
        self.proc = subprocess.Popen(
            [str(AKMS), *(store_args or []), "serve", *([] if store_args else ["--memory"]),
             "--listen", "127.0.0.1:0",
             "--credentials", str(self.credentials), "--audit-log", str(self.audit_path), *extra_args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        line = self.proc.stdout.readline().decode()
        assert line.startswith("akms serve: listening on "), (line, self.proc.stderr.read().decode())
        self.url = line.split("listening on ", 1)[1].strip()
        self.hostport = self.url.split("://", 1)[1]
        self.host, port = self.hostport.rsplit(":", 1)
        self.port = int(port)

    def audit(self):
        """Every audit line so far, parsed."""
        if not self.audit_path.exists():
            return []
        return [json.loads(l) for l in self.audit_path.read_text().splitlines() if l.strip()]

    def wait_audit(self, n, timeout=5.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            lines = self.audit()
            if len(lines) >= n:
                return lines
            time.sleep(0.02)
        return self.audit()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("serve"))
    yield s
    assert s.stop() == 0, s.proc.stderr.read().decode()


def alibaba_client(server, signature_algorithm=None, key=ADMIN, protocol="HTTP", ca=None):
    from alibabacloud_kms20160120.client import Client
    from alibabacloud_tea_openapi.models import Config

    cfg = Config(access_key_id=key[0], access_key_secret=key[1], endpoint=server.hostport, protocol=protocol)
    if signature_algorithm:
        cfg.signature_algorithm = signature_algorithm
    if ca:
        cfg.ca = ca
    # Let an error surface at once (the server never answers a client mistake with 5xx).
    cfg.read_timeout = 30000
    return Client(cfg)


def aws_client(server, key=ADMIN, region="us-east-1", verify=None):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "kms", endpoint_url=server.url, region_name=region,
        aws_access_key_id=key[0], aws_secret_access_key=key[1],
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        verify=verify,
    )


SIGNATURES = [None, "v2", "ACS3-HMAC-SM3"]
