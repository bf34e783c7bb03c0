"""Unicode script classification for the tokenizer and the language detector: moments.text.scripts, the one copy
the actions and the agencies use too."""
from moments.text.scripts import (  # noqa: F401  (re-exported)
    HAN, OTHER, TAMIL, Run, ScriptCounts, count_scripts, is_cjk_punct, is_han, is_latin_letter, is_tamil, split_runs,
)
