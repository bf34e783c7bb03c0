"""Names typed in Tamil script, matched against the Latin spelling the agencies hold.

A parent writes "காவ்யாவுக்கு தடுப்பூசி" for Kavya, "அர்ஜுன்" for Arjun. `romanise` spells the Tamil script in
Latin letters; `sound_key` then folds both spellings to how they sound (long vowels, voiced and unvoiced consonants,
doubled letters are one), so "kaavyaa" and "Kavya" meet:

    romanise("காவ்யா") == "kaavyaa"      sound_key("kaavyaa") == sound_key("Kavya") == "kavya"
    said_name_words("அர்ஜுனுக்கு ஊசி") == ["arjunukku", "uusi"]
"""
from __future__ import annotations

import re
from typing import List

VOWELS = {"அ": "a", "ஆ": "aa", "இ": "i", "ஈ": "ii", "உ": "u", "ஊ": "uu", "எ": "e", "ஏ": "ee", "ஐ": "ai",
          "ஒ": "o", "ஓ": "oo", "ஔ": "au"}
CONSONANTS = {"க": "k", "ங": "ng", "ச": "ch", "ஞ": "nj", "ட": "t", "ண": "n", "த": "th", "ந": "n", "ப": "p",
              "ம": "m", "ய": "y", "ர": "r", "ல": "l", "வ": "v", "ழ": "zh", "ள": "l", "ற": "r", "ன": "n", "ஜ": "j",
              "ஷ": "sh", "ஸ": "s", "ஹ": "h"}
SIGNS = {"\u0bbe": "aa", "\u0bbf": "i", "\u0bc0": "ii", "\u0bc1": "u", "\u0bc2": "uu", "\u0bc6": "e", "\u0bc7": "ee",
         "\u0bc8": "ai", "\u0bca": "o", "\u0bcb": "oo", "\u0bcc": "au"}
VIRAMA = "\u0bcd"
TAMIL_RUN = re.compile(r"[\u0b80-\u0bff]+")
# How a sound is written in either script, folded to one letter: the voiced and unvoiced stops, the aspirate
# spellings ("th", "dh", "bh"), w/v, zh/l, long vowels.
SOUND_FOLDS = (("zh", "l"), ("th", "t"), ("dh", "t"), ("bh", "p"), ("ph", "p"), ("gh", "k"), ("kh", "k"),
               ("sh", "s"), ("ch", "s"), ("x", "ks"), ("q", "k"), ("c", "k"), ("w", "v"), ("z", "s"), ("g", "k"),
               ("d", "t"), ("b", "p"), ("j", "s"), ("f", "p"), ("ee", "i"), ("oo", "u"), ("aa", "a"), ("ii", "i"),
               ("uu", "u"))


def romanise(text: str) -> str:
    """Tamil script spelt in Latin letters (other characters are kept)."""
    out: List[str] = []
    pending = ""  # a consonant waiting for its vowel
    for ch in text:
        if ch in CONSONANTS:
            out.append(pending + "a" if pending else "")
            pending = CONSONANTS[ch]
        elif ch in SIGNS:
            out.append(pending + SIGNS[ch])
            pending = ""
        elif ch == VIRAMA:
            out.append(pending)
            pending = ""
        else:
            if pending:
                out.append(pending + "a")
                pending = ""
            out.append(VOWELS.get(ch, ch))
    if pending:
        out.append(pending + "a")
    return "".join(out)


def sound_key(word: str) -> str:
    """A spelling folded to its sounds: "Kaavyaa", "kavya" and "Gavya" give "kavya"."""
    key = re.sub(r"[^a-z]", "", word.lower())
    for written, sound in SOUND_FOLDS:
        key = key.replace(written, sound)
    key = re.sub(r"h(?=[^aeiou]|$)", "", key)  # a trailing or pre-consonant h adds nothing: "Ramesh" ~ "rames"
    return re.sub(r"(.)\1+", r"\1", key)  # doubled letters: "Kannan" ~ "kanan"


def said_name_words(text: str) -> List[str]:
    """The Tamil-script words of `text`, romanised."""
    return [romanise(run) for run in TAMIL_RUN.findall(text)]
