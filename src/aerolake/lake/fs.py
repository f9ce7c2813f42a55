"""The lake's filesystem edge: open a pyarrow filesystem from a URL, put files atomically.

Lake data is only ever touched through :class:`pyarrow.fs.FileSystem`, so the same code
serves a local folder and ``s3://bucket/prefix``. The one primitive the commit protocol needs
is :func:`put_atomic` — a file appears whole or not at all:

- local: write ``.tmp-<uuid>-<name>`` beside the target, then rename (atomic on POSIX);
- S3: one PUT (or multipart upload), which becomes visible only when complete.

On S3, pyarrow keeps an empty ``folder/`` marker object when it deletes a folder's last
file; readers go through manifests, so markers are harmless.

S3 credentials come from the standard AWS chain (``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN`` environment variables, profiles, ...), the
region from ``AWS_REGION`` or ``AWS_DEFAULT_REGION``; nothing here logs them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import pyarrow as pa
import pyarrow.fs as pafs

from aerolake.errors import LakeError

TMP_PREFIX: Final = ".tmp-"


@dataclass(frozen=True)
class Location:
    """An opened lake root: ``fs`` paths are ``root/...``; ``uri_prefix + path`` is a URL."""

    fs: pafs.FileSystem
    root: str
    uri_prefix: str


def open_location(url: str, s3_endpoint: str | None = None) -> Location:
    """Open ``url`` (a local path, ``file://...`` or ``s3://bucket/prefix``). No I/O for S3."""
    if url.startswith("s3://"):
        root = url[len("s3://") :].strip("/")
        if not root:
            raise LakeError(f"lake URL {url!r} names no bucket: expected s3://bucket[/prefix]")
        return Location(_s3_filesystem(s3_endpoint), root, "s3://")
    if "://" in url and not url.startswith("file://"):
        raise LakeError(f"lake URL {url!r}: expected a local path, file:// or s3:// URL")
    path = url[len("file://") :] if url.startswith("file://") else url
    # A path string, not lake I/O: LocalFileSystem wants absolute paths.
    return Location(pafs.LocalFileSystem(), os.path.abspath(path), "")


def _s3_filesystem(endpoint: str | None) -> pafs.S3FileSystem:
    options: dict[str, object] = {}
    if endpoint:
        scheme, sep, host = endpoint.partition("://")
        options["endpoint_override"] = host if sep else endpoint
        options["scheme"] = scheme if sep else "https"
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        options["region"] = region
    return pafs.S3FileSystem(**options)


def is_local(fs: pafs.FileSystem) -> bool:
    return bool(fs.type_name == "local")


def put_atomic(fs: pafs.FileSystem, path: str, data: bytes | pa.Buffer) -> None:
    """Write ``data`` to ``path`` so that readers see the old file, or the new one whole."""
    try:
        if not is_local(fs):
            with fs.open_output_stream(path) as out:
                out.write(data)
            return
        fs.create_dir(path.rpartition("/")[0], recursive=True)
        tmp = _tmp_beside(path)
        try:
            with fs.open_output_stream(tmp) as out:
                out.write(data)
            fs.move(tmp, path)
        except BaseException:
            delete_quietly(fs, [tmp])
            raise
    except OSError as exc:
        raise LakeError(f"could not write {path}: {exc}") from exc


def copy_or_link(fs: pafs.FileSystem, source: str, target: str) -> None:
    """Make ``target`` hold ``source``'s bytes: a hard link on a local folder (lake files are
    never changed in place, :func:`put_atomic` renames over them, so a link is as good as a
    copy and costs no I/O), else a copy (server-side on S3; also when the folder cannot link).
    Not atomic on S3; the commit protocol only publishes ``target`` afterwards."""
    if is_local(fs):
        tmp = _tmp_beside(target)
        try:
            os.link(source, tmp)
            os.replace(tmp, target)
            return
        except OSError:  # another device, no hard links there: copy instead
            delete_quietly(fs, [tmp])
    try:
        fs.copy_file(source, target)
    except OSError as exc:
        raise LakeError(f"could not copy {source} to {target}: {exc}") from exc


def _tmp_beside(path: str) -> str:
    """A fresh temporary name in ``path``'s folder (garbage collection removes leftovers)."""
    parent, _, name = path.rpartition("/")
    return f"{parent}/{TMP_PREFIX}{uuid.uuid4().hex}-{name}"


def get_bytes(fs: pafs.FileSystem, path: str) -> bytes:
    try:
        with fs.open_input_stream(path) as stream:
            return bytes(stream.read())
    except OSError as exc:
        raise LakeError(f"could not read {path}: {exc}") from exc


def list_files(fs: pafs.FileSystem, path: str, recursive: bool = False) -> list[pafs.FileInfo]:
    """Files (not folders) below ``path``; an absent folder lists as empty."""
    selector = pafs.FileSelector(path, allow_not_found=True, recursive=recursive)
    try:
        infos = fs.get_file_info(selector)
    except OSError as exc:
        raise LakeError(f"could not list {path}: {exc}") from exc
    return [i for i in infos if i.type == pafs.FileType.File]


def delete_quietly(fs: pafs.FileSystem, paths: Iterable[str]) -> None:
    """Delete files, ignoring ones already gone (so garbage collection is safe to redo)."""
    for path in paths:
        try:
            fs.delete_file(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            if "not exist" not in str(exc).lower() and "no such" not in str(exc).lower():
                raise LakeError(f"could not delete {path}: {exc}") from exc
