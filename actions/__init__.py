"""The action server (rasa-sdk): one module per journey plus shared helpers."""
