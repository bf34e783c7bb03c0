"""The web page of Moments Assistant (:8080): a government-service-style page with the chat widget, a
language picker and the mock Singpass login. `channel.py` is the Rasa side of the widget's socket.io link."""
