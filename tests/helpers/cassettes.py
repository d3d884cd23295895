"""VCR cassettes of the corpus (``x_twitter/tweepy/*.yaml``, ``mastodon/Mastodon.py/*.yaml``)
read with PyYAML: each interaction as method, uri, response status, headers (lower-case names,
lists of values) and body (text, or bytes for ``!!binary`` bodies, un-gzipped when gzipped)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import yaml


def read_cassette(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    found = []
    for interaction in data.get("interactions", []):
        request, response = interaction["request"], interaction["response"]
        body = (response.get("body") or {}).get("string", "")
        if isinstance(body, bytes) and body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        found.append(
            {
                "method": request["method"],
                "uri": request["uri"],
                "status": int(response["status"]["code"]),
                "headers": {str(k).lower(): [str(v) for v in vs] for k, vs in (response.get("headers") or {}).items()},
                "body": body,
            }
        )
    return found
