"""Small files of each kind the document store takes and refuses, made here (no fixtures on
disk): enough of each format for its magic bytes, and different bytes for each ``marker``."""

from __future__ import annotations

import io
import zipfile


def pdf(marker: str = "") -> bytes:
    return b"%PDF-1.7\n% advice " + marker.encode() + b"\n%%EOF\n"


def png(marker: str = "") -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + marker.encode()


def jpeg(marker: str = "") -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + marker.encode()


def docx(marker: str = "") -> bytes:
    return _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": f"<w:document>{marker}"})


def plain_zip(marker: str = "") -> bytes:
    """A ZIP that is not a Word document (no word/document.xml)."""
    return _zip({"notes.txt": marker or "notes"})


def windows_program(marker: str = "") -> bytes:
    """The first bytes of a Windows executable (``MZ``): what a renamed ``.exe`` starts with."""
    return b"MZ\x90\x00\x03\x00\x00\x00" + marker.encode()


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()
