"""Forgiving a typo: Damerau-Levenshtein distance (optimal string alignment)."""
from __future__ import annotations


def edit_distance(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and swaps of neighbours: 'ocbs' → 'ocbc' is 1, 'obcc' → 'ocbc' is 1."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def one_typo_away(word: str, target: str, min_length: int = 3) -> bool:
    """The same word, or (for words of `min_length`+ letters with the same first letter) one edit away."""
    return word == target or (len(word) >= min_length and word[:1] == target[:1] and edit_distance(word, target) <= 1)
