"""The database module's own pieces: parameter translation for other drivers."""

from db import to_pyformat


def test_named_parameters_become_pyformat_and_casts_stay() -> None:
    sql = "SELECT due::text FROM card_state WHERE user_id = :user_id AND due <= :now LIMIT :cap"
    assert to_pyformat(sql) == (
        "SELECT due::text FROM card_state WHERE user_id = %(user_id)s AND due <= %(now)s LIMIT %(cap)s"
    )
