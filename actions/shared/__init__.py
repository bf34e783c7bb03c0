"""What every journey shares, written once:

- agency.py    the agency clients (`agencies()`, `await call(fn, …)`), who the citizen is (`identify`), idempotency
               keys, and agency errors → responses in the user's language
- form.py      MomentsFormValidation (failed tries, yes/no, MyInfo consent, the SMS date-of-birth check) and
               JourneyForm (stop words, digressions, "agency unavailable, keep the answers")
- answers.py   Checked, the one shape of every answer check; pick-by-number; matching a name to a person
- tracker.py   reading the tracker: the latest text, the message that started a journey, the language before it
- clock.py     Singapore's today and now (frozen in tests)
- labels.py    names of things (services, vaccines, record states) in four languages
"""
