"""A pick from a list by its place, as parents type it in four languages (issue 13: "the first one" at a list of
times or children was understood only as a button or a digit)."""
import pytest

from actions.shared.answers import pick_by_number
from moments.text.ordinals import ordinal


@pytest.mark.parametrize("text, count, expected", [
    ("the first one", 3, 0), ("first", 2, 0), ("the first one pls", 3, 0), ("1st", 3, 0), ("2nd one lah", 3, 1),
    ("second", 3, 1), ("third one", 3, 2), ("the last one", 3, 2), ("last", 4, 3),
    ("第一个", 3, 0), ("第二个", 3, 1), ("我要第三个", 3, 2), ("最后那个", 3, 2), ("最后一个吧", 2, 1), ("头一个", 2, 0),
    ("yang pertama", 3, 0), ("pertama", 2, 0), ("yang kedua tu", 3, 1), ("saya pilih yang ketiga", 3, 2),
    ("yang terakhir", 3, 2), ("trakhir", 2, 1),
    ("முதலாவது", 2, 0), ("முதல் ஒன்று", 2, 0), ("இரண்டாவது", 3, 1), ("கடைசி", 3, 2), ("கடைசியது", 2, 1),
    ("mudhalavathu", 3, 0), ("rendavathu venum", 3, 1), ("kadaisi onnu", 3, 2),
    # with the thing picked, or the verb, said too
    ("ambik yang last", 3, 2), ("Anak yang pertama.", 3, 0), ("最后一个孩子", 3, 2), ("第一个宝宝", 2, 0),
    ("முதல் பிள்ளை", 2, 0), ("கடைசி நேரம் போடுங்க", 3, 2), ("the first child", 2, 0),
])
def test_an_ordinal_picks_its_place(text, count, expected):
    assert ordinal(text, count) == expected
    assert pick_by_number(text, count) == expected


@pytest.mark.parametrize("text", [
    "first step grant", "when is the first jab", "the first one is wrong, change the name", "I want to register",
    "last time you said 9am", "third child need to register", "9.30am", "tomorrow", "2 pm", "", "yes", "第一次打针",
    "最后一次是什么时候", "kali pertama saya guna", "முதல் தடுப்பூசி எப்போது",
])
def test_a_sentence_with_an_ordinal_in_it_is_not_a_pick(text):
    assert ordinal(text, 3) is None


def test_a_place_beyond_the_list_is_not_a_pick():
    assert ordinal("the third one", 2) is None and ordinal("第五个", 3) is None
    assert pick_by_number("3", 2) is None  # a digit beyond the list is not read as words either
    assert pick_by_number("第2个", 3) == 1 and ordinal("第2个", 3) is None  # a digit is pick_by_number's own


@pytest.mark.parametrize("text, expected", [
    ("the earlier one", 0), ("earliest", 0), ("later one", 2), ("最早的", 0), ("晚一点的", 2), ("yang lebih awal", 0),
    ("paling lewat", 2), ("முந்தைய", 0), ("seekiram", 0),
])
def test_earlier_and_later_only_at_a_list_in_time_order(text, expected):
    assert ordinal(text, 3, in_time_order=True) == expected
    assert ordinal(text, 3) is None  # at a list of children or banks "the earlier one" means nothing

