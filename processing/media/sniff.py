"""What a media file is, decided by its first bytes: never by its name or the browser's Content-Type."""

from __future__ import annotations

from dataclasses import dataclass

from models.media import MediaKind
from processing.errors import DomainError, TooLarge

MB = 1024 * 1024
IMAGE_LIMIT = 10 * MB
AUDIO_LIMIT = 25 * MB
HEAD_BYTES = 16
# ISO base media brands of audio-only MP4 files (M4A); "mp42"/"isom" are what many encoders write.
M4A_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"mp42", b"isom", b"iso2", b"mp41", b"dash"}


class UnsupportedMediaType(DomainError):
    status_code = 415


@dataclass(frozen=True)
class MediaType:
    kind: MediaKind
    mime: str
    extension: str

    @property
    def limit(self) -> int:
        return IMAGE_LIMIT if self.kind == MediaKind.image else AUDIO_LIMIT


JPEG = MediaType(MediaKind.image, "image/jpeg", "jpg")
PNG = MediaType(MediaKind.image, "image/png", "png")
WEBP = MediaType(MediaKind.image, "image/webp", "webp")
GIF = MediaType(MediaKind.image, "image/gif", "gif")
MP3 = MediaType(MediaKind.audio, "audio/mpeg", "mp3")
OGG = MediaType(MediaKind.audio, "audio/ogg", "ogg")
WAV = MediaType(MediaKind.audio, "audio/wav", "wav")
M4A = MediaType(MediaKind.audio, "audio/mp4", "m4a")
ACCEPTED = "JPEG, PNG, WebP or GIF images and MP3, OGG, WAV or M4A audio"
BY_MIME = {t.mime: t for t in (JPEG, PNG, WEBP, GIF, MP3, OGG, WAV, M4A)}


def _mp3_frame(head: bytes) -> bool:
    # An MPEG audio frame header: 11 sync bits, a version that is not "reserved", layer III.
    return (
        len(head) >= 2
        and head[0] == 0xFF
        and head[1] & 0xE0 == 0xE0
        and head[1] & 0x18 != 0x08
        and (head[1] & 0x06 == 0x02)
    )


def detect(head: bytes) -> MediaType | None:
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head.startswith(b"ID3") or _mp3_frame(head):
        return MP3
    if head.startswith(b"OggS"):
        return OGG
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head[4:8] == b"ftyp" and head[8:12] in M4A_BRANDS:
        return M4A
    return None


def sniff(data: bytes, *, name: str) -> MediaType:
    """The type of `data`, checked against its kind's size limit; raises 415 or 413 with a message."""
    found = detect(data[:HEAD_BYTES])
    if found is None:
        raise UnsupportedMediaType(f"{name} is not a file Lectern can attach: send {ACCEPTED}")
    if len(data) > found.limit:
        what = "images" if found.kind == MediaKind.image else "audio files"
        raise TooLarge(f"{name} is {len(data) / MB:.1f} MB; {what} may be at most {found.limit // MB} MB")
    return found
