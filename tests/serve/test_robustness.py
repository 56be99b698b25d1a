"""Bad input never stops the server or disturbs other clients: garbage, bad base64, huge
bodies, a slowloris connection, 200 concurrent connections."""

import base64
import os
import socket
import threading
import time

import pytest
import requests
from alibabacloud_kms20160120 import models as m

import signing
from conftest import alibaba_client, aws_client


@pytest.fixture(scope="module")
def key(server):
    kms = aws_client(server)
    md = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    return md["KeyId"]


def still_serving(server, key):
    assert server.alive()
    assert aws_client(server).get_public_key(KeyId=key)["KeyId"].endswith(key)


def read_response(sock):
    """One HTTP/1.1 response from `sock`: (status, body)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None, buf
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ")[1])
    length = next(int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:"))
    while len(rest) < length:
        rest += sock.recv(65536)
    return status, rest[:length]


def test_garbage_bodies(server, key):
    for body in [b"\x00\xff" * 100, b"{not json", b"[1,2,3]", b'{"KeyId": 5}', os.urandom(1000)]:
        r = signing.aws(server, "Sign", body)
        assert r.status_code == 400 and r.json()["__type"] == "ValidationException", (body, r.text)
    for body in [os.urandom(500), b"a=%zz", b"\xff\xfe=1"]:
        r = requests.post(server.url + "/", data=body, timeout=10)
        assert 400 <= r.status_code < 500
    r = signing.acs3(server, "DescribeKey", body=b"KeyId=%zz&x")
    assert r.status_code == 400 and r.json()["Code"] == "InvalidParameter"
    # Raw bytes that are not HTTP at all: the connection is answered or closed, nothing more.
    with socket.create_connection((server.host, server.port), timeout=10) as s:
        s.sendall(b"\x16\x03\x01\x02\x00garbage\r\n\r\n")
        s.recv(1024)
    still_serving(server, key)


def test_invalid_base64(server, key):
    r = signing.aws(server, "Sign", {"KeyId": key, "Message": "!!!not base64", "SigningAlgorithm": "ECDSA_SHA_256"})
    assert r.status_code == 400 and r.json()["__type"] == "ValidationException"
    # A name that is no AWS algorithm at all (boto3 would not send it) is a validation error too.
    r = signing.aws(server, "Sign", {"KeyId": key, "Message": "AA==", "SigningAlgorithm": "NOT_AN_ALGORITHM"})
    assert r.status_code == 400 and r.json()["__type"] == "ValidationException"
    c = alibaba_client(server)
    md = c.create_key(m.CreateKeyRequest(key_spec="EC_P256", key_usage="SIGN/VERIFY")).body.key_metadata
    with pytest.raises(Exception) as e:
        c.asymmetric_sign(m.AsymmetricSignRequest(key_id=md.key_id, key_version_id=md.primary_key_version,
                                                  algorithm="ECDSA_SHA_256", digest="%%% not base64"))
    assert e.value.code == "InvalidParameter" and e.value.status_code == 400
    still_serving(server, key)


def test_huge_bodies(server, key):
    big = b"x" * (64 * 1024 + 1)
    r = requests.post(server.url + "/", data=big, headers={"X-Amz-Target": "TrentService.Sign"}, timeout=10)
    assert r.status_code == 413 and r.json()["__type"] == "ValidationException"
    # Without a Content-Length (chunked): cut off at the limit all the same.
    r = requests.post(server.url + "/", data=iter([b"y" * 8192] * 20), timeout=10)
    assert r.status_code == 413
    # Exactly at the limit is read (and refused for its content, not its size).
    r = signing.aws(server, "Sign", b" " * (64 * 1024))
    assert r.status_code == 400 and r.json()["__type"] == "ValidationException"
    lines = server.audit()
    assert any(l["Status"] == "AKMS_ERR_INVALID_ARGUMENT" and l["Protocol"] == "AWS" for l in lines)
    # A request head over 16 KiB is refused before any of it is handled.
    r = requests.post(server.url + "/", headers={"X-Big": "h" * 20000}, data=b"{}", timeout=10)
    assert r.status_code == 431
    still_serving(server, key)


def test_slowloris_is_cut_off_while_others_are_served(server, key):
    slow = socket.create_connection((server.host, server.port), timeout=60)
    slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
    stop = threading.Event()

    def trickle():
        try:
            while not stop.is_set():
                slow.sendall(b"X")
                time.sleep(0.5)
        except OSError:
            pass

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    try:
        # Others are served while the slow client dribbles its headers.
        for _ in range(20):
            still_serving(server, key)
        # The slow connection is closed by the server (header read timeout), not served.
        deadline = time.time() + 45
        closed = False
        while time.time() < deadline and not closed:
            try:
                data = slow.recv(4096)
                closed = data == b"" or data.startswith(b"HTTP/1.1 408")
                if data and not closed:
                    pytest.fail(f"the slow connection got {data[:60]!r}")
            except (ConnectionResetError, BrokenPipeError):
                closed = True
            except socket.timeout:
                pass
        assert closed
    finally:
        stop.set()
        slow.close()
    still_serving(server, key)


def test_200_concurrent_connections(server, key):
    socks = [socket.create_connection((server.host, server.port), timeout=60) for _ in range(200)]
    try:
        # Every connection is open at once; each sends a request, then all are read.
        for s in socks:
            s.sendall(signing.aws_raw(server, "GetPublicKey", {"KeyId": key}))
        for s in socks:
            status, body = read_response(s)
            assert status == 200 and key.encode() in body
        # And they stay usable (keep-alive).
        for s in socks[:20]:
            s.sendall(signing.aws_raw(server, "GetPublicKey", {"KeyId": key}))
            assert read_response(s)[0] == 200
    finally:
        for s in socks:
            s.close()
    still_serving(server, key)
