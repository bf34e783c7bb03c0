"""Text helpers with one copy each, used by the NLU components, the actions and the agencies alike.

- scripts      which writing system a character or text is in (Han, Tamil, Jawi, Latin); runs for the tokenizer
- normalise    fold / normalise_answer / latin_words: text as the readers compare it
- words        whole-word (Latin) or in-text (Han, Tamil) matching of words, phrases and stems
- fuzzy        Damerau-Levenshtein distance for typos ('ocbs' → OCBC)
- vocab        per-language vocabularies: stop, yes, no, skip; name particles
- languages    the four languages; `language_of(tracker)`
- formatting   dates, times and lists as each language writes them; times as parents type them

Nothing here imports Rasa, FastAPI or SQLAlchemy.
"""
from moments.text.formatting import format_date, format_datetime, format_time, join_list, parse_time, to_date, to_sgt
from moments.text.fuzzy import edit_distance, one_typo_away
from moments.text.languages import LANGUAGES, lang_or_en, language_of
from moments.text.normalise import fold, latin_words, nfkc, normalise_answer
from moments.text.scripts import count_scripts, in_ethnic_script, is_han, is_tamil, script_of
from moments.text.words import contains_any, find_word, has_any_word, has_stem, has_word

__all__ = [
    "LANGUAGES", "contains_any", "count_scripts", "edit_distance", "find_word", "fold", "format_date",
    "format_datetime", "format_time", "has_any_word", "has_stem", "has_word", "in_ethnic_script", "is_han",
    "is_tamil", "join_list", "lang_or_en", "language_of", "latin_words", "nfkc", "normalise_answer", "one_typo_away",
    "parse_time", "script_of", "to_date", "to_sgt",
]
