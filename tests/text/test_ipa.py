"""The one IPA inventory: reduction of g2p symbols, visemes, nearest English phones."""

import pytest
import yaml

from facemotion.text.ipa import NEAREST_ENGLISH, ipa_phones, ipa_viseme, ipa_viseme_table_path, ipa_visemes
from facemotion.text.phonemes import ARPABET, PhonemeSegment
from facemotion.text.visemes import VISEMES, load_viseme_table


def test_every_phone_has_one_of_the_15_visemes_and_english_phones():
    mapping = ipa_visemes()
    assert set(mapping) == set(NEAREST_ENGLISH)
    assert set(mapping.values()) <= set(VISEMES)
    assert all(phones and set(phones) <= set(ARPABET) for phones in NEAREST_ENGLISH.values())


def test_the_table_file_is_plain_yaml_an_animator_can_edit():
    raw = yaml.safe_load(ipa_viseme_table_path().read_text(encoding="utf-8"))
    assert list(raw) == ["ipa_to_viseme"]
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in raw["ipa_to_viseme"].items())


@pytest.mark.parametrize(("symbol", "phones"), [
    ("ɔ̃", ("ɔ",)),          # French nasal vowel
    ("pʰ", ("p",)),          # Mandarin aspiration
    ("t͡s", ("ts",)),         # affricate with a tie bar: one phone
    ("aɪ̯", ("aɪ",)),         # German diphthong with the non-syllabic mark
    ("ˈd͡ʒ", ("dʒ",)),        # Italian stress mark
    ("au̯˧˩˧", ("au",)),      # Mandarin tone letters
    ("we", ("w", "e")),      # Spanish rising diphthong: two phones
    ("ẽj̃", ("e", "j")),      # Portuguese nasal diphthong
    ("uː", ("u",)),          # length
    ("ç", ("ç",)),           # the cedilla belongs to the letter
    ("mʲ", ("m",)),          # Russian palatalisation: the plain consonant
    ("r̝", ("r̝",)),           # Czech ř: the raising belongs to the r
    ("r̝̊", ("r̝",)),           # ... voiceless after a voiceless consonant
    ("e̝", ("e",)),           # raising on anything else is dropped
    ("²ɧ", ("ɧ",)),          # Swedish sj-sound with the tone-accent mark
    ("ɛi", ("ɛi",)),         # Dutch ij: one diphthong
    ("ɑu", ("ɑ", "u")),      # Dutch au: two phones, as gruut and eSpeak NG mostly write it
    ("ɽ", ("ɽ",)),           # eSpeak NG's Japanese r, a retroflex flap
    ("ɯᵝ", ("ɯ",)),          # eSpeak NG's Japanese u, with its compressed lips
    ("ʔ", ()),               # the glottal stop has no mouth shape
])
def test_g2p_symbols_reduce_to_inventory_phones(symbol, phones):
    assert ipa_phones(symbol) == phones


def test_a_symbol_outside_the_inventory_is_named():
    with pytest.raises(ValueError, match="'ʘ'"):
        ipa_phones("ʘ")


def test_every_language_lands_on_the_same_visemes():
    table = load_viseme_table()
    assert {table.viseme(p) for p in ("p", "b", "m")} == {"PP"} == {table.viseme(p) for p in ("P", "B", "M")}
    assert table.viseme("y") == table.viseme("UW") == "ou"  # French "tu" rounds the lips like "oo"
    assert table.viseme("ʁ") == table.viseme("HH") == "kk"
    assert table.viseme("ɧ") == table.viseme("SH") == "CH"  # Swedish sj: protruded lips
    assert table.viseme("r\u031d") == table.viseme("r") == "DD"  # Czech ř: the tongue tip, not the lips
    assert table.viseme("ɽ") == table.viseme("ɾ") == "DD"  # Japanese r: a flap of the tongue tip
    assert table.viseme("ɴ") == table.viseme("NG") == "kk"  # Japanese ん at a phrase's end: the lips stay open
    assert table.viseme("SIL") == "sil"
    with pytest.raises(KeyError):
        ipa_viseme("Q")


def test_phoneme_segments_take_ipa_phones_and_refuse_unknown_ones():
    assert PhonemeSegment("ʁ", 0.0, 0.1).phone == "ʁ"
    with pytest.raises(ValueError, match="unknown phone 'ʘ'"):
        PhonemeSegment("ʘ", 0.0, 0.1)
