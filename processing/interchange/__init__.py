"""Moving Lectern data in and out.

Anki: anki_export (decks → .apkg with genanki), anki_package (opening and checking an .apkg),
anki_import (its notes → Lectern notes), anki_history (its review log → FSRS state), anki_html (text
and math both ways), anki_jobs (the export and import jobs). CSV/TSV: csv_io. A whole account:
account_export, account_import. The instance: backup (online SQLite backup + files, and restore).
jobs: the account and backup job handlers.
"""
