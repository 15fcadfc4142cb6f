"""Multipart uploads read as they arrive, so that no limit waits for the whole body.

Starlette's form parser spools every file part to a temporary file before the
handler sees it (its size limit covers plain fields only), so a 300 MB file
was on disk before a 413. Here each file goes straight to its server-named
target, the per-file, per-request and count limits are checked on the bytes
received so far, and a request that fails leaves none of its files behind.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Collection
from pathlib import Path
from typing import BinaryIO

import anyio
from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header
from starlette.requests import ClientDisconnect, Request

__all__ = ["Refused", "Upload", "receive"]

_FIELD_LIMIT = 4096  # bytes of a plain field: the project name is cut to 80 characters
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_MAX_FIELDS = 5


class Refused(Exception):
    """The upload is refused with HTTP ``status``; the message says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Upload:
    """The parts of one request: its ``project`` and ``force`` fields, and the files
    saved so far with the SHA-256 of each (what says a file was read before)."""

    def __init__(
        self, folder: Path, *, suffixes: Collection[str], max_file: int, max_files: int
    ) -> None:
        self.folder, self.suffixes = folder, suffixes
        self.max_file, self.max_files = max_file, max_files
        self.project = ""
        #: Whether files read before are to be read again (the ``force`` field: "1").
        self.force = False
        #: (the name the client gave, the file as saved), in the order sent.
        self.files: list[tuple[str, Path]] = []
        #: The SHA-256 (hex) of each file received whole, in the same order.
        self.digests: list[str] = []
        self._digest = hashlib.sha256()
        self.complete = False
        self._fields = 0
        self._headers: dict[bytes, bytes] = {}
        self._header_name, self._header_value = bytearray(), bytearray()
        self._out: BinaryIO | None = None
        self._size = 0
        self._field: bytearray | None = None
        self._field_name: bytes | None = None

    def discard(self) -> None:
        """Remove every file of this request: the request failed, so none has a job."""
        if self._out is not None:
            self._out.close()
        for _, path in self.files:
            path.unlink(missing_ok=True)

    def parser(self, boundary: bytes) -> MultipartParser:
        """A parser whose callbacks fill this upload."""
        return MultipartParser(
            boundary,
            {
                "on_part_begin": self._headers.clear,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[bytes(self._header_name).lower()] = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition"))
        field = options.get(b"name")
        if b"filename" in options:
            self._start_file(field, options[b"filename"].decode("utf-8", "replace"))
            return
        self._fields += 1
        if self._fields > _MAX_FIELDS:
            raise Refused(413, f"at most {_MAX_FIELDS} form fields per upload")
        self._field_name = field
        self._field = bytearray() if field in (b"project", b"force") else None

    def _start_file(self, field: bytes | None, filename: str) -> None:
        if field != b"files":
            return  # a file under another field is not read
        if len(self.files) == self.max_files:
            raise Refused(413, f"at most {self.max_files} files per upload")
        name = Path(_as_chosen(filename) or "cv").name[:200]
        suffix = Path(name).suffix.lower()
        if suffix not in self.suffixes:
            raise Refused(415, f"{name}: only {', '.join(sorted(self.suffixes))} files are taken")
        target = self.folder / f"{uuid.uuid4().hex}{suffix}"
        self._out = target.open("xb")
        self.files.append((name, target))
        self._size = 0
        self._digest = hashlib.sha256()

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._out is not None:
            self._size += end - start
            if self._size > self.max_file:
                name = self.files[-1][0]
                raise Refused(413, f"{name}: larger than {self.max_file // 2**20} MB")
            self._out.write(data[start:end])
            self._digest.update(data[start:end])
        elif self._field is not None:
            self._field += data[start:end]
            if len(self._field) > _FIELD_LIMIT:
                raise Refused(413, "the project field is too long")

    def _on_part_end(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
            self.digests.append(self._digest.hexdigest())
        elif self._field is not None:
            text = self._field.decode("utf-8", "replace")
            if self._field_name == b"force":
                self.force = text.strip() == "1"
            else:
                # A tag is shown on one line: a tab or line break in it would be refused.
                self.project = _CONTROL.sub(" ", text).strip()[:80]
            self._field = None

    def _on_end(self) -> None:
        self.complete = True


def _as_chosen(filename: str) -> str:
    """The file name as the user chose it: browsers send ``"`` as ``%22`` and line
    breaks as ``%0D``/``%0A`` in a multipart file name (the HTML standard's rule)."""
    return filename.replace("%22", '"').replace("%0D", " ").replace("%0A", " ")


async def receive(
    request: Request,
    folder: Path,
    *,
    suffixes: Collection[str],
    max_file: int,
    max_files: int,
    max_request: int,
    timeout: float,
) -> Upload:
    """The request's upload, its files saved under ``folder``; on any failure the
    files saved so far are removed before the error goes on. A body that takes
    more than ``timeout`` seconds to arrive is refused (408): one that trickles in
    would otherwise hold its connection and its open file for ever."""
    ctype, params = parse_options_header(request.headers.get("content-type"))
    if ctype != b"multipart/form-data" or not params.get(b"boundary"):
        raise Refused(400, "expected a multipart/form-data upload (field 'files')")
    upload = Upload(folder, suffixes=suffixes, max_file=max_file, max_files=max_files)
    parser = upload.parser(params[b"boundary"])
    received = 0
    try:
        with anyio.fail_after(timeout):
            async for chunk in request.stream():
                received += len(chunk)
                if received > max_request:
                    raise Refused(413, f"upload larger than {max_request // 2**20} MB")
                # The callbacks write to disk: off the event loop (a write under way
                # finishes before a timeout takes effect).
                await anyio.to_thread.run_sync(parser.write, chunk)
        if not upload.complete:
            raise Refused(400, "the upload ended before its closing boundary")
    except TimeoutError:
        upload.discard()
        raise Refused(408, f"the upload took longer than {timeout:g} s to arrive") from None
    except FormParserError as exc:
        upload.discard()
        raise Refused(400, f"malformed upload: {exc}") from None
    except ClientDisconnect:
        upload.discard()
        raise Refused(400, "the upload was interrupted") from None
    except BaseException:
        upload.discard()
        raise
    return upload
