"""The whole-account export (a zip) and the admin's instance backup (a .tar.gz): their layouts and
manifests.

Account export, format "lectern-account" version 1:

    account.json                        AccountManifest: format, version, when, the user's profile
                                        and settings (never the password hash), row counts
    <table>.json                        one JSON list of rows per entry of ACCOUNT_TABLES, each row
                                        as the table's columns (ids are the exporting instance's;
                                        an import maps them to new ones)
    files/lectures/<id>/original.<ext>  each lecture's uploaded file, so it can be read again

Instance backup, format "lectern-backup" version 1 (a .tar.gz whose members all sit under
`lectern-backup/`): manifest.json (BackupManifest), app.db (an online-backup copy of the
database), secret.key when the instance generated one, uploads/, pages/, generated/.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlmodel import SQLModel

from models.user import UserSettings

ACCOUNT_FORMAT = "lectern-account"
ACCOUNT_FORMAT_VERSION = 1
ACCOUNT_MANIFEST = "account.json"
LECTURE_FILES = "files/lectures/"

# File names in the zip, in the order an import writes them (parents before children).
ACCOUNT_TABLES = (
    "courses",
    "lectures",
    "lecture_pages",
    "decks",
    "notes",
    "cards",
    "card_states",
    "review_log",
    "card_drafts",
    "conversations",
    "chat_messages",
    "chat_citations",
)

BACKUP_FORMAT = "lectern-backup"
BACKUP_FORMAT_VERSION = 1
BACKUP_ROOT = "lectern-backup"


class ExportedUser(SQLModel):
    email: str
    display_name: str
    created_at: datetime
    settings: UserSettings


class AccountManifest(SQLModel):
    format: Literal["lectern-account"]
    format_version: int
    exported_at: datetime
    app_version: str
    user: ExportedUser
    counts: dict[str, int]  # rows per table


class BackupManifest(SQLModel):
    format: Literal["lectern-backup"]
    format_version: int
    created_at: datetime
    app_version: str
    files: int  # files under uploads/, pages/ and generated/


class AccountImportResult(SQLModel):
    """The result of an account_import job."""

    decks: int
    notes: int
    cards: int
    reviews: int
    lectures: int
    conversations: int
    reingesting: int  # lectures whose original is being read again
