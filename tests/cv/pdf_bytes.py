"""Hand-built one-page PDFs, for damage that PDF writers do not produce."""

from __future__ import annotations

_CONTENT = b"BT /F1 12 Tf 72 700 Td (Jane Doe) Tj 0 -20 Td (Experience) Tj ET"


def one_page_pdf(*, mediabox: bytes = b"[0 0 612 792]", stream_filter: bytes = b"") -> bytes:
    """A valid PDF (with its cross-reference table) whose page has this MediaBox and
    whose content stream claims this filter."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(_CONTENT), stream_filter, _CONTENT),
        b"<< /Type /Page /Parent 2 0 R /MediaBox %s /Contents 3 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>" % mediabox,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
