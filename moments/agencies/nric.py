"""The NRIC/FIN checksum lives in moments.rules.nric (the bot uses it too); this name stays for older imports."""
from moments.rules.nric import *  # noqa: F401,F403
