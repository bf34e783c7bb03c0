"""Pro-active reminders: the assistant texts a parent before they miss something.

    agencies (/notify/v1/due) --> notifier (store: claims, exactly once) --> Twilio Messages API (sms.py)
                                        |                                    (local: twilio_local.py)
                                        +--> reply menu ----> SMS channel (desk.py): "1" books, "2" cancels

- `notifier.py`  one run; `__main__.py` the loop and the clock command; `store.py` the database
- `texts.py` / `texts.yml` the reminders in en, zh, ms, ta (≤ 2 SMS, GSM-7 in en/ms)
- `desk.py` what the SMS channel does for reminders: consent after a journey, STOP/START, "REMINDERS"
"""
