"""Card media (images and audio): `sniff` decides the type from the bytes, `clean` removes metadata and
checks images decode, `library` stores them per user (dedup, quota, access) and links them to notes."""
