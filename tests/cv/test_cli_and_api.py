"""The command line and the public surface."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import litequeue_cv
from litequeue_cv.cli import main
from litequeue_cv.samples import Sample

from .pdf_bytes import one_page_pdf


def test_public_surface() -> None:
    assert sorted(litequeue_cv.__all__) == sorted(
        [
            "SCHEMA_VERSION",
            "CVError",
            "CVResult",
            "Certification",
            "Contact",
            "CorruptFile",
            "Degree",
            "DocumentTooLarge",
            "EmptyFile",
            "EncryptedFile",
            "FileUnreadable",
            "Job",
            "Language",
            "NoTextLayer",
            "Progress",
            "UnsupportedFileType",
            "extract",
            "extract_dict",
        ]
    )


def test_import_without_pdfplumber() -> None:
    code = (
        "import sys; sys.modules['pdfplumber'] = None; sys.modules['docx'] = None\n"
        "import litequeue_cv; print(litequeue_cv.SCHEMA_VERSION)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


def test_extract_json(samples: list[Sample], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", "--json", str(samples[0].path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema_version"] == 1
    assert data["contact"]["name"] == samples[0].truth["contact"]["name"]


def test_extract_json_of_a_file_whose_name_is_not_utf8(
    samples: list[Sample], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Such a name decodes with lone surrogates, which UTF-8 output cannot carry: the
    JSON escapes them and reads back as the same name."""
    odd = tmp_path / os.fsdecode(b"cv-\xe9t\xe9.pdf")
    shutil.copy(samples[0].path, odd)
    assert main(["extract", "--json", str(odd)]) == 0
    out = capsys.readouterr().out
    out.encode("utf-8")  # valid UTF-8
    assert json.loads(out)["file_name"] == odd.name


def test_extract_summary(samples: list[Sample], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(samples[1].path)]) == 0
    out = capsys.readouterr().out
    assert samples[1].truth["contact"]["email"] in out


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty (0 bytes)"),
        (
            one_page_pdf(mediabox=b"[0 0 1e308 1e308]"),
            "the PDF is corrupt or truncated (MalformedPDFException)",
        ),
    ],
)
def test_bad_input_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, reason: str
) -> None:
    path = tmp_path / "cv.pdf"
    path.write_bytes(data)
    assert main(["extract", "--json", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"litequeue-cv: error: cv.pdf: {reason}\n"


def test_module_entry_point(samples: list[Sample]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "litequeue_cv", "extract", "--json", str(samples[2].path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["file_type"] == "docx"


def test_extract_dict_matches_to_dict(samples: list[Sample]) -> None:
    a = litequeue_cv.extract_dict(samples[3].path)
    a.pop("extract_time_ms")
    b = litequeue_cv.extract(samples[3].path).to_dict()
    b.pop("extract_time_ms")
    assert a == b


def test_a_reader_gone_away_ends_the_command_quietly(samples: list[Sample]) -> None:
    # `litequeue-cv extract --json cv.pdf | head -c 0`: the pipe is closed before
    # anything is written.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "litequeue_cv", "extract", "--json", str(samples[0].path)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 1
    assert done.stderr == ""
