"""Every kind of unreadable file fails with its own typed error naming the file."""

from __future__ import annotations

import io
import os
import random
import zipfile
from pathlib import Path

import pytest

from litequeue_cv import (
    CorruptFile,
    CVError,
    DocumentTooLarge,
    EmptyFile,
    EncryptedFile,
    FileUnreadable,
    NoTextLayer,
    UnsupportedFileType,
    extract,
)
from litequeue_cv.samples import Sample

from .pdf_bytes import one_page_pdf


def _fails(path: Path, error: type[CVError], words: str) -> None:
    with pytest.raises(error) as info:
        extract(path)
    assert path.name in str(info.value)
    assert words in str(info.value)


@pytest.mark.parametrize("name", ["empty.pdf", "empty.docx", "empty.txt"])
def test_empty_file(write, name: str) -> None:  # type: ignore[no-untyped-def]
    _fails(write(name, b""), EmptyFile, "empty")


def test_truncated_pdf(write, sample_of) -> None:  # type: ignore[no-untyped-def]
    data = sample_of("pdf-column").path.read_bytes()
    _fails(write("truncated.pdf", data[: len(data) * 45 // 100]), CorruptFile, "corrupt")


def test_random_bytes_pdf(write) -> None:  # type: ignore[no-untyped-def]
    data = random.Random(7).randbytes(8192).replace(b"%PDF", b"....")
    _fails(write("random.pdf", data), CorruptFile, "no %PDF header")


def test_text_renamed_pdf(write) -> None:  # type: ignore[no-untyped-def]
    _fails(write("cv.pdf", b"Jane Doe\njane@example.com\n"), CorruptFile, "plain text")


def test_not_a_zip_docx(write) -> None:  # type: ignore[no-untyped-def]
    _fails(write("cv.docx", b"just some text, not a zip"), CorruptFile, "not a zip")


def test_zip_without_document(write) -> None:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hello")
    _fails(write("cv.docx", buf.getvalue()), CorruptFile, "not a Word document")


def test_zip_bomb_fails_before_parsing(write, sample_of) -> None:  # type: ignore[no-untyped-def]
    source = zipfile.ZipFile(sample_of("docx-headings").path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b"<w:body>" + b" " * (25 * 1024 * 1024))
            zf.writestr(info.filename, data)
    path = write("bomb.docx", buf.getvalue())
    assert path.stat().st_size < 1024 * 1024
    _fails(path, DocumentTooLarge, "too large")


def test_encrypted_pdf(write) -> None:  # type: ignore[no-untyped-def]
    from fpdf import FPDF
    from fpdf.enums import EncryptionMethod

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Jane Doe")
    pdf.set_encryption(
        owner_password="o", user_password="u", encryption_method=EncryptionMethod.RC4
    )
    _fails(write("locked.pdf", bytes(pdf.output())), EncryptedFile, "encrypted")


def test_image_only_pdf(write, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from fpdf import FPDF
    from PIL import Image

    image = tmp_path / "scan.png"
    Image.new("RGB", (200, 280), "white").save(image)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(image), x=10, y=10, w=150)
    _fails(write("scan.pdf", bytes(pdf.output())), NoTextLayer, "no text layer")


def test_pdf_without_pages(write) -> None:  # type: ignore[no-untyped-def]
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    _fails(write("nopages.pdf", body), NoTextLayer, "no pages")


@pytest.mark.parametrize(
    "damage",
    [
        {"mediabox": b"[0 0 1e308 1e308]"},  # not numbers to pdfminer: pdfplumber refuses it
        {"mediabox": b"[0 0 612]"},
        {"stream_filter": b"/Filter /NoSuchFilter"},
        {"stream_filter": b"/Filter /RunLengthDecode"},  # the text is not run-length data
    ],
)
def test_damaged_pdf(write, damage: dict[str, bytes]) -> None:  # type: ignore[no-untyped-def]
    assert extract(write("intact.pdf", one_page_pdf())).contact.name == "Jane Doe"
    _fails(write("damaged.pdf", one_page_pdf(**damage)), CorruptFile, "corrupt")


@pytest.mark.parametrize("name", ["cv.doc", "cv.pdf", "cv.txt", "cv"])
def test_a_docx_under_another_name_is_read_as_docx(  # type: ignore[no-untyped-def]
    write, sample_of, name: str
) -> None:
    sample = sample_of("docx-headings")
    result = extract(write(name, sample.path.read_bytes()))
    assert result.file_type == "docx"
    assert result.contact.name == sample.truth["contact"]["name"]


def test_a_zip_that_is_not_a_word_document(write) -> None:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", "<office:document-content/>")
    _fails(write("cv.odt", buf.getvalue()), UnsupportedFileType, "not a Word document")


@pytest.mark.parametrize("name", ["old.doc", "old.docx"])
def test_legacy_doc(write, name: str) -> None:  # type: ignore[no-untyped-def]
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    _fails(write(name, data), UnsupportedFileType, "DOCX and TXT are supported")


@pytest.mark.parametrize("name", ["photo.png", "cv.odt", "cv"])
def test_other_types(write, name: str) -> None:  # type: ignore[no-untyped-def]
    _fails(write(name, b"\x89PNG\r\n\x1a\n" + bytes(64)), UnsupportedFileType, "unsupported")


def test_missing_path(tmp_path: Path) -> None:
    _fails(tmp_path / "nowhere.pdf", FileUnreadable, "not found")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.pdf"
    folder.mkdir()
    _fails(folder, FileUnreadable, "directory")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.timeout(20)
def test_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "cv.pdf"
    os.mkfifo(pipe)  # opening it to read would wait for a writer forever
    _fails(pipe, FileUnreadable, "not a regular file (it is a named pipe)")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(write, sample_of) -> None:  # type: ignore[no-untyped-def]
    path = write("locked.pdf", sample_of("pdf-column").path.read_bytes())
    path.chmod(0)
    try:
        _fails(path, FileUnreadable, "permission denied")
    finally:
        path.chmod(0o600)


def test_errors_are_value_or_os_errors() -> None:
    assert issubclass(FileUnreadable, OSError)
    for cls in (CorruptFile, EmptyFile, EncryptedFile, NoTextLayer, DocumentTooLarge):
        assert issubclass(cls, ValueError)


def test_sample_fixture_is_real(samples: list[Sample]) -> None:
    assert {s.layout for s in samples} == {
        "pdf-column",
        "pdf-sidebar",
        "docx-headings",
        "docx-table",
    }
