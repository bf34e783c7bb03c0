"""Bot texts as a phone shows them: no Markdown, no emoji, links spelled out.

    to_plain_text("**Apply** on [LifeSG](https://life.gov.sg) 🎉")  ->  "Apply on LifeSG (https://life.gov.sg)"

Only real Markdown is touched: "6-in-1", "$11,000", "NOTIF_123", "2*3" and snake_case stay as they are.
"""
from __future__ import annotations

import re

_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_LINK = re.compile(r"\[([^\]]+)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_AUTOLINK = re.compile(r"<((?:https?|mailto|tel):[^>\s]+)>")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.S)
_STAR_ITALIC = re.compile(r"(?<![\w*\\])\*(?=[^\s*])(.+?)(?<=[^\s*\\])\*(?![\w*])", re.S)
_UNDERSCORE_ITALIC = re.compile(r"(?<![\w\\])_(?=[^\s_])(.+?)(?<=[^\s_\\])_(?!\w)", re.S)
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~", re.S)
_CODE_FENCE = re.compile(r"^\s*(```|~~~).*$", re.M)
_CODE = re.compile(r"`+([^`]+?)`+")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", re.M)
_QUOTE = re.compile(r"^\s{0,3}>\s?", re.M)
_BULLET = re.compile(r"^(\s*)[*+•]\s+", re.M)
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$", re.M)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])")
_HTML_BREAK = re.compile(r"<br\s*/?>", re.I)

# Emoji and pictographs (with their modifiers, joiners and variation selectors). Letters of any
# script, digits, currency signs and ordinary punctuation are never in these ranges.
_EMOJI = re.compile(
    "["
    "\U0001F000-\U0001FAFF"  # mahjong … symbols & pictographs extended-A (incl. flags, skin tones)
    "\u2600-\u27BF"          # miscellaneous symbols, dingbats (☀ ✅ ✨ ❤)
    "\u2B00-\u2BFF"          # arrows & stars (⭐ ⬆)
    "\u2300-\u23FF"          # technical (⌚ ⏰)
    "\u3297\u3299\u303D\u3030"
    "\uFE0E\uFE0F\u200D\u20E3"  # variation selectors, zero-width joiner, keycap
    "\U000E0020-\U000E007F"  # tag sequences (subdivision flags)
    "]+"
)
_SPACES = re.compile(r"[ \t\u00a0]{2,}")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([,.;:!?，。；：！？])")


def strip_emoji(text: str) -> str:
    return _EMOJI.sub("", text)


def _link(m: "re.Match[str]") -> str:
    label, url = m.group(1).strip(), m.group(2).strip()
    bare = re.sub(r"^(https?://|mailto:|tel:)", "", url).rstrip("/")
    if not label or label.rstrip("/") in (url.rstrip("/"), bare):
        return url if not url.startswith(("mailto:", "tel:")) else bare
    return f"{label} ({bare if url.startswith(('mailto:', 'tel:')) else url})"


def to_plain_text(text: str) -> str:
    """Markdown → plain text for SMS; emoji removed; whitespace tidied (single newlines kept)."""
    if not text:
        return ""
    out = text.replace("\r\n", "\n").replace("\r", "\n")
    out = _HTML_BREAK.sub("\n", out)
    out = _CODE_FENCE.sub("", out)
    out = _IMAGE.sub(_link, out)
    out = _LINK.sub(_link, out)
    out = _AUTOLINK.sub(lambda m: re.sub(r"^(mailto:|tel:)", "", m.group(1)), out)
    out = _CODE.sub(r"\1", out)
    out = _RULE.sub("", out)
    out = _HEADING.sub(r"\1", out)
    out = _QUOTE.sub("", out)
    out = _BULLET.sub(r"\1- ", out)
    for _ in range(2):  # nested emphasis: ***x*** or **_x_**
        out = _BOLD.sub(r"\2", out)
        out = _STRIKE.sub(r"\1", out)
        out = _STAR_ITALIC.sub(r"\1", out)
        out = _UNDERSCORE_ITALIC.sub(r"\1", out)
    out = _ESCAPE.sub(r"\1", out)
    out = strip_emoji(out)
    lines = [_SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", line)).strip() for line in out.split("\n")]
    out = "\n".join(lines)
    out = re.sub(r"\n{2,}", "\n", out)  # a blank line costs a character and shows nothing on a phone
    return out.strip()
