"""Lips in languages other than English: closure on /p b m/ and phone-boundary error, per way of timing phones.

Speech: eSpeak NG sentences with exact phoneme timings (``benchmarks/espeak_speech.py``: eSpeak's phoneme events;
a stop's closure counted in the stop), 8 sentences per language written for this benchmark (many /p b m/), in
French, German, Spanish, Italian, Portuguese, Mandarin (eSpeak reads the Mandarin from its pinyin, given by
pypinyin), Dutch, Russian, Swedish, Czech, Japanese (eSpeak reads its katakana pronunciation, given by Open JTalk)
and Korean. Sentences 1-4 are the **tuning** split, spoken by two voice settings;
sentences 5-8 the **held-out** split, spoken by two others (other variants, regional voices where eSpeak has them,
rates and pitches). Nothing was chosen by looking at the held-out split; the reported numbers are the held-out
ones. Clips and their truth are written under ``out/languages/`` (gitignored) and reused; a language added to
:data:`SENTENCES` is synthesised into the existing set on the next run (the other clips are kept as they are).

Ways of timing phones (``--methods``), each scored with the transcript, and without it on Whisper base's
transcript (one Whisper call per clip, greedy, ``word_timestamps=True``; cached in ``out/languages/whisper-*.json``),
Whisper either told the language (``--language``) or detecting it:

- ``align``: forced alignment across languages with pocketsphinx's English model, through the nearest English
  phones of each IPA phone (:func:`facemotion.text.alignment.phonemes_for` with ``language``; what facemotion
  ships: :func:`facemotion.text.recognition.aligned_phonemes`, passages the English model does not fit aligned to
  hama's posteriors, :mod:`facemotion.text.ctc_alignment`). Without a transcript, Whisper's cached text as one
  segment, through :func:`facemotion.text.recognition.aligned_transcription` as facemotion does after Whisper (the
  bilabials hama hears put in; stretches without aligned words in which Whisper hears another language transcribed
  again, uncached).
- ``ctc``: CTC forced alignment of the same IPA phones to hama's phone posteriors (Viterbi over hama's 191 IPA
  tokens, each phone scored by the tokens of its nearest English phones and its own symbol), timed as hama's
  recogniser times its emissions.
- ``words``: Whisper's word times, each word's phones spread evenly over the word; without a transcript only.
- ``hama``: hama's phone recognition, no words (facemotion's behaviour before languages: the same with and without
  a transcript).
- ``english``: the transcript aligned as if it were English (facemotion before languages); with a transcript only.

Scores, as ``benchmarks/english_lip_closure.py`` (procedural motion, no performance layer, 30 fps, default head):
closure = reference /p b m/ (eSpeak's ``p b m``; not the Spanish approximant ``β``) whose inner-lip gap falls
below 2 mm inside the phoneme; boundary = median |error| in ms of the starts of reference speech phones that
follow a speech phone and correspond to one found (minimum-edit alignment over the nearest English phones,
``benchmarks.alignment_accuracy.boundary_errors``).

``--scores`` prints the acoustic fit (worst 1 s window, pocketsphinx score per frame) of correct and wrong
transcripts of the tuning split, from which :data:`facemotion.text.alignment.CROSS_LINGUAL_MIN_WINDOW_SCORE` was
chosen; ``--ctc-scores`` their CTC fit (deficit per phone), from which
:data:`facemotion.text.ctc_alignment.MAX_PHONE_DEFICIT` was chosen.

Usage: ``PYTHONPATH=. python benchmarks/languages.py [--split held-out] [--languages fr,de] [--methods align,hama]
[--scores | --ctc-scores]``. Needs libespeak-ng (Debian ``espeak-ng``). The held-out split takes about 15 minutes
on 2 cores (2 minutes with Whisper's transcripts cached).
"""

import argparse
import json
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmarks.alignment_accuracy import boundary_errors
from benchmarks.espeak_speech import ESpeak, synthetic_sentence
from facemotion.face_models.arkit import ARKitRig
from facemotion.metrics import lip_closure_score
from facemotion.pipelines.motion import ProceduralMotion
from facemotion.pipelines.speech_analysis import SpeechAnalysis, analyse_speech
from facemotion.pipelines.speech_to_face import SpeechToFace
from facemotion.text import alignment
from facemotion.text.alignment import SAMPLE_RATE, NoWordsError, phonemes_for
from facemotion.text.ctc_alignment import UnalignableError, ctc_align
from facemotion.text.heard_bilabials import heard_bilabials
from facemotion.text.ipa import NEAREST_ENGLISH, ipa_phones
from facemotion.text.languages import pronounce_transcript
from facemotion.text.phonemes import SILENCE, PhonemeSegment
from facemotion.text.recognition import Transcription, TranscriptSegment, aligned_phonemes, aligned_transcription, \
    fallback_phones, whisper_model

OUT = Path(__file__).resolve().parents[1] / "out" / "languages"
FPS = 30.0
SPLITS = ("tuning", "held-out")

SENTENCES: dict[str, tuple[str, ...]] = {
    "fr": ("Le petit bateau blanc part du port de Brest au matin.",
           "Mon papa a bu un bon café au lait avec du pain.",
           "Pierre met sa belle robe bleue pour aller au bal.",
           "Nous avons pris le métro pour Montparnasse à midi.",
           "Marie apporte une pomme et un peu de beurre.",
           "Le boulanger prépare des baguettes et des brioches.",
           "Paul a mis ses bottes brunes dans le placard.",
           "Il fait beau ce matin, mais la pluie tombe en montagne."),
    "de": ("Peter bringt meinen braunen Mantel zum Bahnhof.",
           "Am Montag baden wir im blauen Meer bei Bremen.",
           "Mama backt Brot mit Butter und Pflaumen.",
           "Die Polizei fand im Park einen bunten Ball.",
           "Bitte bring mir morgen meine Brille mit.",
           "Der Bäcker bietet Brezeln und Obst an.",
           "Paul malt ein Bild von seinem Boot am Meer.",
           "Im Sommer pflücken wir Beeren am Berg."),
    "es": ("Pablo compra pan y pimientos en el mercado.",
           "Mi madre prepara una paella para el domingo.",
           "El barco blanco pasa por el puerto de Barcelona.",
           "Bebemos mucho vino bueno en el campo.",
           "Mañana por la mañana paseamos por la playa.",
           "La pequeña paloma vuela sobre el bosque.",
           "Beatriz y Manuel bailan bajo las palmeras.",
           "El poeta escribe un poema sobre el mar."),
    "it": ("Paolo mangia la pizza e beve una birra.",
           "Mamma prepara il pranzo per i bambini.",
           "Il piccolo bar apre presto ogni mattina.",
           "Abbiamo comprato un ombrello blu a Milano.",
           "Il pittore dipinge il mare sotto la pioggia.",
           "Mio padre parte per Roma in primavera.",
           "La bambina porta una bella borsa bianca.",
           "Le barche passano sotto il ponte di pietra."),
    "pt": ("O meu pai bebe um café bem quente pela manhã.",
           "A pequena menina brinca no parque com a bola.",
           "Paulo comprou pão e manteiga no mercado.",
           "O barco branco partiu do porto de Lisboa.",
           "Maria pinta um belo mapa do Brasil.",
           "Bom dia, meu nome é Pedro e moro em Belém.",
           "Os pombos procuram migalhas na praça.",
           "Amanhã vamos passear pela praia de manhã."),
    "zh": ("我们明天去北京买面包。", "爸爸和妈妈喜欢喝咖啡。", "他在公园里跑步。", "请把门关上。",
           "妹妹买了一本漂亮的书。", "不要忘记带帽子。", "朋友们在饭馆吃饭。", "冰箱里没有苹果了。"),
    "nl": ("Mijn broer bakt brood met boter voor het ontbijt.",
           "Pieter koopt een blauwe paraplu op de markt.",
           "Mama maakt pannenkoeken met appels en bessen.",
           "Het meisje speelt met een bal in het park.",
           "De bakker brengt om negen uur brood en broodjes.",
           "Bram en Marieke wonen in een mooie boerderij.",
           "Mijn opa plukt pruimen en appels in de boomgaard.",
           "Morgen gaan we met de boot naar Amsterdam."),
    "ru": ("Папа купил белый хлеб и молоко.",
           "Мама печёт пирог с яблоками.",
           "Мы были в парке под большим мостом.",
           "Брат поймал большую рыбу в пруду.",
           "Бабушка покупает помидоры на рынке.",
           "Мой младший брат пошёл в библиотеку.",
           "Пётр подарил маме букет белых роз.",
           "Море было тёплым, и мы много плавали."),
    "sv": ("Pappa bakar bröd med mjöl och smör.",
           "Mamma plockar blommor på marknaden.",
           "Bilen står parkerad bakom det blå huset.",
           "Vi promenerar längs stranden med barnen.",
           "Min bror spelar boll i parken varje måndag.",
           "Björnen plockar blåbär i den mörka skogen.",
           "Maja målar en bild av en båt på havet.",
           "På morgonen äter vi bullar och mjölk."),
    "cs": ("Petr koupil babičce bílý chléb a máslo.",
           "Maminka peče buchty s povidly.",
           "Pavel má modré boty a bílou bundu.",
           "Malý bratr běhá po parku s míčem.",
           "Po obědě jsme byli v muzeu v Brně.",
           "Babička pije mléko a jí pomeranč.",
           "Bobr plave v potoce pod mostem.",
           "Moje sestra bydlí v Praze blízko řeky."),
    "ja": ("毎晩、母はパンとバターを買います。", "僕は毎朝ミルクを飲みます。", "父と公園で散歩をしました。",
           "妹はピンクの帽子がほしいです。", "新聞を読んでから、ご飯を食べました。",
           "山本さんは美味しいパンを三枚買いました。", "冬休みに皆でバスに乗って、海へ遊びに行きました。",
           "前田さんは毎週プールで泳ぎます。"),
    "ko": ("아빠는 아침마다 빵을 먹습니다.", "엄마가 시장에서 바나나를 샀어요.", "민수는 밤마다 바이올린을 연습합니다.",
           "봄에는 공원에 꽃이 많이 핍니다.", "부모님과 함께 바다에 갔습니다.", "비빔밥은 매운 고추장과 먹어요.",
           "모자를 쓴 보미가 버스를 기다립니다.", "밤하늘에 별이 많이 보입니다."),
}
"""Eight sentences per language: 1-4 tuning, 5-8 held-out."""

VOICES: dict[str, dict[str, tuple[tuple[str, int, int], ...]]] = {
    "fr": {"tuning": (("fr+m1", 175, 50), ("fr+f2", 150, 65)),
           "held-out": (("fr-be+m4", 200, 40), ("fr-ch+f4", 140, 70))},
    "de": {"tuning": (("de+m1", 175, 50), ("de+f2", 150, 65)), "held-out": (("de+m4", 200, 40), ("de+f4", 140, 70))},
    "es": {"tuning": (("es+m1", 175, 50), ("es+f2", 150, 65)),
           "held-out": (("es-419+m4", 200, 40), ("es-419+f4", 140, 70))},
    "it": {"tuning": (("it+m1", 175, 50), ("it+f2", 150, 65)), "held-out": (("it+m4", 200, 40), ("it+f4", 140, 70))},
    "pt": {"tuning": (("pt+m1", 175, 50), ("pt+f2", 150, 65)),
           "held-out": (("pt-br+m4", 200, 40), ("pt-br+f4", 140, 70))},
    "zh": {"tuning": (("cmn-latn-pinyin+m1", 175, 50), ("cmn-latn-pinyin+f2", 150, 65)),
           "held-out": (("cmn-latn-pinyin+m4", 200, 40), ("cmn-latn-pinyin+f4", 140, 70))},
    "nl": {"tuning": (("nl+m1", 175, 50), ("nl+f2", 150, 65)), "held-out": (("nl+m4", 200, 40), ("nl+f4", 140, 70))},
    "ru": {"tuning": (("ru+m1", 175, 50), ("ru+f2", 150, 65)),
           "held-out": (("ru-lv+m4", 200, 40), ("ru-lv+f4", 140, 70))},
    "sv": {"tuning": (("sv+m1", 175, 50), ("sv+f2", 150, 65)), "held-out": (("sv+m4", 200, 40), ("sv+f4", 140, 70))},
    "cs": {"tuning": (("cs+m1", 175, 50), ("cs+f2", 150, 65)), "held-out": (("cs+m4", 200, 40), ("cs+f4", 140, 70))},
    "ja": {"tuning": (("ja+m1", 175, 50), ("ja+f2", 150, 65)), "held-out": (("ja+m4", 200, 40), ("ja+f4", 140, 70))},
    "ko": {"tuning": (("ko+m1", 175, 50), ("ko+f2", 150, 65)), "held-out": (("ko+m4", 200, 40), ("ko+f4", 140, 70))},
}
"""eSpeak NG (voice+variant, words per minute, pitch 0..100) of each language and split."""

METHODS = ("align", "ctc", "words", "hama", "english")
IPA_STOPS = frozenset({"p", "b", "t", "d", "k", "g", "ɡ", "c", "ɟ", "q", "ʈ", "ɖ", "ts", "dz", "tʃ", "dʒ", "tɕ",
                       "dʑ", "ʈʂ", "pf"})
BILABIALS = {"p": "P", "b": "B", "m": "M"}
"""The reference phones scored for closure, named as :func:`facemotion.metrics.lip_closure_score` reads them."""


def espeak_ipa(symbol: str) -> tuple[str, ...]:
    """One eSpeak NG phoneme event -> IPA phones of facemotion's inventory; a pause or a glottal stop -> SIL.

    eSpeak's Mandarin writes aspiration as a trailing ``h`` (``th``, ``tɕh``): dropped, as the inventory drops ʰ.
    Its Russian gives the palatal off-glide of some palatalised consonants an event of its own (``p ʲ ɵ``, "пё"):
    the glide j, as the English benchmark counts it (:data:`benchmarks.espeak_speech.ESPEAK_IPA_TO_ARPABET`: Y).
    """
    if len(symbol) > 1 and symbol.endswith("h") and symbol[:-1].rstrip("ɕʂs")[-1:] in ("p", "t", "k"):
        symbol = symbol[:-1]
    if symbol == "ʲ":
        return ("j",)
    return ipa_phones(symbol) or (SILENCE,)


def _english(phone: str) -> str:
    """A phone as its nearest English phone (ARPAbet and SIL unchanged), to compare phones across inventories."""
    return NEAREST_ENGLISH[phone][0] if phone in NEAREST_ENGLISH else phone


def synthesis_text(text: str, language: str) -> str:
    """What eSpeak NG reads: the sentence, or for Mandarin its pinyin with tone numbers (eSpeak's Mandarin
    dictionary lacks many characters; its ``cmn-latn-pinyin`` voice reads pinyin), for Japanese its pronunciation
    in katakana from Open JTalk (eSpeak's Japanese reads kana only; the particles は and へ as pronounced, "wa" and
    "e"; the devoicing mark ’ left out)."""
    if language == "ja":
        import pyopenjtalk

        return "".join(morpheme["pron"].replace("’", "") for morpheme in pyopenjtalk.g2p_mapping(text))
    if language != "zh":
        return text
    from pypinyin import Style, lazy_pinyin

    return " ".join(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, errors=lambda chunk: [","]))


def build(out: Path) -> list[dict]:
    """Synthesise every clip into ``out`` (once; later runs read ``out/manifest.json`` and synthesise only the
    languages it lacks, their seeds counting on from its clips, as a build from scratch would seed languages added
    at the end of :data:`SENTENCES`); the manifest's clips."""
    manifest = out / "manifest.json"
    clips = json.loads(manifest.read_text(encoding="utf-8"))["clips"] if manifest.exists() else []
    missing = [language for language in SENTENCES if language not in {clip["language"] for clip in clips}]
    if not missing:
        return clips
    (out / "audio").mkdir(parents=True, exist_ok=True)
    espeak = ESpeak()
    for language in missing:
        for i, text in enumerate(SENTENCES[language]):
            split = SPLITS[i >= 4]
            for voice, rate, pitch in VOICES[language][split]:
                waveform, truth = synthetic_sentence(espeak, synthesis_text(text, language), voice, seed=len(clips),
                                                     rate=rate, pitch=pitch, phones_of=espeak_ipa, stops=IPA_STOPS)
                clip_id = f"{language}-{i + 1}-{voice}"
                sf.write(out / "audio" / f"{clip_id}.wav", waveform, SAMPLE_RATE, subtype="PCM_16")
                clips.append({"id": clip_id, "language": language, "split": split, "voice": voice, "text": text,
                              "audio": f"audio/{clip_id}.wav", "truth": [list(t) for t in truth]})
    manifest.write_text(json.dumps({"clips": clips}, ensure_ascii=False, indent=1), encoding="utf-8")
    return clips


def whisper_transcript(waveform: np.ndarray, language: str | None, cache: dict, key: str) -> dict:
    """Whisper base's transcript of a clip, told ``language`` or detecting it (None), with word times:
    ``{"language", "text", "words": [[word, start, end], ...]}``; kept in ``cache`` under ``key``."""
    if key not in cache:
        segments, info = whisper_model("whisper").transcribe(waveform, language=language, beam_size=1,
                                                             word_timestamps=True, condition_on_previous_text=False)
        segments = list(segments)
        cache[key] = {"language": info.language, "text": " ".join(s.text.strip() for s in segments),
                      "words": [[w.word, w.start, w.end] for s in segments for w in s.words]}
    return cache[key]


def whisper_words(heard: dict, duration: float) -> list[PhonemeSegment]:
    """Whisper's words with their times, each word's phones spread evenly over it; pauses between words."""
    phonemes, cursor = [], 0.0
    for text, start, end in heard["words"]:
        phones = [p for w in pronounce_transcript(text, heard["language"]) for p in w.phones] if text.strip() else []
        if not phones or end <= max(start, cursor):
            continue
        start = max(start, cursor)
        if start > cursor:
            phonemes.append(PhonemeSegment(SILENCE, cursor, start))
        step = (end - start) / len(phones)
        phonemes += [PhonemeSegment(p, start + i * step, start + (i + 1) * step, text) for i, p in enumerate(phones)]
        cursor = end
    return phonemes + [PhonemeSegment(SILENCE, cursor, duration)] if cursor < duration else phonemes


def transcription(heard: dict) -> Transcription:
    """A cached transcript of :func:`whisper_transcript` as :func:`facemotion.text.recognition.transcribe` gives it:
    one segment from the first word's start to the last word's end (Whisper's segment of a one-sentence clip)."""
    words = [(start, end) for text, start, end in heard["words"] if text.strip()]
    segments = (TranscriptSegment(heard["text"].strip(), words[0][0], words[-1][1]),) if words else ()
    return Transcription(heard["language"], 1.0, segments)


INPUTS = ("transcript", "told", "detected")
"""The transcript; no transcript, Whisper told the language; no transcript, Whisper detecting it."""


def method_phonemes(method: str, given: str, clip: dict, analysis: SpeechAnalysis, hama: list[PhonemeSegment],
                    cache: dict) -> list[PhonemeSegment] | None:
    """Phonemes of one method on one clip from one input of :data:`INPUTS`; None where the method does not apply.
    Speech Whisper hears in a language facemotion does not speak is phone-recognised (hama), as facemotion does."""
    waveform, language, text = analysis.waveform, clip["language"], clip["text"]
    if method == "hama":
        return hama
    if method == "english":
        if given != "transcript":
            return None
        try:
            return phonemes_for(waveform, text, recognize=fallback_phones)
        except NoWordsError:
            return hama  # English reads no word of Mandarin: phone recognition, as before
    if given != "transcript":
        heard = whisper_transcript(waveform, language if given == "told" else None, cache, f"{given}:{clip['id']}")
        if heard["language"] not in SENTENCES:
            return hama
        if method == "words":
            return whisper_words(heard, waveform.size / SAMPLE_RATE)
        if method == "align":
            return list(aligned_transcription(waveform, analysis.speech_spans, transcription(heard), "whisper",
                                              lambda: heard_bilabials(waveform)).phonemes)
        text, language = heard["text"], heard["language"]
    elif method == "words":
        return None
    try:
        if method == "align":
            return aligned_phonemes(waveform, text, language=language)
        return ctc_align(waveform, pronounce_transcript(text, language))[0]
    except ValueError:  # no word pronounced (NoWordsError), or ctc_align's UnalignableError
        return hama


def score(phonemes: list[PhonemeSegment], clip: dict, analysis: SpeechAnalysis, rig: ARKitRig) -> tuple[int, int, list]:
    """(closed, bilabials, boundary errors in s) of one clip animated from ``phonemes``."""
    face = SpeechToFace(ProceduralMotion(), performance=None)
    weights = face.animate_analysis(replace(analysis, phonemes=tuple(phonemes)), FPS).weights
    gaps = rig.inner_lip_gap(rig(weights))
    truth = clip["truth"]
    reference = [PhonemeSegment(BILABIALS.get(p, SILENCE), s, e) for p, s, e, _ in truth]
    closure = lip_closure_score(gaps, [r for r in reference if r.phone != SILENCE], FPS)
    english_truth = [(_english(p), s, e, scored) for p, s, e, scored in truth]
    english = [PhonemeSegment(_english(p.phone), p.start, p.end) for p in phonemes]
    return closure.closed, closure.bilabials, list(boundary_errors(english_truth, english))


def run(clips: list[dict], methods: list[str], out: Path) -> dict:
    """Score every method on every clip: {(language, method, input): [closed, bilabials, errors]}."""
    rig, results = ARKitRig.default(), {}
    cache_file = out / "whisper-transcripts.json"
    cache = json.loads(cache_file.read_text(encoding="utf-8")) if cache_file.exists() else {}
    for n, clip in enumerate(clips):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            analysis = analyse_speech(out / clip["audio"], recognizer="hama", keep_waveform=True)
            hama = list(analysis.phonemes)
            for method in methods:
                for given in INPUTS:
                    phonemes = method_phonemes(method, given, clip, analysis, hama, cache)
                    if phonemes is None:
                        continue
                    closed, total, errors = score(phonemes, clip, analysis, rig)
                    entry = results.setdefault((clip["language"], method, given), [0, 0, []])
                    entry[0], entry[1] = entry[0] + closed, entry[1] + total
                    entry[2] += errors
        cache_file.write_text(json.dumps(cache, ensure_ascii=False), encoding="utf-8")
        print(f"  {n + 1}/{len(clips)} {clip['id']}", flush=True)
    return results


def print_table(results: dict, languages: list[str], methods: list[str], split: str) -> None:
    print(f"\n{split} split: lips closed on /p b m/ (closed/total, %) and median |boundary error| (ms), with the "
          "transcript; without it, Whisper told the language (--language) or detecting it")
    header = ("language", "method", "transcript", "%", "bound. ms", "told", "%", "bound. ms", "detected", "%",
              "bound. ms")
    widths = (8, 7, 10, 6, 9, 8, 6, 9, 8, 6, 9)
    print("  ".join(h.rjust(w) for h, w in zip(header, widths)))
    for language in languages + ["all"]:
        for method in methods:
            cells = [language, method]
            for given in INPUTS:
                entries = [results[k] for k in results if k[1:] == (method, given) and language in ("all", k[0])]
                if not entries:
                    cells += ["-", "-", "-"]
                    continue
                closed, total = sum(e[0] for e in entries), sum(e[1] for e in entries)
                errors = np.abs(np.concatenate([e[2] for e in entries]))
                cells += [f"{closed}/{total}", f"{100 * closed / total:.1f}", f"{1000 * np.median(errors):.1f}"]
            print("  ".join(str(c).rjust(w) for c, w in zip(cells, widths)), flush=True)


def print_scores(clips: list[dict], out: Path) -> None:
    """Worst-window acoustic scores of correct and wrong (another sentence's) transcripts, tuning split."""
    print("\ntuning split: worst 1 s window score per frame, cross-lingual alignment (lower = fits worse)")
    for language in SENTENCES:
        chosen = [c for c in clips if c["language"] == language and c["split"] == "tuning"]
        right, wrong = [], []
        for k, clip in enumerate(chosen):
            waveform = sf.read(out / clip["audio"], dtype="float32")[0]
            other = chosen[(k + 2) % len(chosen)]["text"]
            for text, into in ((clip["text"], right), (other, wrong)):
                entries = alignment._transcript_entries(text, language)
                try:
                    into.append(alignment._worst_window_score(alignment._forced_alignment(waveform, entries)))
                except alignment.AlignmentError:
                    into.append(float("-inf"))
        print(f"  {language}: correct min {min(right):.1f} median {np.median(right):.1f}; "
              f"wrong max {max(wrong):.1f} median {np.median(wrong):.1f}")


def print_ctc_scores(clips: list[dict], out: Path, languages: list[str]) -> None:
    """CTC deficit per phone of correct and wrong (every other sentence's) transcripts, tuning split, from which
    :data:`facemotion.text.ctc_alignment.MAX_PHONE_DEFICIT` was chosen (on all the languages)."""
    print(f"\ntuning split, {', '.join(languages)}: CTC alignment's deficit per phone (natural log; higher = fits "
          "worse)")
    right, wrong = [], []
    for language in languages:
        chosen = [c for c in clips if c["language"] == language and c["split"] == "tuning"]
        texts = sorted({c["text"] for c in chosen})
        for clip in chosen:
            waveform = sf.read(out / clip["audio"], dtype="float32")[0]
            for text in texts:
                try:
                    deficit = ctc_align(waveform, pronounce_transcript(text, language))[1]
                except UnalignableError:  # more phones than frames
                    continue
                (right if text == clip["text"] else wrong).append(deficit)
    right, wrong = np.array(right), np.array(wrong)
    print(f"  correct: {right.size}, max {right.max():.2f}, 95th percentile {np.percentile(right, 95):.2f}; "
          f"wrong: {wrong.size}, min {wrong.min():.2f}, 5th percentile {np.percentile(wrong, 5):.2f}")
    for threshold in np.arange(2.6, 3.8, 0.2):
        print(f"  at {threshold:.1f}: correct above {np.sum(right > threshold)}, wrong at or below "
              f"{np.sum(wrong <= threshold)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="held-out", choices=SPLITS)
    parser.add_argument("--languages", default=",".join(SENTENCES))
    parser.add_argument("--methods", default=",".join(METHODS))
    scores = parser.add_mutually_exclusive_group()
    scores.add_argument("--scores", action="store_true", help="acoustic fit of correct and wrong transcripts")
    scores.add_argument("--ctc-scores", action="store_true", help="CTC fit of correct and wrong transcripts")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    started = time.perf_counter()
    clips = build(args.out)
    languages, methods = args.languages.split(","), args.methods.split(",")
    if args.scores:
        print_scores(clips, args.out)
        return
    if args.ctc_scores:
        print_ctc_scores(clips, args.out, languages)
        return
    chosen = [c for c in clips if c["split"] == args.split and c["language"] in languages]
    results = run(chosen, methods, args.out)
    print_table(results, languages, methods, args.split)
    print(f"\n{len(chosen)} clips, {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
