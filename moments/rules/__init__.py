"""Pure domain rules both sides import — the agency services to enforce them, the bot to ask again before
submitting: NRIC/FIN checksums (nric), ICA's birth registration and naming rules (birth), MSF's Baby Bonus amounts,
eligibility, banks and account lengths (baby_bonus), calendar months (calendar).

No HTTP, no database, no Rasa: `import moments.rules.X` loads nothing but the standard library and moments.text.
"""
