"""Mock government agency services for Moments Assistant: mock Singpass/MyInfo, ICA birth registration,
MSF Baby Bonus and polyclinic appointments, as one HTTP service (see docs/agencies.md).

Run it with `python -m moments.agencies` (or `make agencies`); call it with `moments.agency_client`.
"""
