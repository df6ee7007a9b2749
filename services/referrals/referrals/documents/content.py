"""What a file is, told by its content, never by its name: the document store takes PDF, Word
(DOCX), JPEG and PNG only, and a file whose content and name disagree is refused (a renamed
executable is the case this is for). Pure: bytes and a file name in, a type or a refusal out.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
"""20 MB per file."""


@dataclass(frozen=True)
class FileType:
    """A type the store takes: its media type and the extensions its files may have."""

    media_type: str
    extensions: frozenset[str]
    words: str
    """What a person calls it ("a PDF")."""


PDF = FileType("application/pdf", frozenset({".pdf"}), "a PDF")
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    frozenset({".docx"}),
    "a Word document (.docx)",
)
JPEG = FileType("image/jpeg", frozenset({".jpg", ".jpeg"}), "a JPEG picture")
PNG = FileType("image/png", frozenset({".png"}), "a PNG picture")
TYPES = (PDF, DOCX, JPEG, PNG)
TAKEN = "a PDF, a Word document (.docx), a JPEG or a PNG"

# Magic numbers of what the store refuses outright, to say so plainly.
EXECUTABLES = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"#!")


class Refused(ValueError):
    """A file the store does not take, and why, in words the person who sent it can act on."""


@dataclass(frozen=True)
class Checked:
    """A file the store takes: its type by content, size and SHA-256 (hex)."""

    file_type: FileType
    size: int
    sha256: str


def check(content: bytes, filename: str) -> Checked:
    """``content`` typed by its first bytes and checked against ``filename``'s extension, or
    ``Refused`` saying why."""
    if not content:
        raise Refused("The selected file is empty")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise Refused("The selected file must be smaller than 20 MB")
    found = type_of(content)
    if found is None:
        if content.startswith(EXECUTABLES):
            raise Refused(f"The selected file is a program, not a document: send {TAKEN}")
        raise Refused(f"The selected file must be {TAKEN}")
    extension = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if extension not in found.extensions:
        raise Refused(
            f"The selected file is {found.words} but its name ends {extension or 'with no type'}:"
            f" rename it to end {sorted(found.extensions)[0]}, or choose the right file"
        )
    return Checked(found, len(content), hashlib.sha256(content).hexdigest())


def type_of(content: bytes) -> FileType | None:
    """The type ``content`` is by its magic bytes (a DOCX: a ZIP holding word/document.xml)."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"PK\x03\x04") and _is_word(content):
        return DOCX
    return None


def _is_word(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        return False
