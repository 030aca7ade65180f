"""Languages other than English: pronunciation, choice of language, alignment, and lips on eSpeak NG speech that
ships with the tests (``tests/fixtures/speech/languages``, made by ``datasets/make_language_clips.py``)."""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from facemotion import cli
from facemotion.audio.io import load_audio
from facemotion.face_models.arkit import ARKitRig
from facemotion.metrics import lip_closure_score
from facemotion.pipelines.speech_to_face import animate
from facemotion.text.alignment import NoWordsError, phonemes_for
from facemotion.text.ipa import NEAREST_ENGLISH
from facemotion.text.languages import LANGUAGES, check_language, choose_language, pronounce_transcript
from facemotion.text.phonemes import PhonemeSegment
from facemotion.text.recognition import Transcription, TranscriptSegment

CLIPS = Path(__file__).resolve().parents[1] / "fixtures" / "speech" / "languages"
OTHER_LANGUAGES = sorted(set(LANGUAGES) - {"en"})
BILABIALS = {"p": "P", "b": "B", "m": "M"}


def clip(language: str) -> tuple[Path, dict]:
    return CLIPS / f"{language}.flac", json.loads((CLIPS / f"{language}.json").read_text(encoding="utf-8"))


def reference_bilabials(record: dict) -> list[PhonemeSegment]:
    """The clip's true /p b m/, named as lip_closure_score reads them."""
    return [PhonemeSegment(BILABIALS[p], s, e) for p, s, e in record["phonemes"] if p in BILABIALS]


def test_an_unsupported_language_lists_the_supported_ones():
    with pytest.raises(ValueError, match=r"unsupported language 'xx'.*fr \(French\).*zh \(Mandarin"):
        check_language("xx")
    with pytest.raises(TypeError):
        check_language(3)


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_each_language_pronounces_its_sentence_in_inventory_phones(language):
    _, record = clip(language)
    words = pronounce_transcript(record["text"], language)
    assert words and all(set(w.phones) <= set(NEAREST_ENGLISH) for w in words)
    assert sum(p in BILABIALS for w in words for p in w.phones) >= len(reference_bilabials(record))


@pytest.mark.parametrize("language, text, phones", [
    ("ru", "Мять семь пять", ["m", "a", "t", "s", "e", "m", "p", "a", "t"]),  # palatalised: the plain consonant
    ("cs", "Tři řeky", ["t", "r\u031d", "ɪ", "r\u031d", "ɛ", "k", "ɪ"]),  # ř: a phone of its own
    ("sv", "Sju sjömän", ["ɧ", "ʉ", "ɧ", "œ", "m", "ɛ", "n"]),  # the sj-sound
    ("nl", "Mijn", ["m", "ɛi", "n"]),  # ij: one diphthong
    ("cs", "pes a kočka", ["p", "ɛ", "s", "a", "k", "o", "tʃ", "k", "a"]),  # "a" corrected (gruut: the letter name)
    ("nl", "het Park", ["ə", "t", "p", "ɑ", "ɹ", "k"]),  # corrected (gruut's entry: a stray ending)
    ("ja", "さんぽ", ["s", "a", "m", "p", "o"]),  # the moraic nasal before a bilabial: m, the lips close
    ("ja", "しんぶん", ["ɕ", "i", "m", "b", "u", "ɴ"]),  # ... and at the end: ɴ, the lips open
    ("ja", "りんご", ["ɾ", "i", "ŋ", "ɡ", "o"]),  # ... before a velar: ŋ
    ("ja", "ほっぺ", ["h", "o", "p", "p", "e"]),  # sokuon: the closure held on the next consonant
    ("ja", "マッチ", ["m", "a", "t", "tɕ", "i"]),  # ... of an affricate, its stop
    ("ja", "ビール", ["b", "i", "ɾ", "u"]),  # a long vowel: one vowel
    ("ja", "です", ["d", "e", "s", "u"]),  # a devoiced vowel: the vowel
    ("ko", "밥을 먹습니다", ["p", "a", "b", "ɯ", "l", "m", "ʌ", "k", "s", "ɯ", "m", "n", "i", "d", "a"]),  # liaison,
    # a lenis stop voiced between vowels, nasalisation (ㅂ before ㄴ is m: the lips still close)
    ("ko", "신라 닭 좋다", ["s", "i", "l", "l", "a", "t", "a", "k", "tɕ", "o", "t", "a"]),  # lateralisation, a
    # final cluster, ㅎ aspirating the next stop
])
def test_phones_particular_to_a_language_are_in_the_inventory(language, text, phones):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing skipped
        words = pronounce_transcript(text, language)
    assert [p for w in words for p in w.phones] == phones


def test_japanese_words_are_morphemes_with_the_phones_of_their_context():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        words = pronounce_transcript("パンを三本買った。", "ja")
    # rendaku 三本 "sanbon"; the moraic nasal and the sokuon take their phone from the next word's first
    assert [(w.text, "".join(w.phones)) for w in words] == [
        ("パン", "paɴ"), ("を", "o"), ("三", "sam"), ("本", "boŋ"), ("買っ", "kat"), ("た", "ta")]


def test_lexicon_corrections_are_inventory_phones():
    from facemotion.text.languages import GRUUT_LANGUAGES, LEXICON_CORRECTIONS

    assert set(LEXICON_CORRECTIONS) <= set(GRUUT_LANGUAGES)
    assert {p for words in LEXICON_CORRECTIONS.values() for phones in words.values() for p in phones} <= set(
        NEAREST_ENGLISH)


def test_japanese_and_korean_tables_write_inventory_phones():
    from facemotion.text.japanese import _JAPANESE_N_PLACE, JAPANESE_IPA
    from facemotion.text.korean import _KOREAN_CODA, _KOREAN_NASAL, _KOREAN_VOICED, KOREAN_IPA

    japanese = {p for phones in JAPANESE_IPA.values() for p in phones} | set(_JAPANESE_N_PLACE.values()) | {"ɴ"}
    korean = {p for phones in KOREAN_IPA.values() for p in phones} | set(_KOREAN_CODA.values()) | set(
        _KOREAN_NASAL.values()) | set(_KOREAN_VOICED.values()) | {"l"}
    assert japanese | korean <= set(NEAREST_ENGLISH)


def test_words_a_g2p_cannot_pronounce_are_skipped_with_a_warning():
    with pytest.warns(UserWarning, match="cannot pronounce 'α', 'β'.*skipped"):
        words = pronounce_transcript("我们在2024年去了αβ北京", "zh")
    assert [w.text for w in words] == list("我们在二零二四年去了北京")
    with pytest.warns(UserWarning, match="cannot pronounce"), pytest.raises(NoWordsError, match="no words"):
        phonemes_for(np.zeros(16000, np.float32), "αβγ", language="zh")
    with pytest.warns(UserWarning, match="Japanese: cannot pronounce '한국어': skipped"):
        words = pronounce_transcript("パン한국어。", "ja")
    assert [w.text for w in words] == ["パン"]
    with pytest.warns(UserWarning, match="Korean: cannot pronounce '3': skipped"):
        words = pronounce_transcript("3시에 좋아", "ko")
    assert [w.text for w in words] == ["시에", "좋아"]


@pytest.mark.parametrize(("text", "language", "spoken"), [
    ("我昨天买了iPhone，很好用", "zh", [("了", "lɤ"), ("iphone", "aɪfoʊn"), ("很", "xən")]),
    ("我们在GPS北京", "zh", [("在", "tsai"), ("g", "dʒi"), ("p", "pi"), ("s", "ɛs"), ("北", "pei")]),  # spelled
    ("오늘 meeting 있어요", "ko", [("오늘", "onɯl"), ("meeting", "mitɪŋ"), ("있어요", "isʌjo")]),
])
def test_english_words_in_mandarin_and_korean_transcripts_are_pronounced_as_english(text, language, spoken):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing skipped
        words = [(w.text, "".join(w.phones)) for w in pronounce_transcript(text, language)]
    start = words.index(spoken[0])
    assert words[start: start + len(spoken)] == spoken


@pytest.mark.parametrize("written, read", [
    ("我是到了12", "我是到了十二"), ("50,然後", "五十,然後"), ("105", "一百零五"), ("1000", "一千"),
    ("10005", "一万零五"), ("120000", "十二万"), ("100010000", "一亿零一万"), ("0", "零"),
    ("2024年", "二零二四年"), ("3.14", "三点一四"), ("50%", "百分之五十"), ("1,000", "一千"),
    ("007", "零零七"), ("１２", "十二"),
])
def test_mandarin_reads_numbers_written_in_digits(written, read):
    from facemotion.text.mandarin_numbers import read_numbers

    assert read_numbers(written) == read
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every character of the reading is pronounced
        words = pronounce_transcript(written, "zh")
    assert "".join(w.text for w in words) == read.replace(",", "")


def test_the_language_comes_from_the_user_or_the_transcript():
    assert choose_language(None, None) == (None, None)
    assert choose_language(None, "fr") == (None, "fr")
    assert choose_language("Guten Morgen, mein Name ist Peter.", None) == ("Guten Morgen, mein Name ist Peter.", "de")
    assert choose_language("The birch canoe slid on the smooth planks.", None)[1] == "en"
    assert choose_language("OK", None) == ("OK", "en")  # too short to tell: English, as before
    assert choose_language("OK", "fr") == ("OK", "fr")


GREETINGS = {
    "fr": "Bonjour, je m'appelle Pierre et j'habite à Paris.", "de": "Guten Morgen, mein Name ist Peter.",
    "es": "Buenos días, me llamo Pedro y vivo en Madrid.", "it": "Buongiorno, mi chiamo Pietro e abito a Roma.",
    "pt": "Bom dia, o meu nome é Pedro e moro em Lisboa.", "zh": "早上好，我叫彼得。",
    "nl": "Goedemorgen, mijn naam is Pieter.", "ru": "Доброе утро, меня зовут Пётр.",
    "sv": "God morgon, jag heter Peter.", "cs": "Dobré ráno, jmenuji se Petr.",
    "ja": "おはようございます、私の名前はピーターです。", "ko": "안녕하세요, 제 이름은 피터입니다.",
}
"""A sentence in each language other than English, long enough for its language to be read from its text."""


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_a_transcript_reads_as_its_language(language):
    assert choose_language(GREETINGS[language], None) == (GREETINGS[language], language)


@pytest.mark.parametrize("cache", ["writable", "not a folder"])
def test_the_unpacked_identifier_gives_py3langids_probabilities(cache, tmp_path, monkeypatch):
    from importlib.metadata import version

    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from facemotion.text.languages import _identifier

    reference = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    reference.set_languages(list(LANGUAGES))
    if cache == "not a folder":  # the cache cannot be written: py3langid's model is unpacked in memory
        (tmp_path / "cache").write_text("")
    monkeypatch.setenv("FACEMOTION_CACHE", str(tmp_path / "cache"))
    _identifier.cache_clear()
    try:
        texts = ["Guten Morgen, mein Name ist Peter.", "The birch canoe slid on the smooth planks.", "OK", "",
                 "Papa boit un bon café.", "爸爸买面包。", "O pai bebe um bom vinho.", "Mijn papa pakt een boek.",
                 "Мой папа пьёт компот.", "Min pappa bor i Malmö.", "Pepa má malý batoh.", "パパはパンを買いました。",
                 "아빠는 밥을 먹어요."]
        assert [_identifier().classify(text) for text in texts] == [reference.classify(text) for text in texts]
    finally:
        _identifier.cache_clear()
    if cache == "writable":
        written = f"py3langid-{version('py3langid')}-{'-'.join(LANGUAGES)}.npz"
        assert [path.name for path in (tmp_path / "cache").iterdir()] == [written]
    else:
        assert [path.name for path in tmp_path.iterdir()] == ["cache"]


def test_threads_unpacking_the_model_at_once_each_get_a_whole_file(tmp_path, monkeypatch):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from facemotion.text.languages import _unpacked_model

    monkeypatch.setenv("FACEMOTION_CACHE", str(tmp_path))
    start = threading.Barrier(2)

    def unpack(_):
        start.wait()
        return _unpacked_model()

    with ThreadPoolExecutor(2) as pool:
        (path,) = set(pool.map(unpack, range(2)))
    assert [file.name for file in tmp_path.iterdir()] == [path.name]  # no temporary file left
    with np.load(path) as model:
        assert model["ptc"].shape[1] == len(model["classes"]) == len(LANGUAGES)


def test_a_transcript_in_another_language_than_the_speech_is_dropped_with_a_warning():
    with pytest.warns(UserWarning, match="reads as English .* speech is French .* ignored"):
        assert choose_language("The birch canoe slid on the smooth planks.", "fr") == (None, "fr")


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_transcripts_align_across_languages_to_ipa_phones_with_their_words(language, recwarn):
    path, record = clip(language)
    segments = phonemes_for(load_audio(path), record["text"], language=language)
    assert not [w for w in recwarn if "forced alignment failed" in str(w.message)]
    speech = [s for s in segments if s.phone != "SIL"]
    assert speech and all(s.phone in NEAREST_ENGLISH and s.word for s in speech)
    for truth in reference_bilabials(record):  # every true /p b m/ overlaps an aligned one
        assert any(s.phone in BILABIALS and s.start < truth.end and truth.start < s.end for s in speech), truth


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_lips_close_on_every_bilabial_with_a_transcript(language):
    path, record = clip(language)
    animation = animate(path, record["text"], language=language, performance=None)
    assert animation.language == language
    rig = ARKitRig.default()
    score = lip_closure_score(rig.inner_lip_gap(rig(animation.weights)), reference_bilabials(record), animation.fps)
    assert score.bilabials >= 4 and score.closed == score.bilabials, score.bilabial_gaps_mm


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_whisper_hearing_a_language_aligns_its_transcript_in_it(language, monkeypatch):
    from facemotion.text import recognition

    path, record = clip(language)
    heard = Transcription(language, 0.99, (TranscriptSegment(record["text"], 0.0, record["phonemes"][-1][2]),))
    monkeypatch.setattr(recognition, "transcribe", lambda waveform, recognizer, language=None: heard)
    animation = animate(path, performance=None)
    assert animation.language == language
    speech = [p for p in animation.phonemes if p.phone != "SIL"]
    assert speech and all(p.phone in NEAREST_ENGLISH and p.word for p in speech)
    rig = ARKitRig.default()
    score = lip_closure_score(rig.inner_lip_gap(rig(animation.weights)), reference_bilabials(record), animation.fps)
    assert score.closed == score.bilabials, score.bilabial_gaps_mm


def test_without_language_the_transcript_says_which():
    path, record = clip("fr")
    assert animate(path, record["text"], performance=None).language == "fr"


def test_speech_wins_over_a_transcript_in_another_language():
    path, _ = clip("fr")
    with pytest.warns(UserWarning, match="reads as English"):
        animation = animate(path, "The birch canoe slid on the smooth planks.", language="fr", performance=None)
    assert animation.language == "fr"  # Whisper transcribed the French speech
    assert any(p.phone in NEAREST_ENGLISH for p in animation.phonemes)


def test_cli_unsupported_language_exits_2_before_the_work(tmp_path, capsys):
    path, record = clip("fr")
    out = tmp_path / "take.npz"
    assert cli.main(["animate", str(path), "--text", record["text"], "--language", "xx", "-o", str(out)]) == 2
    assert "unsupported language 'xx'" in capsys.readouterr().err and not out.exists()


def test_cli_language_is_kept_on_the_take(tmp_path):
    path, record = clip("it")
    out = tmp_path / "take.npz"
    assert cli.main(["animate", str(path), "--text", record["text"], "--language", "it", "-q", "-o", str(out)]) == 0
    from facemotion.exporters.npz import read_npz

    take = read_npz(out)
    assert take.language == "it" and any(p.phone == "ɲ" or p.phone in BILABIALS for p in take.phonemes)
