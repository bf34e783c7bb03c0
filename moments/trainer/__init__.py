"""Trainer tools: change the bot's understanding in four languages without editing Python.

One CLI, `python -m moments.trainer <command>` (and `make <command>`), see TRAINING.md:

    validate      rasa data validate + our checks, in words a trainer understands
    add-intent    scaffold a new intent in en/zh/ms/ta (examples, held-out, response, rule)
    add-examples  append examples to the right language file, tidy and sorted
    train         train a candidate model (reuses Rasa's cache: only NLU is retrained when only examples changed)
    evaluate      per-language accuracy / macro-F1 on the held-out split, HTML report, regression gate
    review        messages the bot was unsure of, from the tracker store -> new training examples
    deploy        load a gated model into the running Rasa server without downtime
"""
