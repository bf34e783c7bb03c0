# A package, so this folder's conftest is imported as browser.conftest and does not shadow tests/conftest.py.
