"""The agencies' rules applied to the database: a route parses and authorises, a service decides and writes.
Services take a SQLAlchemy session and the caller's person id, raise `Problem`s from the shared catalogue, and
know nothing of HTTP."""
