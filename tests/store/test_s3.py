"""The S3 client: SigV4 against AWS's published example, and every operation against a real
S3 server (SeaweedFS, started by the session fixture)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tui.store.s3 import EMPTY_SHA256, Credentials, S3Client, S3Location, StorageUnavailable, sign


def test_signature_matches_the_aws_documentation_example():
    """ "Example: GET Object" of AWS's Signature Version 4 documentation (S3 API reference,
    'Signature Calculations for the Authorization Header'): the first 10 bytes of test.txt."""
    credentials = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1")
    headers = sign(
        "GET",
        "examplebucket.s3.amazonaws.com",
        "/test.txt",
        {},
        {"range": "bytes=0-9"},
        EMPTY_SHA256,
        credentials,
        datetime(2013, 5, 24, tzinfo=UTC),
    )
    assert headers["authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )
    assert headers["x-amz-date"] == "20130524T000000Z"


def test_location_parsing():
    assert S3Location.parse("s3://bucket/some/prefix/") == S3Location("bucket", "some/prefix/")
    assert S3Location.parse("s3://bucket") == S3Location("bucket", "")
    with pytest.raises(ValueError, match="s3://"):
        S3Location.parse("https://bucket/x")


@pytest.fixture
def s3(seaweedfs) -> S3Client:
    client = S3Client(seaweedfs.endpoint, seaweedfs.bucket, Credentials(seaweedfs.access_key, seaweedfs.secret_key))
    yield client
    client.delete_prefix("test-s3/")
    client.close()


def test_put_get_ranges_list_and_delete(s3):
    s3.put("test-s3/a/one.bin", b"0123456789")
    s3.put("test-s3/a/two.bin", b"ab")
    s3.put("test-s3/b/three.bin", b"xyz")
    assert s3.get("test-s3/a/one.bin") == b"0123456789"
    assert s3.get("test-s3/a/one.bin", 2, 5) == b"234"
    assert s3.get("test-s3/a/one.bin", 7) == b"789"
    assert s3.get("test-s3/a/missing.bin") is None
    assert sorted(s3.list("test-s3/")) == ["test-s3/a/one.bin", "test-s3/a/two.bin", "test-s3/b/three.bin"]
    assert sorted(s3.list("test-s3/", "/")) == ["test-s3/a/", "test-s3/b/"]
    assert s3.exists_under("test-s3/a/") and not s3.exists_under("test-s3/c/")
    assert s3.delete_prefix("test-s3/a/") == 12
    assert list(s3.list("test-s3/")) == ["test-s3/b/three.bin"]
    with pytest.raises(ValueError):
        s3.delete_prefix("")


def test_many_keys_are_listed_across_pages(s3):
    for i in range(1005):  # one more page than S3's 1,000 keys per LIST
        s3.put(f"test-s3/many/{i:05d}", b"")
    assert len(list(s3.list("test-s3/many/"))) == 1005


def test_wrong_credentials_and_no_server_are_storage_unavailable(seaweedfs):
    wrong = S3Client(seaweedfs.endpoint, seaweedfs.bucket, Credentials(seaweedfs.access_key, "not-the-secret"))
    with pytest.raises(StorageUnavailable, match="403"):
        wrong.get("anything")
    from tests.conftest import free_port

    nobody = S3Client(f"http://127.0.0.1:{free_port()}", "b", Credentials("k", "s"), timeout_s=2)
    with pytest.raises(StorageUnavailable, match="unreachable"):
        nobody.put("x", b"y")


def test_credentials_come_from_the_standard_environment(seaweedfs):
    client = S3Client.from_env(seaweedfs.bucket, seaweedfs.env())
    assert client.endpoint == seaweedfs.endpoint
    client.put("test-s3/env", b"ok")
    assert client.get("test-s3/env") == b"ok"
    with pytest.raises(ValueError, match="AWS_ACCESS_KEY_ID"):
        S3Client.from_env("b", {})
