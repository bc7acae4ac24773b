"""Redshift's meaning written for PostgreSQL, without a stack (sparkify_nb/local/rehearsal/semantics.py, rule 9):
the SQL a statement becomes. What it then computes, through a boto3 client:
tests/test_rehearsal_documented_outcomes.py."""

from __future__ import annotations

import pytest

from sparkify_nb.local.rehearsal import translate

# "If you compare numeric values with character strings, the numeric values are converted to character strings"
# (https://docs.aws.amazon.com/redshift/latest/dg/r_Type_conversion.html): a whole number literal within SMALLINT's
# range compared with a non-literal becomes a string literal; against a number PostgreSQL reads it as that number
WRITTEN = {
    "SELECT * FROM t WHERE s = 5": "SELECT * FROM t WHERE s = '5'",
    "SELECT * FROM t WHERE 5 <> s": "SELECT * FROM t WHERE '5' <> s",
    "SELECT * FROM t WHERE s < 5 AND s <= 6 AND s > 7 AND s >= 8":
        "SELECT * FROM t WHERE s < '5' AND s <= '6' AND s > '7' AND s >= '8'",
    "SELECT * FROM t WHERE s = -5": "SELECT * FROM t WHERE s = '-5'",
    "SELECT * FROM t WHERE s = 32767 OR s = -32768": "SELECT * FROM t WHERE s = '32767' OR s = '-32768'",
    "SELECT * FROM t WHERE s = 32768 OR s = -32769": "SELECT * FROM t WHERE s = 32768 OR s = -32769",
    "SELECT * FROM t WHERE s = 1.5": "SELECT * FROM t WHERE s = 1.5",
    "SELECT * FROM t WHERE s IN (1, 2.5, -3)": "SELECT * FROM t WHERE s IN ('1', 2.5, '-3')",
    "SELECT * FROM t WHERE s BETWEEN 1 AND 40000": "SELECT * FROM t WHERE s BETWEEN '1' AND 40000",
    "SELECT 1 = 1, 'a' = 2, NULL = 3, TRUE = 1, -1 = 2": "SELECT 1 = 1, 'a' = 2, NULL = 3, TRUE = 1, -1 = 2",
    "SELECT 1 IN (1, 2), 1 BETWEEN 0 AND 2": "SELECT 1 IN (1, 2), 1 BETWEEN 0 AND 2",
    "SELECT COUNT(*) > 0 FROM t": "SELECT COUNT(*) > '0' FROM t",
    "SELECT a + 1 FROM t LIMIT 5": "SELECT a + 1 FROM t LIMIT 5",
    "SELECT * FROM t WHERE -a = 5": "SELECT * FROM t WHERE -a = '5'",
    "SELECT * FROM t WHERE UPPER('x') = 5": "SELECT * FROM t WHERE UPPER('x') = '5'",
}


@pytest.mark.parametrize("sql", list(WRITTEN))
def test_a_number_compared_with_a_non_literal_is_written_as_a_string(sql):
    assert translate.parse(sql).text == WRITTEN[sql]
