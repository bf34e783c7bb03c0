"""The slot `action_forget_me` sets; the tracker store deletes the conversation when a saved turn sets it."""
FORGET_SLOT = "privacy_forget"
