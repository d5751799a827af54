"""A small S3 client: httpx and AWS Signature Version 4, nothing else.

folio needs six object operations (put, get, ranged get, delete, list, head) against any
S3-compatible service (AWS, MinIO, SeaweedFS, R2…). boto3/botocore would bring ~80 MB and
their own HTTP stack for that; httpx is already a dependency and SigV4 is one page of code,
tested against AWS's published example (tests/store/test_s3.py). Path-style addressing
(``endpoint/bucket/key``) works with every S3-compatible server and with AWS itself.

Errors: anything that means "the object store cannot be reached or answered badly" raises
:class:`StorageUnavailable` (the service answers 503 with the error model); a missing object
is ``None`` from :meth:`S3Client.get`, not an error.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree

import httpx

from tui.store.backends import BackendUnavailable

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_NS = re.compile(r"^\{[^}]*\}")


class StorageUnavailable(BackendUnavailable):
    """The object store could not be reached, or refused a request it should accept."""


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    region: str = "us-east-1"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def signing_key(secret_key: str, date: str, region: str, service: str = "s3") -> bytes:
    key = _hmac(("AWS4" + secret_key).encode(), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def _uri_encode(text: str, *, slash: bool) -> str:
    return quote(text, safe="-_.~" + ("/" if not slash else ""))


def query_string(query: Mapping[str, str]) -> str:
    """The canonical query string, which is also what is sent (so nothing re-encodes it)."""
    return "&".join(f"{_uri_encode(k, slash=True)}={_uri_encode(v, slash=True)}" for k, v in sorted(query.items()))


def sign(
    method: str,
    host: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    payload_sha256: str,
    credentials: Credentials,
    moment: datetime,
) -> dict[str, str]:
    """The headers to add to a request so S3 accepts it (SigV4, header-based).

    ``path`` is the already URI-encoded absolute path; ``headers`` are extra headers to sign
    (e.g. ``range``). Returns ``authorization``, ``x-amz-date`` and ``x-amz-content-sha256``."""
    amz_date = moment.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    signed = {k.lower(): " ".join(str(v).strip().split()) for k, v in headers.items()}
    signed["host"] = host
    signed["x-amz-content-sha256"] = payload_sha256
    signed["x-amz-date"] = amz_date
    names = sorted(signed)
    canonical_query = query_string(query)
    canonical = "\n".join(
        [
            method,
            path,
            canonical_query,
            "".join(f"{name}:{signed[name]}\n" for name in names),
            ";".join(names),
            payload_sha256,
        ]
    )
    scope = f"{date}/{credentials.region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signature = hmac.new(
        signing_key(credentials.secret_key, date, credentials.region), to_sign.encode(), hashlib.sha256
    ).hexdigest()
    return {
        "authorization": (
            f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope},"
            f"SignedHeaders={';'.join(names)},Signature={signature}"
        ),
        "x-amz-date": amz_date,
        "x-amz-content-sha256": payload_sha256,
    }


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or ending in "/"

    @classmethod
    def parse(cls, url: str) -> S3Location:
        """``s3://bucket/some/prefix`` → bucket and ``some/prefix/``."""
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"not an s3:// URL: {url!r} (expected s3://bucket/prefix)")
        prefix = parts.path.strip("/")
        return cls(parts.netloc, prefix + "/" if prefix else "")


class S3Client:
    """Thread-safe (one httpx client with a connection pool), synchronous: the store calls it
    from worker threads, never from the event loop."""

    def __init__(
        self,
        endpoint: str,
        bucket: str,
        credentials: Credentials,
        *,
        timeout_s: float = 10.0,
        clock=lambda: datetime.now(UTC),
    ):
        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        self.credentials = credentials
        self._host = urlsplit(self.endpoint).netloc
        self._clock = clock
        self._http = httpx.Client(timeout=timeout_s, limits=httpx.Limits(max_connections=32))
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, bucket: str, env: Mapping[str, str] | None = None) -> S3Client:
        """Endpoint and credentials from the standard AWS variables."""
        env = os.environ if env is None else env
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or f"https://s3.{region}.amazonaws.com"
        key, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
        if not key or not secret:
            raise ValueError("S3 results need AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        return cls(endpoint, bucket, Credentials(key, secret, region))

    def close(self) -> None:
        self._http.close()

    # -- requests ---------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        key: str = "",
        *,
        query: Mapping[str, str] | None = None,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        path = "/" + _uri_encode(self.bucket, slash=True) + ("/" + _uri_encode(key, slash=False) if key else "")
        query = dict(query or {})
        extra = dict(headers or {})
        payload = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
        signed = sign(method, self._host, path, query, extra, payload, self.credentials, self._clock())
        try:
            url = self.endpoint + path + ("?" + query_string(query) if query else "")
            response = self._http.request(method, url, content=body or None, headers={**extra, **signed})
        except httpx.HTTPError as exc:
            raise StorageUnavailable(f"the object store at {self.endpoint} is unreachable: {exc}") from None
        if response.status_code >= 500 or response.status_code in (400, 401, 403):
            raise StorageUnavailable(
                f"the object store answered {method} {key or self.bucket} with {response.status_code}: "
                f"{_s3_error(response)}"
            )
        return response

    def put(self, key: str, body: bytes) -> None:
        response = self._request("PUT", key, body=body, headers={"content-length": str(len(body))})
        if response.status_code != 200:
            raise StorageUnavailable(f"PUT {key} answered {response.status_code}: {_s3_error(response)}")

    def get(self, key: str, start: int | None = None, end: int | None = None) -> bytes | None:
        """The object (or bytes ``[start, end)`` of it), ``None`` if there is no such object."""
        headers = {"range": f"bytes={start}-{end - 1 if end is not None else ''}"} if start is not None else None
        response = self._request("GET", key, headers=headers)
        if response.status_code == 404:
            return None
        if response.status_code not in (200, 206):
            raise StorageUnavailable(f"GET {key} answered {response.status_code}: {_s3_error(response)}")
        return response.content

    def delete(self, key: str) -> None:
        response = self._request("DELETE", key)
        if response.status_code not in (200, 204, 404):
            raise StorageUnavailable(f"DELETE {key} answered {response.status_code}: {_s3_error(response)}")

    def _pages(self, prefix: str, delimiter: str | None) -> Iterator[ElementTree.Element]:
        token: str | None = None
        while True:
            query = {"list-type": "2", "prefix": prefix}
            if delimiter:
                query["delimiter"] = delimiter
            if token:
                query["continuation-token"] = token
            response = self._request("GET", query=query)
            if response.status_code != 200:
                raise StorageUnavailable(f"LIST {prefix} answered {response.status_code}: {_s3_error(response)}")
            root = ElementTree.fromstring(response.content)
            token = None
            for element in root:
                if _NS.sub("", element.tag) == "NextContinuationToken":
                    token = element.text
                yield element
            if not token:
                return

    def list(self, prefix: str, delimiter: str | None = None) -> Iterator[str]:
        """Keys under ``prefix`` (with ``delimiter``: the common prefixes instead)."""
        wanted = "CommonPrefixes" if delimiter else "Contents"
        for element in self._pages(prefix, delimiter):
            if _NS.sub("", element.tag) == wanted:
                yield _child(element, "Prefix" if delimiter else "Key")

    def exists_under(self, prefix: str) -> bool:
        """Is there any object under ``prefix``? (One LIST of at most one key.)"""
        response = self._request("GET", query={"list-type": "2", "prefix": prefix, "max-keys": "1"})
        if response.status_code != 200:
            raise StorageUnavailable(f"LIST {prefix} answered {response.status_code}: {_s3_error(response)}")
        root = ElementTree.fromstring(response.content)
        return any(_NS.sub("", element.tag) == "Contents" for element in root)

    def sizes(self, prefix: str) -> Iterator[tuple[str, int]]:
        """``(key, size)`` of every object under ``prefix``."""
        for element in self._pages(prefix, None):
            if _NS.sub("", element.tag) == "Contents":
                yield _child(element, "Key"), int(_child(element, "Size") or 0)

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix``; returns the bytes they held."""
        if not prefix:
            raise ValueError("refusing to delete a whole bucket")
        found = list(self.sizes(prefix))
        for key, _ in found:
            self.delete(key)
        return sum(size for _, size in found)

    def ensure_bucket(self) -> None:
        response = self._request("HEAD")
        if response.status_code == 404:
            response = self._request("PUT")
            if response.status_code not in (200, 409):
                raise StorageUnavailable(f"could not create bucket {self.bucket}: {_s3_error(response)}")


def _child(element: ElementTree.Element, name: str) -> str:
    for child in element:
        if _NS.sub("", child.tag) == name:
            return child.text or ""
    return ""


def _s3_error(response: httpx.Response) -> str:
    try:
        root = ElementTree.fromstring(response.content)
    except ElementTree.ParseError:
        return response.text[:200] or response.reason_phrase
    return _child(root, "Code") + ": " + _child(root, "Message")
