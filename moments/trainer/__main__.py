"""python -m moments.trainer <command> — see TRAINING.md, or `python -m moments.trainer --help`."""
from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import List, Optional

from moments.trainer.project import DEFAULT_ROOT, LANGS, Project


def _project(args) -> Project:
    return Project(Path(args.root).resolve())


def cmd_validate(args) -> int:
    from moments.trainer.validate import format_report, validate

    report = validate(_project(args), run_rasa=not args.skip_rasa)
    if args.json:
        print(json.dumps({"ok": report.ok, "problems": [asdict(p) for p in report.problems]},
                         ensure_ascii=False, indent=1))
    else:
        print(format_report(report))
    return 0 if report.ok else 1


def cmd_add_intent(args) -> int:
    from moments.trainer.scaffold import TrainerError, add_intent

    project = _project(args)
    try:
        new = add_intent(project, args.name)
    except TrainerError as e:
        print(f"Cannot add the intent: {e}", file=sys.stderr)
        return 2
    print(f"Created intent {new.name} in all four languages:")
    for path in new.files:
        print(f"  {project.rel(path)}")
    print(f"""
What to do now (validate lists whatever is still missing):
  1. Examples, in each language ({', '.join(LANGS)}):
       make add-examples INTENT={new.name} IN=en EXAMPLES="first way to ask|second way to ask|…"
  2. Test messages the bot is never trained on, in each language:
       make add-examples INTENT={new.name} IN=en HELDOUT=1 EXAMPLES="…|…"
  3. The bot's answer: replace the four TODO texts in domain/{new.name}.yml
  4. make validate""")
    return 0


def _examples_from(args) -> List[str]:
    from moments.trainer.scaffold import read_examples_file

    examples = list(args.examples or [])
    if args.separator:
        examples = [part for e in examples for part in e.split(args.separator)]
    if args.file:
        examples += read_examples_file(Path(args.file))
    return examples


def _unknown_language(lang: Optional[str]) -> Optional[str]:
    """The message for IN= that is not one of the four languages, or None."""
    if lang is None or lang in LANGS:
        return None
    return (f"IN={lang} is not one of the bot's languages: IN=en (English), IN=zh (Chinese), IN=ms (Malay) or "
            "IN=ta (Tamil).")


def cmd_add_examples(args) -> int:
    from moments.trainer.scaffold import TrainerError, add_examples, describe_added

    project = _project(args)
    if (bad := _unknown_language(args.lang)):
        print(f"Nothing added: {bad}", file=sys.stderr)
        return 2
    try:
        result = add_examples(project, args.intent, args.lang, _examples_from(args), heldout=args.heldout)
    except TrainerError as e:
        print(f"Nothing added: {e}", file=sys.stderr)
        return 2
    print(describe_added(project, result))
    return 0 if not result.refused else 1


def cmd_move_examples(args) -> int:
    from moments.trainer.scaffold import TrainerError, describe_moved, move_examples

    project = _project(args)
    if (bad := _unknown_language(args.lang)):
        print(f"Nothing moved: {bad}", file=sys.stderr)
        return 2
    try:
        moved = move_examples(project, args.source, args.target, args.match, [args.lang] if args.lang else None,
                              dry_run=args.list)
    except TrainerError as e:
        print(f"Nothing moved: {e}", file=sys.stderr)
        return 2
    print(describe_moved(project, moved, args.source, args.target, args.match, args.list))
    return 0


def cmd_train(args) -> int:
    from moments.trainer.training import language_digests, load_state, train
    from moments.trainer.validate import format_report, validate

    project = _project(args)
    if args.no_validate:
        print("NO_VALIDATE=1: an experiment. The model is trained without the data checks and is marked as never "
              "deployable (make deploy refuses it).")
    else:
        report = validate(project, run_rasa=False)
        if not report.ok:
            print(format_report(report))
            print("\nFix these first, then make train-candidate again. (To try something out anyway, "
                  "make train-candidate NO_VALIDATE=1 trains an experiment that can never be deployed.)")
            return 1
    before = language_digests(project)
    last = load_state(project).get("languages") or {}
    result = train(project, force=args.force, quick=args.quick, experiment=args.no_validate)
    if not result.model:
        return 1
    if not (args.quick and load_state(project).get("fine_tuned_from")) or result.skipped:
        return 0
    return _check_quick(project, {l for l in before if before[l] != last.get(l)})


def _check_quick(project, touched) -> int:
    """A quick fine-tune is evaluated at once; when it fails only on languages nobody touched, the fine-tune
    (not the data) is to blame: train fully, by itself, and evaluate that."""
    from moments.trainer.evaluate import evaluate, summary
    from moments.trainer.project import LANGUAGE_NAMES
    from moments.trainer.training import train

    print("\nChecking the quick model against the deployed one (a quick fine-tune can drift) …")
    ev = evaluate(project, None, out=sys.stdout)
    if ev.gate.passed:
        print(summary(project, ev))
        return 0
    failed = set(ev.gate.failed_languages)
    only_regression = ev.gate.parts.get("validation", True) and ev.gate.parts.get("test messages", True)
    if not (failed and only_regression and not failed & touched):
        print(summary(project, ev))
        if only_regression:
            print("This was a quick fine-tune, which can drift: make train-candidate (without QUICK=1) trains the "
                  "full model from the same data. If that one fails too, the examples are to blame.")
        return 1
    names = ", ".join(LANGUAGE_NAMES[l] for l in sorted(failed))
    print(f"\nThe quick model is worse in {names}, a language whose examples you did not change: that is the "
          "fine-tuning drifting, not your data. Training the full model now, by itself …\n")
    full = train(project, force=True)
    if not full.model:
        return 1
    ev = evaluate(project, full.model, out=sys.stdout)
    print()
    print(summary(project, ev))
    return 0 if ev.gate.passed else 1


def cmd_evaluate(args) -> int:
    from moments.trainer.evaluate import evaluate, summary

    project = _project(args)
    try:
        ev = evaluate(project, Path(args.model) if args.model else None, out=sys.stdout)
    except FileNotFoundError as e:
        print(e, file=sys.stderr)
        return 2
    print()
    print(summary(project, ev))
    return 0 if ev.gate.passed else 1


def cmd_review(args) -> int:
    from moments.trainer import review as rv

    project = _project(args)
    try:
        url = rv.tracker_store_url(project, args.tracker_db, args.db_url)
    except rv.NoConversationsYet as e:
        print(e)
        return 0
    except rv.ReviewError as e:
        print(e, file=sys.stderr)
        return 2
    try:
        messages = rv.read_user_messages(url)
    except Exception as e:  # noqa: BLE001 - say it plainly
        where = url.split("///", 1)[1] if url.startswith("sqlite:///") else "the tracker store"
        why = ("it has no conversations table (events)" if e.__class__.__name__ == "NoSuchTableError"
               else (str(e).strip().splitlines() or [e.__class__.__name__])[0])
        print(f"Cannot read the conversations in {where}: {why}. Is it the bot's tracker store? Say which file: "
              "make review TRACKER_DB=var/tracker.db", file=sys.stderr)
        return 2
    items = rv.build_queue(project, messages, below=args.below)
    if args.template:
        rv.write_template(Path(args.template), items)
        print(f"Wrote {len(items)} message(s) to {args.template}: edit the decisions, then "
              f"make review DECISIONS={args.template}")
        return 0
    if args.decisions:
        decisions = rv.read_decisions(Path(args.decisions))
    elif args.list or not sys.stdin.isatty():
        print(rv.format_queue(items))
        if not args.list:
            print("\n(not a terminal: listing only; make review TEMPLATE=review.yml writes a file to decide in, make review DECISIONS=review.yml applies it)")
        return 0
    else:
        if not items:
            print(rv.format_queue(items))
            return 0
        decisions = rv.interactive(project, items)
    applied = rv.apply_decisions(project, items, decisions)
    print(rv.describe_applied(project, applied))
    return 0 if not applied.problems else 1


def cmd_deploy(args) -> int:
    from moments.trainer.deploy import DeployError, deploy, server_token, server_url

    project = _project(args)
    confirmed = args.yes or os.environ.get("CONFIRM", "") not in ("", "0")
    ask = input if sys.stdin.isatty() and sys.stdout.isatty() else None
    lb = args.lb or os.environ.get("LB") or None
    replicas = args.replicas or os.environ.get("REPLICAS") or None
    try:
        fleet = None
        if lb or replicas:
            from moments.trainer.fleet import open_fleet

            if args.url or os.environ.get("RASA_URL"):
                raise DeployError("Give either RASA_URL= (one server) or LB= / REPLICAS= (several replicas), not both.")
            fleet = open_fleet(lb, replicas, server_token(args.token))
        deploy(project, Path(args.model) if args.model else None, url=server_url(args.url),
               token=server_token(args.token), rollback=args.rollback, confirmed=confirmed, ask=ask, fleet=fleet)
    except DeployError as e:
        print(f"\n{e}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m moments.trainer",
                                     description="Trainer tools for Moments Assistant (see TRAINING.md).")
    parser.add_argument("--root", default=os.environ.get("MOMENTS_ROOT", str(DEFAULT_ROOT)),
                        help="project folder (default: this checkout)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check the training data and the domain")
    p.add_argument("--skip-rasa", action="store_true", help="only our checks (seconds instead of ~20s)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("add-intent", help="scaffold a new intent in all four languages")
    p.add_argument("name")
    p.set_defaults(func=cmd_add_intent)

    p = sub.add_parser("add-examples", help="add examples of an intent in one language")
    p.add_argument("intent")
    p.add_argument("--lang", required=True, help="en, zh, ms or ta")
    p.add_argument("examples", nargs="*", help="the examples (quote each one)")
    p.add_argument("--file", help="a text file with one example per line")
    p.add_argument("--separator", help="also split each example on this string (make uses '|')")
    p.add_argument("--heldout", action="store_true", help="add to the test set instead of the training data")
    p.set_defaults(func=cmd_add_examples)

    p = sub.add_parser("move-examples", help="move examples containing some words from one intent to another")
    p.add_argument("--from", dest="source", required=True, help="the intent they are under now, e.g. out_of_scope")
    p.add_argument("--to", dest="target", required=True, help="the intent they belong to")
    p.add_argument("--match", required=True, help='words to look for, separated by |, e.g. "幼儿园|托儿所"')
    p.add_argument("--lang", help="only this language: en, zh, ms or ta (default: all four)")
    p.add_argument("--list", action="store_true", help="only show what would move")
    p.set_defaults(func=cmd_move_examples)

    p = sub.add_parser("train", help="train a candidate model (only what changed is retrained)")
    p.add_argument("--force", action="store_true", help="train even if nothing changed")
    p.add_argument("--no-validate", action="store_true", help="skip the quick data checks before training")
    p.add_argument("--quick", action="store_true",
                   help="when only examples of existing intents changed: fine-tune the last model for a quarter of "
                        "the epochs (faster; evaluate decides whether it is good enough)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="score a model per language, compare with the deployed one, write the report")
    p.add_argument("--model", help="model file (default: the latest trained candidate)")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("review", help="turn messages the bot was unsure of into training examples")
    p.add_argument("--tracker-db", help="SQLite tracker store file (default: endpoints.yml's tracker_store)")
    p.add_argument("--db-url", help="SQLAlchemy URL of the tracker store, e.g. postgresql://…")
    p.add_argument("--below", type=float, default=0.6, help="confidence under which a message counts as unsure")
    p.add_argument("--list", action="store_true", help="only list the messages")
    p.add_argument("--decisions", help="apply decisions from this YAML file instead of asking")
    p.add_argument("--template", help="write a decisions file to edit, with the likely intents filled in")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("deploy", help="load the model into the running server, if the regression gate passed")
    p.add_argument("--model", help="model file (default: the latest trained candidate)")
    p.add_argument("--url", help="Rasa server (default: $RASA_URL or http://localhost:5005)")
    p.add_argument("--token", help="the server's --auth-token (default: $RASA_TOKEN, $RASA_AUTH_TOKEN, then "
                                   "RASA_AUTH_TOKEN in var/secrets.env)")
    p.add_argument("--lb", help="several replicas: HAProxy's runtime API (socket path or host:port); the replicas "
                                "are the servers it balances over, updated one at a time (default: $LB)")
    p.add_argument("--replicas", help="several replicas without HAProxy: their URLs, comma-separated (default: "
                                      "$REPLICAS)")
    p.add_argument("--rollback", action="store_true", help="put back the model that was live before the current one")
    p.add_argument("--yes", action="store_true", help="deploy to a server other than last time's without asking "
                                                      "(make: CONFIRM=1)")
    p.set_defaults(func=cmd_deploy)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    # Library deprecation chatter is not for trainers; Rasa resets warning filters on import, so
    # silence the display itself. (Rasa's data complaints come from `rasa data validate`, not from here.)
    warnings.filterwarnings("ignore")
    warnings.showwarning = lambda *args, **kwargs: None
    for key, value in {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
                       "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}.items():
        os.environ.setdefault(key, value)
    parser = build_parser()
    # argparse cannot take positionals after an option (`add-examples INTENT --lang ms "ex1" "ex2"`):
    # the strings it leaves over are the examples.
    args, extra = parser.parse_known_args(argv)
    if extra and (args.command != "add-examples" or any(e.startswith("--") for e in extra)):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if extra:
        args.examples = list(args.examples or []) + extra
    return run_command(args)


# Commands that read the data first: a broken YAML file is said once, before anything else.
READS_DATA = {"add-intent", "add-examples", "move-examples", "train", "evaluate", "review", "deploy"}


def run_command(args) -> int:
    """Runs one command; whatever goes wrong ends in a sentence for the trainer, never a traceback."""
    from moments.trainer.project import BrokenYaml, require_readable_yaml

    try:
        if args.command in READS_DATA and not getattr(args, "json", False):
            require_readable_yaml(_project(args))
        return args.func(args)
    except BrokenYaml as e:
        print(f"{e.rel_path}{f', line {e.line}' if e.line else ''} cannot be read: {e.problem}\n"
              "Fix that line, save the file, and run the command again (nothing else is checked until then).",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - a trainer gets a sentence; the details go to a file
        import traceback

        log = _project(args).state_dir / "last-error.txt"
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(traceback.format_exc(), encoding="utf-8")
            where = f" The details for a developer are in {_project(args).rel(log)}."
        except OSError:
            where = ""
        print(f"The {args.command} command stopped: {str(e).strip() or e.__class__.__name__}.\n"
              f"Run make validate and fix what it says; if it says OK, ask a developer.{where}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
