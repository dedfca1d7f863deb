"""Reading uploaded documents: file type sniffing, PDF text layers, PPTX slides, images and plain text.

Submodules are imported by name (`from processing.extract import pdf`); this package only holds
the one error every reader raises for input it refuses.
"""

from processing.errors import DomainError


class UnsupportedFile(DomainError):
    """The upload is of a kind we do not read, or is damaged, encrypted or a decompression bomb."""

    status_code = 415
