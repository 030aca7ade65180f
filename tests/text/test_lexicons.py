"""gruut with indexed lexicons gives gruut's own sentences, and the indexed copy holds the lexicon's rows."""

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gruut
import pytest

from facemotion.text import lexicons
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


def italian_lexicon() -> Path:
    import gruut_lang_it

    return Path(gruut_lang_it.__file__).with_name("lexicon.db")


def test_threads_making_the_copy_at_once_each_get_a_whole_one(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEMOTION_CACHE", str(tmp_path))
    start = threading.Barrier(4)

    def make(_):
        start.wait()
        return indexed_lexicon(italian_lexicon())

    with ThreadPoolExecutor(4) as pool:
        copies = set(pool.map(make, range(4)))
    (copy,) = copies
    assert [path.name for path in (tmp_path / "gruut").iterdir()] == [copy.name]  # no temporary file left
    with sqlite3.connect(italian_lexicon()) as original, sqlite3.connect(copy) as indexed:
        count = "SELECT count(*) FROM word_phonemes"
        assert indexed.execute(count).fetchone() == original.execute(count).fetchone()


def in_a_new_thread(call):
    """``call()`` in a thread of its own (a new gruut text processor); its result."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result()


def test_an_unwritable_cache_folder_reads_gruuts_own_lexicon(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("FACEMOTION_CACHE", str(tmp_path / "file"))
    with pytest.raises(OSError):
        indexed_lexicon(italian_lexicon())
    ours = in_a_new_thread(lambda: words(sentences(TEXTS["fr-fr"], lang="fr-fr", pos=False)))
    assert ours == words(gruut.sentences(TEXTS["fr-fr"], lang="fr-fr", pos=False))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file"]


def test_a_language_is_indexed_once_per_thread(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEMOTION_CACHE", str(tmp_path))
    made = []
    monkeypatch.setattr(lexicons, "indexed_lexicon", lambda path: made.append(path) or indexed_lexicon(path))
    in_a_new_thread(lambda: [list(sentences(text, lang="it-it", phonemes=False)) for text in ("", "...", "casa")])
    assert made == [italian_lexicon()]
