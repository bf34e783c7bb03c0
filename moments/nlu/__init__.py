"""Custom Rasa graph components: a script-aware tokenizer and a language detector."""
