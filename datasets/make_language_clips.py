"""Make the short speech clips in other languages that the tests ship with (``tests/fixtures/speech/languages/``).

Usage, from the repository root (needs Debian's ``espeak-ng``; a few seconds)::

    PYTHONPATH=. python datasets/make_language_clips.py

One sentence per language, spoken by eSpeak NG 1.51's default voice of the language at its default rate and pitch
(Mandarin: the ``cmn-latn-pinyin`` voice reading the sentence's pinyin; Japanese: the ``ja`` voice reading its
katakana pronunciation), with 0.3 s of silence and -66 dBFS
noise around it (``benchmarks/espeak_speech.py``), written as 16 kHz mono 16-bit FLAC, with ``<language>.json``
beside it: the sentence, the voice, and the true phonemes from eSpeak's phoneme events, as IPA phones of
facemotion's inventory (``[phone, start s, end s]``, pauses ``SIL``; ``benchmarks/languages.py``'s conventions).
The sentences are not those of ``benchmarks/languages.py``.
"""

import json
from pathlib import Path

import soundfile as sf

from benchmarks.espeak_speech import ESpeak, synthetic_sentence
from benchmarks.languages import IPA_STOPS, espeak_ipa, synthesis_text
from facemotion.text.alignment import SAMPLE_RATE

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "speech" / "languages"

CLIPS: dict[str, tuple[str, str]] = {
    "fr": ("fr", "Papa boit un bon café."),
    "de": ("de", "Mama bringt Brot mit."),
    "es": ("es", "Mi papá compra pan."),
    "it": ("it", "Il bambino mangia la pappa."),
    "pt": ("pt", "O pai bebe um bom vinho."),
    "zh": ("cmn-latn-pinyin", "爸爸买面包。"),
    "nl": ("nl", "Mijn papa pakt een boek."),
    "ru": ("ru", "Мой папа пьёт компот."),
    "sv": ("sv", "Min pappa bor i Malmö."),
    "cs": ("cs", "Pepa má malý batoh."),
    "ja": ("ja", "パパはパンを買いました。"),
    "ko": ("ko", "아빠는 밥을 먹어요."),
}
"""Language -> (eSpeak NG voice, sentence)."""


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    espeak = ESpeak()
    for seed, (language, (voice, text)) in enumerate(CLIPS.items()):
        waveform, truth = synthetic_sentence(espeak, synthesis_text(text, language), voice, seed=seed,
                                             phones_of=espeak_ipa, stops=IPA_STOPS)
        sf.write(OUT / f"{language}.flac", waveform, SAMPLE_RATE, subtype="PCM_16")
        phonemes = [[phone, round(start, 5), round(end, 5)] for phone, start, end, _ in truth]
        record = {"language": language, "text": text, "voice": voice, "phonemes": phonemes}
        (OUT / f"{language}.json").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{language}: {waveform.size / SAMPLE_RATE:.2f} s, {sum(p[0] in 'pbm' for p in phonemes)} /p b m/")


if __name__ == "__main__":
    main()
