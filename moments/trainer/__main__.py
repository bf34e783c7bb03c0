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


def cmd_add_examples(args) -> int:
    from moments.trainer.scaffold import TrainerError, add_examples, describe_added

    project = _project(args)
    try:
        result = add_examples(project, args.intent, args.lang, _examples_from(args), heldout=args.heldout)
    except TrainerError as e:
        print(f"Nothing added: {e}", file=sys.stderr)
        return 2
    print(describe_added(project, result))
    return 0 if not result.refused else 1


def cmd_train(args) -> int:
    from moments.trainer.training import train
    from moments.trainer.validate import format_report, validate

    project = _project(args)
    if not args.no_validate:
        report = validate(project, run_rasa=False)
        if not report.ok:
            print(format_report(report))
            print("\nFix these first (or train anyway with --no-validate).")
            return 1
    result = train(project, force=args.force, quick=args.quick)
    return 0 if result.model else 1


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
        messages = rv.read_user_messages(url)
    except Exception as e:  # noqa: BLE001 - say it plainly
        print(f"Cannot read the conversations: {e}", file=sys.stderr)
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
            print("\n(not a terminal: listing only; use --decisions FILE to apply decisions)")
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
    from moments.trainer.deploy import DeployError, deploy, server_url

    project = _project(args)
    try:
        deploy(project, Path(args.model) if args.model else None, url=server_url(args.url),
               token=args.token or os.environ.get("RASA_TOKEN"))
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
    p.add_argument("--lang", required=True, choices=LANGS)
    p.add_argument("examples", nargs="*", help="the examples (quote each one)")
    p.add_argument("--file", help="a text file with one example per line")
    p.add_argument("--separator", help="also split each example on this string (make uses '|')")
    p.add_argument("--heldout", action="store_true", help="add to the test set instead of the training data")
    p.set_defaults(func=cmd_add_examples)

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
    p.add_argument("--token", help="the server's --auth-token (default: $RASA_TOKEN)")
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
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
