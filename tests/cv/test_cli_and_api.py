"""The command line and the public surface."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import litequeue
import litequeue_cv
from litequeue_cv.cli import main
from litequeue_cv.plugin import KIND, QUEUE
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


def test_the_web_commands_missing_extra_is_named_as_this_checkout_installs_it(
    tmp_path: Path,
) -> None:
    """From a checkout (``pip install -e .``) the published name would install a second copy."""
    direct_url = metadata.distribution("litequeue-jobs").read_text("direct_url.json") or "{}"
    if not json.loads(direct_url).get("dir_info", {}).get("editable"):
        pytest.skip("installed from a package, not a checkout")
    checkout = Path(__file__).resolve().parents[2]
    code = (
        "import sys; sys.modules['starlette'] = None\n"  # the web extra is not installed
        "from litequeue_cv.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "web", "--db", str(tmp_path / "q.db")],
        capture_output=True,
        text=True,
        cwd=checkout,
    )
    assert done.returncode == 2
    assert done.stderr == "litequeue-cv: error: the web page needs: pip install -e '.[web]'\n"


@pytest.mark.skipif(shutil.which("jq") is None, reason="the example pipes through jq")
def test_the_cli_docs_jq_example_queues_a_job_the_cv_worker_serves(tmp_path: Path) -> None:
    """docs/cli.md's ``jq ... | litequeue enqueue cv.extract -`` once put the job in the
    ``default`` queue, where no CV worker looks."""
    docs = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
    (example,) = [line for line in docs.read_text().splitlines() if "enqueue cv.extract -" in line]
    scripts = Path(sys.executable).parent  # where this installation's litequeue is
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {example}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{scripts}{os.pathsep}{os.environ['PATH']}"},
        check=True,
    )
    with litequeue.Queue(tmp_path / "app.db") as queue:
        job = queue.get(int(done.stdout))
    assert (job.kind, job.queue, job.payload) == (KIND, QUEUE, {"path": "cv.pdf"})


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
