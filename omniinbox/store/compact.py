"""How item rows are stored small: raw payloads and permalinks.

**Permalinks** are split at their last ``/``: the prefix (``https://x.com/kominfo/status/``)
is stored once in ``url_prefixes`` and the row keeps its id and the tail.

**Payloads.** A platform's raw payload is kept as evidence of what it sent, and most of it repeats: the same
keys on every record of an account, and the message text that the item row already holds. So a
payload is stored as

* its JSON, with the first copy of the item's own text replaced by a NUL byte (JSON never
  contains a raw NUL: ``orjson`` escapes control characters), and then
* compressed with Zstandard, using a dictionary trained on that account's earlier payloads
  once enough of them have been seen (before that, without a dictionary).

Blob layout: one flags byte (``0x01`` Zstandard, ``0x02`` plain; ``| 0x80`` when the text was
taken out); for Zstandard, the dictionary id as an unsigned LEB128 varint (``0``: none) and one
frame; for plain, the JSON. Blobs that start with ``{``/``[`` (JSON) or ``0x78`` (zlib) are read too.

Dictionaries live in ``payload_dictionaries`` and are never changed or deleted while a payload
may use them: a new dictionary gets a new id.
"""

from __future__ import annotations

import json
import sqlite3
import zlib

import orjson
import zstandard

_ZSTD = 0x01
_PLAIN = 0x02  # JSON as is: small payloads that a frame without a dictionary would not shrink
_TEXT_OUT = 0x80
_LEVEL = 3
TRAIN_AFTER = 200  # payloads of an account seen before its dictionary is trained
_TRAIN_MAX_SAMPLES = 1000
_DICT_BYTES = 8192
_MIN_TEXT = 16  # shorter texts are not worth a marker


class PayloadError(ValueError):
    """A stored payload could not be read back (damaged, or its dictionary is missing)."""


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(blob: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(blob):
            raise PayloadError("truncated payload header")
        byte = blob[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7


def to_json(raw: object) -> bytes:
    """Compact UTF-8 JSON. Anything JSON cannot hold natively is written as its ``str``."""
    try:
        return orjson.dumps(raw, default=str, option=orjson.OPT_NON_STR_KEYS)
    except (orjson.JSONEncodeError, TypeError):  # e.g. integers beyond 64 bits
        return json.dumps(raw, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


class PayloadCodec:
    """Encodes and decodes the payloads of one cache; holds the dictionaries it has loaded and
    the samples it is gathering per account. One per connection, used by its writer."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._by_account: dict[int, int] = {}  # account id -> dictionary id in use
        self._compressors: dict[int, zstandard.ZstdCompressor] = {}
        self._decompressors: dict[int, zstandard.ZstdDecompressor] = {}
        self._samples: dict[int, list[bytes]] = {}
        self._loaded = False

    # ------------------------------------------------------------------ dictionaries

    def _load(self) -> None:
        if self._loaded:
            return
        for dict_id, account_id in self._conn.execute(
            "SELECT id, account_id FROM payload_dictionaries ORDER BY id"
        ):  # the newest of an account wins
            self._by_account[account_id] = dict_id
        self._loaded = True

    def _dictionary(self, dict_id: int) -> zstandard.ZstdCompressionDict:
        row = self._conn.execute("SELECT data FROM payload_dictionaries WHERE id = ?", (dict_id,)).fetchone()
        if row is None:
            raise PayloadError(f"payload dictionary {dict_id} is missing")
        return zstandard.ZstdCompressionDict(row[0])

    def _compressor(self, dict_id: int) -> zstandard.ZstdCompressor:
        comp = self._compressors.get(dict_id)
        if comp is None:
            comp = self._compressors[dict_id] = _compressor_with(self._dictionary(dict_id) if dict_id else None)
        return comp

    def _decompressor(self, dict_id: int) -> zstandard.ZstdDecompressor:
        dec = self._decompressors.get(dict_id)
        if dec is None:
            dec = zstandard.ZstdDecompressor(dict_data=self._dictionary(dict_id) if dict_id else None)
            self._decompressors[dict_id] = dec
        return dec

    def _train(self, account_id: int, samples: list[bytes], now_ms: int) -> int | None:
        """Train and store a dictionary for ``account_id`` (inside the caller's transaction)."""
        try:
            chosen: list[bytes | bytearray | memoryview] = [*samples[-_TRAIN_MAX_SAMPLES:]]
            trained = zstandard.train_dictionary(_DICT_BYTES, chosen)
        except zstandard.ZstdError:
            return None  # too little variety to learn from; keep going without
        cur = self._conn.execute(
            "INSERT INTO payload_dictionaries (account_id, data, samples, created_at) VALUES (?, ?, ?, ?)",
            (account_id, trained.as_bytes(), len(samples), now_ms),
        )
        dict_id = int(cur.lastrowid or 0)
        self._by_account[account_id] = dict_id
        return dict_id

    def forget_unsaved(self) -> None:
        """After a rollback: dictionaries trained in it were not stored."""
        self._by_account.clear()
        self._compressors.clear()
        self._decompressors.clear()
        self._loaded = False

    # ------------------------------------------------------------------ encoding

    @staticmethod
    def prepare(raw: object, text: str) -> tuple[bytes, int]:
        """The JSON to store for ``raw`` (with ``text`` taken out) and its flags, before packing.
        Equal payloads prepare to equal bytes, so a replay can be recognised."""
        data = to_json(raw)
        flags = 0
        if len(text) >= _MIN_TEXT:
            needle = orjson.dumps(text)[1:-1]
            if needle in data:
                data = data.replace(needle, b"\x00", 1)
                flags = _TEXT_OUT
        return data, flags

    def pack_many(self, account_id: int, prepared: list[tuple[bytes, int]], now_ms: int) -> list[bytes]:
        """Blobs for prepared payloads of one account, in order. May train (and store) the
        account's dictionary first, so call it inside the write transaction."""
        self._load()
        dict_id = self._by_account.get(account_id, 0)
        if not dict_id:
            samples = self._samples.setdefault(account_id, [])
            samples.extend(data for data, _ in prepared[:_TRAIN_MAX_SAMPLES])
            del samples[:-_TRAIN_MAX_SAMPLES]
            if len(samples) >= TRAIN_AFTER:
                dict_id = self._train(account_id, samples, now_ms) or 0
                self._samples.pop(account_id, None)
        return _pack(self._compressor(dict_id), dict_id, prepared)

    def dictionary_of(self, account_id: int) -> int:
        """The id of the dictionary ``account_id``'s payloads are packed with now (0: none)."""
        self._load()
        return self._by_account.get(account_id, 0)

    def packer(self, account_id: int) -> Packer | None:
        """What packs ``account_id``'s payloads as :meth:`pack_many` would, anywhere (another
        process): ``None`` until the account has a dictionary (before that, packing may train one,
        which only the cache's writer can)."""
        dict_id = self.dictionary_of(account_id)
        if not dict_id:
            return None
        return Packer(dict_id, self._dictionary(dict_id).as_bytes())

    def encode_many(self, account_id: int, pairs: list[tuple[object, str]], now_ms: int) -> list[bytes]:
        """:meth:`prepare` and :meth:`pack_many` in one."""
        return self.pack_many(account_id, [self.prepare(raw, text) for raw, text in pairs], now_ms)

    # ------------------------------------------------------------------ decoding

    def unpack(self, blob: bytes) -> tuple[bytes, int]:
        """A stored blob back to what :meth:`prepare` made of its payload (legacy blobs give
        their JSON, which never equals a prepared one: they are rewritten once)."""
        if not blob:
            raise PayloadError("empty payload")
        first = blob[0]
        if first in (0x7B, 0x5B):  # '{' '[': plain JSON
            return blob, 0
        if first == 0x78:  # zlib
            return zlib.decompress(blob), 0
        if first & _ZSTD:
            dict_id, at = _read_varint(blob, 1)
            try:
                data = self._decompressor(dict_id).decompress(blob[at:])
            except zstandard.ZstdError as exc:
                raise PayloadError(f"damaged payload: {exc}") from None
        elif first & _PLAIN:
            data = blob[1:]
        else:
            raise PayloadError(f"unknown payload format {first:#04x}")
        return data, first & _TEXT_OUT

    def decode(self, blob: bytes, text: str) -> object:
        """The payload stored as ``blob`` for an item whose text is ``text``."""
        data, flags = self.unpack(blob)
        if flags & _TEXT_OUT:
            data = data.replace(b"\x00", orjson.dumps(text)[1:-1], 1)
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise PayloadError(f"damaged payload: {exc}") from None


def _compressor_with(dict_data: zstandard.ZstdCompressionDict | None) -> zstandard.ZstdCompressor:
    return zstandard.ZstdCompressor(
        level=_LEVEL, dict_data=dict_data, write_checksum=False, write_content_size=True, write_dict_id=False
    )


def _pack(compressor: zstandard.ZstdCompressor, dict_id: int, prepared: list[tuple[bytes, int]]) -> list[bytes]:
    compress = compressor.compress
    header = _varint(dict_id)
    blobs = []
    for data, flags in prepared:
        packed = compress(data)
        if dict_id or len(packed) + len(header) < len(data):
            blobs.append(bytes((flags | _ZSTD,)) + header + packed)
        else:
            blobs.append(bytes((flags | _PLAIN,)) + data)
    return blobs


class Packer:
    """Packs prepared payloads with one stored dictionary, as :meth:`PayloadCodec.pack_many` does
    for an account using it; needs no database, and pickles small (the dictionary's bytes)."""

    def __init__(self, dict_id: int, dict_bytes: bytes) -> None:
        self.dict_id = dict_id
        self._bytes = dict_bytes
        self._compressor: zstandard.ZstdCompressor | None = None

    def __reduce__(self) -> tuple[type[Packer], tuple[int, bytes]]:
        return Packer, (self.dict_id, self._bytes)

    def pack_many(self, prepared: list[tuple[bytes, int]]) -> list[bytes]:
        if self._compressor is None:
            self._compressor = _compressor_with(zstandard.ZstdCompressionDict(self._bytes))
        return _pack(self._compressor, self.dict_id, prepared)


MIN_PREFIX = 12  # a permalink is stored as the id of its prefix up to the last "/" and the rest;
# shorter prefixes ("https://a/") are not worth a row


class UrlPrefixes:
    """The ids of ``url_prefixes`` rows, looked up (and added) a page at a time."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._ids: dict[str, int] = {}

    def ids_for(self, prefixes: set[str]) -> dict[str, int]:
        """Ids for ``prefixes``, adding the new ones (inside the caller's transaction)."""
        missing = [p for p in prefixes if p and p not in self._ids]
        if missing:
            self._conn.executemany("INSERT OR IGNORE INTO url_prefixes (prefix) VALUES (?)", [(p,) for p in missing])
            for start in range(0, len(missing), 500):
                chunk = missing[start : start + 500]
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT prefix, id FROM url_prefixes WHERE prefix IN ({marks})"
                self._ids.update(self._conn.execute(sql, chunk))
        return self._ids

    def forget_unsaved(self) -> None:
        self._ids.clear()
