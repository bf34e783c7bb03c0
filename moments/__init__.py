"""Moments Assistant: everything that is not a Rasa convention folder (see DESIGN.md)."""
