"""The document store types a file by its content, never its name: PDF, DOCX, JPEG and PNG
only, 20 MB at most, never empty, and a name that disagrees with the content is refused."""

from __future__ import annotations

import hashlib

import pytest
from referrals.documents.content import DOCX, JPEG, MAX_DOCUMENT_BYTES, PDF, PNG, Refused, check

from tests import documents


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (documents.pdf(), "advice.pdf", PDF),
        (documents.docx(), "Report.DOCX", DOCX),
        (documents.jpeg(), "photo.jpeg", JPEG),
        (documents.jpeg(), "photo.jpg", JPEG),
        (documents.png(), "scan.png", PNG),
    ],
)
def test_each_kind_taken_is_typed_by_its_content(
    content: bytes, name: str, expected: object
) -> None:
    checked = check(content, name)
    assert checked.file_type == expected
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize(
    ("content", "name", "words"),
    [
        (b"", "advice.pdf", "is empty"),
        (documents.windows_program(), "advice.pdf", "is a program"),
        (documents.windows_program(), "setup.exe", "is a program"),
        (b"\x7fELF\x02\x01\x01", "report.docx", "is a program"),
        (documents.plain_zip(), "report.docx", "must be a PDF, a Word document"),
        (b"just some text", "notes.txt", "must be a PDF, a Word document"),
        (documents.pdf(), "advice.docx", "is a PDF but its name ends .docx"),
        (documents.png(), "scan.jpg", "is a PNG picture but its name ends .jpg"),
        (documents.docx(), "report", "with no type"),
    ],
)
def test_a_file_that_is_not_what_it_says_or_not_taken_is_refused(
    content: bytes, name: str, words: str
) -> None:
    with pytest.raises(Refused, match=words):
        check(content, name)


def test_a_file_over_20_mb_is_refused_and_one_of_20_mb_is_taken() -> None:
    largest = documents.pdf().ljust(MAX_DOCUMENT_BYTES, b" ")
    assert check(largest, "advice.pdf").size == 20 * 1024 * 1024
    with pytest.raises(Refused, match="smaller than 20 MB"):
        check(largest + b" ", "advice.pdf")


def test_a_windows_path_is_read_for_its_extension_only() -> None:
    assert check(documents.pdf(), r"C:\Users\sam\advice.pdf").file_type == PDF
