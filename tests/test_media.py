"""Card media end to end: type by magic bytes, metadata removed (checked in the stored bytes), damaged and
oversized files refused with nothing written, dedup, quota, who may fetch a file, deletion, references in
cards, crops of a lecture page, and copying public media into another library."""

from __future__ import annotations

import io
import struct
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image

from models.user import User
from processing.media import links
from processing.media.clean import strip_metadata
from processing.media.sniff import JPEG, PNG, WEBP
from tests.conftest import ingest, make_course, make_deck, make_note, sql, user_id

GPS_IFD = 0x8825
EXIF_MARK = b"Exif\x00\x00"


# --- files made here ------------------------------------------------------------------------------------


def photo(fmt: str = "JPEG", *, orientation: int = 1, size: tuple[int, int] = (60, 40), colour="blue") -> bytes:
    """An image with a camera make, a GPS position and (for JPEG/WebP) EXIF orientation."""
    image = Image.new("RGB", size, colour)
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[0x010F] = "Test Camera"
    exif[0x0112] = orientation
    exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 30.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    buffer = io.BytesIO()
    extra = {"exif": exif}
    if fmt == "PNG":
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_text("Comment", "taken at home")
        info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>secret place</x:xmpmeta>")
        extra["pnginfo"] = info
    image.save(buffer, fmt, **extra)
    return buffer.getvalue()


def wav(seconds: float = 0.1) -> bytes:
    frames = int(8000 * seconds)
    data = b"\x00\x00" * frames
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data" + struct.pack("<I", len(data))
    return header + data


def attach(client: TestClient, headers: dict, data: bytes, name: str = "photo.jpg", mime: str = "image/jpeg"):
    return client.post("/api/media", files={"file": (name, data, mime)}, headers=headers)


def attached(client: TestClient, headers: dict, data: bytes, name: str = "photo.jpg") -> dict:
    response = attach(client, headers, data, name)
    assert response.status_code == 201, response.text
    return response.json()


def media_files(client: TestClient) -> list[Path]:
    root = client.app.state.settings.data_dir / "media"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def fetch(client: TestClient, headers: dict, media_id: int, suffix: str = ""):
    return client.get(f"/api/media/{media_id}{suffix}", headers=headers)


# --- type, limits, damage -------------------------------------------------------------------------------


def test_type_comes_from_the_bytes_not_the_name(client: TestClient, alice: dict) -> None:
    png = attached(client, alice, photo("PNG"), name="holiday.jpg")
    assert (png["kind"], png["mime"]) == ("image", "image/png")
    assert png["reference"] == f"![holiday](media:{png['id']})"
    sound = attached(client, alice, wav(), name="heart.png")
    assert (sound["kind"], sound["mime"], sound["width"]) == ("audio", "audio/wav", None)
    assert sound["reference"] == f"[audio: heart](media:{sound['id']})"
    served = fetch(client, alice, png["id"])
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "private" in served.headers["cache-control"]


def test_lying_extensions_and_html_are_refused_and_nothing_is_written(client: TestClient, alice: dict) -> None:
    for name, data in [
        ("cat.png", b"<html><script>alert(1)</script></html>"),
        ("cat.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("song.mp3", b"%PDF-1.7 not a song at all"),
    ]:
        response = attach(client, alice, data, name=name, mime="image/png")
        assert response.status_code == 415, response.text
        assert "JPEG, PNG, WebP or GIF" in response.json()["detail"] and name in response.json()["detail"]
    assert sql(client, "SELECT count(*) FROM media") == [(0,)]
    assert media_files(client) == []
    assert list((client.app.state.settings.data_dir / "tmp").iterdir()) == []


def test_damaged_oversized_and_bomb_images_are_refused(client: TestClient, alice: dict) -> None:
    whole = photo("PNG", size=(400, 300))
    truncated = attach(client, alice, whole[: len(whole) // 2], name="half.png")
    assert truncated.status_code == 400 and "damaged" in truncated.json()["detail"]
    too_big = attach(client, alice, b"\xff\xd8\xff\xe0" + b"\x00" * (10 * 1024 * 1024 + 10), name="huge.jpg")
    assert too_big.status_code == 413 and "at most 10 MB" in too_big.json()["detail"]
    bomb = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(bomb, "PNG")
    refused = attach(client, alice, bomb.getvalue(), name="bomb.png")
    assert refused.status_code == 400 and "megapixels" in refused.json()["detail"]
    over_audio = attach(client, alice, b"OggS" + b"\x00" * (26 * 1024 * 1024), name="long.ogg")
    assert over_audio.status_code == 413
    assert sql(client, "SELECT count(*) FROM media") == [(0,)]
    assert media_files(client) == []


# --- metadata -------------------------------------------------------------------------------------------


def _gps_of(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(GPS_IFD))


def test_exif_and_gps_are_gone_from_the_stored_bytes(client: TestClient, alice: dict) -> None:
    for fmt, name in [("JPEG", "a.jpg"), ("PNG", "b.png"), ("WEBP", "c.webp")]:
        original = photo(fmt)
        assert _gps_of(original), fmt  # the test file really carries a position
        media = attached(client, alice, original, name=name)
        stored = fetch(client, alice, media["id"]).content
        assert EXIF_MARK not in stored and b"eXIf" not in stored and b"EXIF" not in stored, fmt
        assert b"Test Camera" not in stored and b"secret place" not in stored and b"taken at home" not in stored
        assert _gps_of(stored) == {}, fmt
        with Image.open(io.BytesIO(stored)) as image:
            assert image.size == (60, 40)
            assert image.getpixel((5, 5))[:3][0] > 200 and image.getpixel((55, 5))[:3][2] > 200
        on_disk = [p for p in media_files(client) if p.name.startswith(media_hash(client, media["id"]))]
        assert any(p.read_bytes() == stored for p in on_disk)
        assert strip_metadata(stored, {"JPEG": JPEG, "PNG": PNG, "WEBP": WEBP}[fmt]) == stored  # idempotent


def media_hash(client: TestClient, media_id: int) -> str:
    return sql(client, "SELECT sha256 FROM media WHERE id = ?", media_id)[0][0]


def test_a_sideways_jpeg_is_turned_upright_once(client: TestClient, alice: dict) -> None:
    media = attached(client, alice, photo("JPEG", orientation=6))
    assert (media["width"], media["height"]) == (40, 60)
    stored = fetch(client, alice, media["id"]).content
    assert EXIF_MARK not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (40, 60)
        assert image.getpixel((20, 5))[0] > 200  # the red half is on top now
        assert image.getpixel((20, 55))[2] > 200


def test_thumbnail_is_a_small_webp(client: TestClient, alice: dict) -> None:
    media = attached(client, alice, photo("PNG", size=(1600, 900)), name="wide.png")
    thumb = fetch(client, alice, media["id"], "/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp"
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert image.format == "WEBP" and max(image.size) == 320
    sound = attached(client, alice, wav(), name="beep.wav")
    assert fetch(client, alice, sound["id"], "/thumbnail").status_code == 404


# --- dedup and quota ------------------------------------------------------------------------------------


def test_the_same_bytes_are_stored_once_per_user(client: TestClient, alice: dict, bob: dict) -> None:
    data = photo("JPEG")
    first = attached(client, alice, data, name="one.jpg")
    files = media_files(client)
    again = attach(client, alice, data, name="two.jpg")
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert media_files(client) == files
    usage = client.get("/api/media/usage", headers=alice).json()
    assert usage["media_count"] == 1 and usage["used_bytes"] == first["size_bytes"]
    theirs = attached(client, bob, data, name="three.jpg")  # another user: their own copy
    assert theirs["id"] != first["id"]


def test_quota_refuses_what_does_not_fit_and_a_dedup_hit_costs_nothing(
    client: TestClient, alice: dict, bob: dict
) -> None:
    client.app.state.settings.user_quota_mb = 1
    noisy = Image.effect_noise((520, 520), 90).convert("RGB")
    big = io.BytesIO()
    noisy.save(big, "PNG")
    assert 600_000 < len(big.getvalue()) < 1_000_000
    first = attached(client, alice, big.getvalue(), name="noise.png")
    assert attach(client, alice, big.getvalue(), name="again.png").status_code == 200  # dedup: free
    other = io.BytesIO()
    noisy.rotate(90).save(other, "PNG")
    refused = attach(client, alice, other.getvalue(), name="more.png")
    assert refused.status_code == 413
    detail = refused.json()["detail"]
    assert "storage is full" in detail and "of 1.0 MB used" in detail
    assert sql(client, "SELECT count(*) FROM media") == [(1,)]
    assert len(media_files(client)) == 2  # the first file and its thumbnail
    assert attach(client, bob, other.getvalue(), name="bobs.png").status_code == 201  # quota is per user
    page = client.get("/api/media", headers=alice).json()
    assert page["usage"] == {"used_bytes": first["size_bytes"], "limit_bytes": 1024 * 1024, "media_count": 1}


# --- access ---------------------------------------------------------------------------------------------


def test_media_urls_answer_only_those_allowed_to_see_the_card(client: TestClient, alice: dict, bob: dict) -> None:
    image = attached(client, alice, photo("PNG"), name="cell.png")
    loose = attached(client, alice, photo("PNG", colour="green"), name="loose.png")
    deck_id = make_deck(client, alice, "Cells")
    make_note(client, alice, deck_id, front=f"What is this? {image['reference']}", back="A cell")
    for media in (image, loose):
        for suffix in ("", "/thumbnail"):
            assert fetch(client, alice, media["id"], suffix).status_code == 200
            denied = fetch(client, bob, media["id"], suffix)
            assert denied.status_code == 404 and denied.json() == {"detail": "Media not found"}
    assert client.get(f"/api/media/{image['id']}").status_code == 401
    assert client.delete(f"/api/media/{image['id']}", headers=bob).status_code == 404
    assert client.get("/api/media", headers=bob).json()["items"] == []
    sql(client, "UPDATE deck SET visibility = 'public' WHERE id = ?", deck_id)
    assert fetch(client, bob, image["id"]).content == fetch(client, alice, image["id"]).content
    assert fetch(client, bob, loose["id"]).status_code == 404  # in no public card
    theirs = make_deck(client, bob, "Bob's")
    refused = client.post(
        "/api/notes", json={"deck_id": theirs, "front": f"Mine now {image['reference']}", "back": "x"}, headers=bob
    )
    assert refused.status_code == 400 and "not in your library" in refused.json()["detail"]
    raw = client.post(
        "/api/notes", json={"deck_id": theirs, "front": f'<img data-media="{loose["id"]}">', "back": "x"}, headers=bob
    )
    assert raw.status_code == 400
    assert sql(client, "SELECT count(*) FROM note WHERE deck_id = ?", theirs) == [(0,)]


def test_cards_show_media_and_links_follow_edits(client: TestClient, alice: dict) -> None:
    image = attached(client, alice, photo("PNG"), name="cell.png")
    sound = attached(client, alice, wav(), name="beat.wav")
    deck_id = make_deck(client, alice)
    note = make_note(client, alice, deck_id, front=f"Name it {image['reference']}", back=sound["reference"])
    card = sql(client, "SELECT front_html, back_html FROM card WHERE note_id = ?", note["id"])[0]
    assert f'<img class="media" data-media="{image["id"]}" alt="cell">' in card[0]
    assert f'<audio controls="" preload="none" data-media="{sound["id"]}"></audio>' in card[1]
    assert sql(client, "SELECT media_id FROM note_media WHERE note_id = ? ORDER BY media_id", note["id"]) == [
        (image["id"],),
        (sound["id"],),
    ]
    busy = client.delete(f"/api/media/{image['id']}", headers=alice)
    assert busy.status_code == 409 and "1 card still shows" in busy.json()["detail"]
    edited = client.patch(f"/api/notes/{note['id']}", json={"front": "Name it"}, headers=alice)
    assert edited.status_code == 200
    assert sql(client, "SELECT media_id FROM note_media WHERE note_id = ?", note["id"]) == [(sound["id"],)]
    assert client.delete(f"/api/media/{image['id']}", headers=alice).status_code == 204
    forced = client.delete(f"/api/media/{sound['id']}", params={"force": "true"}, headers=alice)
    assert forced.status_code == 204
    assert media_files(client) == []
    assert sql(client, "SELECT count(*) FROM note_media") == [(0,)]


def test_a_page_region_becomes_a_card_image(client: TestClient, alice: dict, bob: dict, text_pdf: Path) -> None:
    lecture = ingest(client, alice, make_course(client, alice), "cells.pdf", text_pdf.read_bytes())
    url = f"/api/lectures/{lecture['id']}/pages/1/crop"
    rect = {"x": 0.1, "y": 0.1, "width": 0.5, "height": 0.25}
    made = client.post(url, json=rect, headers=alice)
    assert made.status_code == 201, made.text
    media = made.json()
    assert media["mime"] == "image/png" and media["original_name"].endswith("p1.png")
    page = client.get(f"/api/lectures/{lecture['id']}/pages/1/image", headers=alice).content
    with Image.open(io.BytesIO(page)) as image:
        assert abs(media["width"] - image.width * 0.5) <= 1 and abs(media["height"] - image.height * 0.25) <= 1
    for bad in ({"x": 0.8, "y": 0.1, "width": 0.5, "height": 0.2}, {"x": 0.1, "y": 0.1, "width": 0.001, "height": 0.2}):
        refused = client.post(url, json=bad, headers=alice)
        assert refused.status_code == 400, refused.text
    assert client.post(url, json={"x": 0, "y": 0, "width": 0, "height": 0.2}, headers=alice).status_code == 422
    assert client.post(url, json=rect, headers=bob).status_code == 404
    assert client.post(f"/api/lectures/{lecture['id']}/pages/99/crop", json=rect, headers=alice).status_code == 404
    assert sql(client, "SELECT count(*) FROM media") == [(1,)]


def test_copy_media_to_brings_public_media_into_another_library(client: TestClient, alice: dict, bob: dict) -> None:
    image = attached(client, alice, photo("PNG"), name="cell.png")
    private = attached(client, alice, photo("PNG", colour="green"), name="private.png")
    deck_id = make_deck(client, alice, "Shared")
    make_note(client, alice, deck_id, front=f"Look {image['reference']}", back="x")
    sql(client, "UPDATE deck SET visibility = 'public' WHERE id = ?", deck_id)
    text = f"Look {image['reference']} and ![p](media:{private['id']})"
    state = client.app.state
    with state.db.transaction() as session:
        bob_user = session.get(User, user_id(client, bob))
        copied = links.copy_media_to(
            session, storage=state.storage, user=bob_user, markdown=text, quota_bytes=state.settings.user_quota_bytes
        )
    new_id = links.referenced_ids(copied)[0]
    assert new_id != image["id"] and copied.endswith(f"![p](media:{private['id']})")
    assert fetch(client, bob, new_id).content == fetch(client, alice, image["id"]).content
    assert fetch(client, bob, new_id, "/thumbnail").status_code == 200
    with state.db.transaction() as session:  # a second copy is a dedup hit
        again = links.copy_media_to(
            session, storage=state.storage, user=session.get(User, bob_user.id), markdown=text, quota_bytes=10**9
        )
    assert links.referenced_ids(again)[0] == new_id
