"""Children of the same name (twins' English names) are told apart on every 'which child?' button (issue 13)."""
from actions.shared.answers import child_titles


def test_children_of_the_same_name_get_titles_that_tell_them_apart():
    twins = [{"name": "Ethan Tan", "date_of_birth": "2026-11-20", "time_of_birth": "08:42"},
             {"name": "ETHAN TAN", "date_of_birth": "2026-11-20", "time_of_birth": "08:51"},
             {"name": "Chloe Tan", "date_of_birth": "2024-01-05"}]
    assert child_titles(twins, "en") == ["Ethan Tan (20 Nov 2026, 8:42 am)", "ETHAN TAN (20 Nov 2026, 8:51 am)",
                                         "Chloe Tan"]
    assert child_titles(twins[1:], "zh") == ["ETHAN TAN", "Chloe Tan"]
