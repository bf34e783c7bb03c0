from moments.privacy import mask_nric, mask_personal, mask_phone


def test_nric_masked_like_government_letters():
    assert mask_nric("my ic is S1234567D ok") == "my ic is S****567D ok"
    assert mask_nric("t1234567j") == "T****567J"


def test_phone_masked():
    assert mask_phone("call +65 9123 4567") == "call ****4567"
    assert mask_phone("81234567") == "****4567"


def test_other_numbers_untouched():
    assert mask_personal("fee is $18, born 3 Mar 2026, postal 650123") == "fee is $18, born 3 Mar 2026, postal 650123"


def test_nric_inside_chinese_or_tamil_text():
    assert mask_nric("我的IC是S1234567D，谢谢") == "我的IC是S****567D，谢谢"
    assert mask_nric("என் IC T1234567Jதான்") == "என் IC T****567Jதான்"


def test_log_timestamps_are_not_taken_for_account_numbers():
    from moments.privacy import mask_personal

    line = "2026-12-02 18:40:31,123 INFO rasa.core - account 0123456789"
    assert mask_personal(line) == "2026-12-02 18:40:31,123 INFO rasa.core - account *****6789"


def test_certificate_links_long_and_short_lose_their_secret_part():
    from moments.privacy import mask_personal
    text = "PDF: http://127.0.0.1:8000/ica/v1/certificates/BR-7K3M9Q2X.1796000000.0123456789abcdef0123456789abcdef" \
           "\n或者 http://127.0.0.1:8000/c/7K3M9Q2XABCDEFGHIJKLMNOP"
    masked = mask_personal(text)
    assert "0123456789abcdef" not in masked and "ABCDEFGHIJKLMNOP" not in masked
    assert masked.count("…") == 2 and "/c/…" in masked and "/certificates/…" in masked
