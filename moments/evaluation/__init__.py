"""NLU evaluation on the held-out split (tests/nlu/heldout/<lang>.yml, never trained on)."""
