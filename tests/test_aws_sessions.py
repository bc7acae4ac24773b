"""boto3 sessions of one process share botocore's parsed data (sessions.new_session): a session per set of
keys (the administrator's, an assumed role's, each rehearsal account's) costs no second parse of
botocore's JSON, and each session still signs with its own keys."""

from __future__ import annotations

from botocore.awsrequest import AWSResponse
from botocore.loaders import JSONFileLoader

from sparkify_nb.sessions import new_session


def signed_key_id(session) -> str:
    """The access key id a request of ``session``'s STS client is signed with (the request is answered
    here, before it is sent: nothing leaves the process)."""
    client = session.client("sts", endpoint_url="http://127.0.0.1:9")
    seen = []

    def answer(request, **_):
        auth = request.headers["Authorization"]
        seen.append(auth.decode() if isinstance(auth, bytes) else auth)
        body = (b"<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/u</Arn>"
                b"<UserId>U</UserId><Account>123456789012</Account></GetCallerIdentityResult>"
                b"</GetCallerIdentityResponse>")
        return AWSResponse("http://127.0.0.1:9", 200, {}, _Raw(body))

    client.meta.events.register("before-send", answer)
    client.get_caller_identity()
    return seen[0].split("Credential=")[1].split("/")[0]


class _Raw:
    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_):
        yield self.body


def test_sessions_with_other_keys_each_sign_with_their_own():
    first = new_session(region_name="us-west-2", aws_access_key_id="AKIAFIRST", aws_secret_access_key="s1")
    second = new_session(region_name="us-west-2", aws_access_key_id="AKIASECOND", aws_secret_access_key="s2")
    assert signed_key_id(first) == "AKIAFIRST"
    assert signed_key_id(second) == "AKIASECOND"


def test_a_second_session_parses_none_of_botocores_json_again(monkeypatch):
    new_session(region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b").client("iam")
    parsed = []
    real = JSONFileLoader.load_file

    def counting(self, file_path):
        parsed.append(file_path)
        return real(self, file_path)

    monkeypatch.setattr(JSONFileLoader, "load_file", counting)
    again = new_session(region_name="eu-west-1", aws_access_key_id="c", aws_secret_access_key="d")
    again.client("iam")
    assert parsed == []


def test_many_sessions_leave_botocores_search_path_as_one_session_does():
    loader = new_session()._loader  # one session made: boto3 added its data folder to the loader
    before = list(loader.search_paths)
    for n in range(5):
        new_session(aws_access_key_id=f"k{n}", aws_secret_access_key="s")
    assert loader.search_paths == before and len(before) == len(set(before))
