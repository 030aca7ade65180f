"""gruut's text processing with indexed lexicons: ``gruut.sentences``, faster on every new word.

gruut (Synesthesiam, https://github.com/rhasspy/gruut, MIT) looks each word of a text up in its language
package's SQLite lexicon (``lexicon.db``, ``SELECT ... FROM word_phonemes WHERE word = ?``) whose table has no
index, so every distinct word scans the whole table: 28 ms for English's 129k pronunciations, about 130 ms for
Spanish's 596k; 3.9 s for the 91 distinct words of the LJ Speech minute's transcript. :func:`sentences` reads an
indexed copy of each lexicon instead, made once in facemotion's cache folder
(:func:`~facemotion.text.recognition.cache_dir`): the same rows in the same order, since (word, pron_order) is
unique in every shipped lexicon and the index covers the query's ``ORDER BY pron_order``.
"""

import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

_LOCAL = threading.local()
"""One gruut text processor per thread, as ``gruut.sentences`` keeps them (its lexicon connections are per thread)."""


def sentences(text: str, lang: str, phonemes: bool = True, pos: bool = True) -> Iterator:
    """``gruut.sentences(text, lang=lang, phonemes=phonemes, pos=pos)`` with every other argument at its default:
    the same sentences (``gruut.Sentence``), the lexicon read through an index.

    Args:
        text: plain text (not SSML).
        lang: a gruut language name (``"en-us"``, ``"fr-fr"``, ...).
        phonemes, pos: whether the words carry their phonemes and part-of-speech tags.
    """
    from gruut import TextProcessor  # imported on first use: importing gruut takes 1.5 s (dateparser, networkx)

    if not hasattr(_LOCAL, "processor"):
        _LOCAL.processor, _LOCAL.indexed = TextProcessor(default_lang=lang), set()
    processor = _LOCAL.processor
    if lang not in _LOCAL.indexed:  # once: until its first look-up, the copy's phonemizer looks like the original's
        _index_lexicon(processor.get_settings(lang))
        _LOCAL.indexed.add(lang)
    graph, root = processor(text, lang=lang, ssml=False)
    yield from processor.sentences(graph, root, major_breaks=True, minor_breaks=True, punctuations=True,
                                   explicit_lang=True, phonemes=phonemes, break_phonemes=True, pos=pos)


def _index_lexicon(settings) -> None:
    """Point a language's settings (``gruut.TextProcessorSettings``) at the indexed copy of its lexicon, once; left
    as they are where the language has no lexicon or the copy cannot be written."""
    from gruut.lang import DelayedSqlitePhonemizer

    lookup = settings.lookup_phonemes
    if not isinstance(lookup, DelayedSqlitePhonemizer) or lookup.phonemizer is not None:
        return
    try:
        indexed = indexed_lexicon(lookup.db_path)
    except (OSError, sqlite3.Error):
        return
    settings.lookup_phonemes = DelayedSqlitePhonemizer(indexed, **lookup.phonemizer_args)


def indexed_lexicon(lexicon: Path) -> Path:
    """A copy of a gruut lexicon with an index on ``word_phonemes(word, pron_order)``, in facemotion's cache folder;
    made on first use and named after the source's path, size and time (about the source's size plus a fifth:
    15 MB for English, 76 MB for Spanish). The copy is written to a temporary file of its own, then renamed
    (:func:`~facemotion.exporters.atomic.atomic_output`), so processes and threads that make it at once each
    leave a whole copy, and a failed one leaves nothing.

    Raises:
        OSError, sqlite3.Error: when the copy cannot be written (e.g. a read-only cache folder).
    """
    from facemotion.exporters.atomic import atomic_output
    from facemotion.text.recognition import cache_dir

    stat = lexicon.stat()
    key = hashlib.sha256(f"{lexicon.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    path = cache_dir() / "gruut" / f"{lexicon.parent.name}-{lexicon.stem}-{key}.db"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as partial:
        source, copy = sqlite3.connect(lexicon), sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("CREATE INDEX facemotion_word ON word_phonemes (word, pron_order)")
            copy.commit()
        finally:
            source.close()
            copy.close()
    return path
