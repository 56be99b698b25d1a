"""Hand-made requests signed by the SDKs' own signers (alibabacloud_openapi_util, botocore),
for what the SDK clients will not send: replays, old timestamps, tampered bodies."""

import datetime
import json
import uuid
from types import SimpleNamespace
from unittest import mock
from urllib.parse import quote, urlencode

import requests
from alibabacloud_openapi_util.client import Client as AliUtil
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import ADMIN


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def acs3(server, action, query=None, body=b"", key=ADMIN, alg="ACS3-HMAC-SHA256", when=None, nonce=None,
         send_body=None, session=requests):
    """An ACS3-signed Alibaba request; `send_body` replaces the signed body on the wire."""
    query = dict(query or {})
    when = when or utc_now()
    headers = {
        "host": server.hostport, "x-acs-action": action, "x-acs-version": "2016-01-20",
        "x-acs-date": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        "accept": "application/json",
    }
    if body:
        headers["content-type"] = "application/x-www-form-urlencoded"
    payload = AliUtil.hash(body, alg).hex()
    headers["x-acs-content-sha256"] = payload
    req = SimpleNamespace(method="POST", pathname="/", query=query, headers=headers)
    headers["Authorization"] = AliUtil.get_authorization(req, alg, payload, key[0], key[1])
    url = server.url + "/" + ("?" + urlencode(query, quote_via=quote) if query else "")
    return session.post(url, headers=headers, data=body if send_body is None else send_body, timeout=30)


def rpc(server, action, params=None, key=ADMIN, when=None, nonce=None, tamper=None):
    """An RPC-signed (HMAC-SHA1) Alibaba request; `tamper` changes parameters after signing."""
    when = when or utc_now()
    p = {"Action": action, "Format": "json", "Version": "2016-01-20",
         "Timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "SignatureNonce": nonce or uuid.uuid4().hex,
         "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "AccessKeyId": key[0], **(params or {})}
    p["Signature"] = AliUtil.get_rpcsignature(p, "POST", key[1])
    p.update(tamper or {})
    return requests.post(server.url + "/?" + urlencode(p, quote_via=quote), timeout=30)


def aws_signed(server, operation, body, key=ADMIN, when=None, region="us-east-1"):
    """(headers, body bytes) of a SigV4-signed AWS KMS request made with botocore's signer;
    `body` is a dict (sent as JSON) or raw bytes."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = AWSRequest(method="POST", url=server.url + "/", data=data,
                     headers={"X-Amz-Target": f"TrentService.{operation}", "Content-Type": "application/x-amz-json-1.1"})
    with mock.patch("botocore.auth.get_current_datetime", return_value=when or utc_now()):
        SigV4Auth(Credentials(*key), "kms", region).add_auth(req)
    return dict(req.headers), data


def aws(server, operation, body, key=ADMIN, when=None, send_body=None, region="us-east-1"):
    """A SigV4-signed AWS KMS request, sent (`send_body` replaces the signed body)."""
    headers, data = aws_signed(server, operation, body, key, when, region)
    return requests.post(server.url + "/", headers=headers, data=data if send_body is None else send_body, timeout=30)


def aws_raw(server, operation, body, key=ADMIN):
    """The bytes of a keep-alive HTTP/1.1 request, for raw sockets."""
    headers, data = aws_signed(server, operation, body, key)
    head = f"POST / HTTP/1.1\r\nHost: {server.hostport}\r\nContent-Length: {len(data)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode() + b"\r\n" + data
