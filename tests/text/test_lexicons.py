"""gruut with indexed lexicons gives gruut's own sentences, and the indexed copy holds the lexicon's rows."""

import sqlite3
from pathlib import Path

import gruut
import pytest

from facemotion.text.lexicons import indexed_lexicon, sentences

TEXTS = {
    "en-us": "In 1999, Dr. Smith paid $5.50 on May 5th; the FBI's agents read o'brien's zorblax near St. Louis.",
    "fr-fr": "Papa boit un bon café à 8 h, avec 21 amis.",
}


def words(sentences_) -> list[tuple[str, tuple[str, ...]]]:
    return [(word.text, tuple(word.phonemes or ())) for sentence in sentences_ for word in sentence]


@pytest.mark.parametrize("lang", sorted(TEXTS))
@pytest.mark.parametrize("phonemes", [True, False])
def test_sentences_are_gruuts(lang, phonemes):
    ours = words(sentences(TEXTS[lang], lang=lang, phonemes=phonemes, pos=False))
    assert ours == words(gruut.sentences(TEXTS[lang], lang=lang, phonemes=phonemes, pos=False))
    assert len(ours) > 10


def test_the_indexed_copy_holds_the_same_rows_and_an_index(tmp_path, monkeypatch):
    import gruut_lang_it

    monkeypatch.setenv("FACEMOTION_CACHE", str(tmp_path))
    source = Path(gruut_lang_it.__file__).with_name("lexicon.db")
    copy = indexed_lexicon(source)
    assert copy.parent.parent == tmp_path and indexed_lexicon(source) == copy
    query = "SELECT word, pron_order, role, phonemes FROM word_phonemes ORDER BY id"
    with sqlite3.connect(source) as original, sqlite3.connect(copy) as indexed:
        assert indexed.execute(query).fetchall() == original.execute(query).fetchall()
        plan = indexed.execute("EXPLAIN QUERY PLAN SELECT role, phonemes FROM word_phonemes WHERE word = ? "
                               "ORDER BY pron_order", ("casa",)).fetchall()
    assert "USING INDEX facemotion_word" in str(plan)
