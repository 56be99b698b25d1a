"""The command around the server: credentials file handling, the audit log on stdout."""

import json
import subprocess

from conftest import AKMS, aws_client


class Endpoint:
    """Just what aws_client needs of a server."""


def serve(tmp, creds, *args):
    path = tmp / "creds.json"
    path.write_text(creds if isinstance(creds, str) else json.dumps(creds))
    return subprocess.Popen([str(AKMS), "serve", "--memory", "--listen", "127.0.0.1:0", "--credentials", str(path), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_bad_credentials_files_are_refused(tmp_path):
    for bad in ["not json", {"AccessKeys": [{"AccessKeyId": "a"}]},
                {"AccessKeys": [{"AccessKeyId": "a", "AccessKeySecret": "s", "Policy": {"Statement": [{"Effect": "Maybe"}]}}]},
                {"AccessKeys": [{"AccessKeyId": "a", "AccessKeySecret": "s"}, {"AccessKeyId": "a", "AccessKeySecret": "t"}]}]:
        p = serve(tmp_path, bad)
        out, err = p.communicate(timeout=30)
        assert p.returncode == 11 and err.decode().startswith("akms: AKMS_ERR_INVALID_ARGUMENT: credentials file"), err
        assert out == b""


def test_policy_without_principal_speaks_for_its_key_and_audit_to_stdout(tmp_path):
    creds = {"AccessKeys": [{"AccessKeyId": "ro", "AccessKeySecret": "ro-secret",
                             "Policy": {"Statement": [{"Effect": "Allow", "Action": ["kms:ListKeys"], "Resource": ["*"]}]}}]}
    p = serve(tmp_path, creds, "--audit-log", "-")
    try:
        line = p.stdout.readline().decode()
        assert line.startswith("akms serve: listening on http://127.0.0.1:")
        s = Endpoint()
        s.url = line.split("listening on ", 1)[1].strip()
        kms = aws_client(s, key=("ro", "ro-secret"))
        assert kms.list_keys()["Keys"] == []
        event = json.loads(p.stdout.readline())
        assert event["Principal"] == "ro" and event["Operation"] == "ListKeys" and event["Status"] == "AKMS_OK"
        assert event["AccessKeyId"] == "ro" and event["Protocol"] == "AWS" and event["EventTime"].endswith("Z")
    finally:
        p.terminate()
        assert p.wait(10) == 0
