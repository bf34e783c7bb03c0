"""The evaluation report: one HTML page (reports/trainer/index.html) and a confusion-matrix PNG per language."""
from __future__ import annotations

import html
from pathlib import Path
from typing import Dict, List, Optional

from moments.trainer.project import LANGS, LANGUAGE_NAMES


def confusion_png(path: Path, lang: str, confusion: Dict[str, Dict[str, int]]) -> Path:
    """Rows: the intent a message really has; columns: what the model said. Share of each row, with counts."""
    import logging

    logging.getLogger("matplotlib").setLevel(logging.ERROR)  # style-file deprecation chatter
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels = sorted(set(confusion) | {p for row in confusion.values() for p in row})
    index = {l: i for i, l in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)), dtype=int)
    for gold, row in confusion.items():
        for pred, n in row.items():
            counts[index[gold], index[pred]] += n
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    size = max(4.0, 0.42 * len(labels) + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1.0, size))
    im = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)))
    ax.set_yticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xlabel("what the model understood")
    ax.set_ylabel("what the message meant")
    ax.set_title(f"{LANGUAGE_NAMES.get(lang, lang)} ({lang}): where the model goes wrong")
    for i in range(len(labels)):
        for j in range(len(labels)):
            if counts[i, j]:
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if shares[i, j] > 0.6 else ("black" if i == j else "#b00020"))
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="share of the row")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _pct(x: Optional[float]) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _delta(x: Optional[float], bad_below: Optional[float] = None) -> str:
    if x is None:
        return "<td>–</td>"
    cls = "bad" if bad_below is not None and x < bad_below else ("good" if x > 0.05 else "")
    return f'<td class="{cls}">{x:+.1f}</td>'


def write_report(report_dir: Path, results: Dict) -> Path:
    e = html.escape
    scores: Dict[str, Dict] = results["scores"]
    deployed: Optional[Dict] = (results.get("deployed") or {}).get("scores") if results.get("deployed") else None
    gate = results["gate"]
    points = gate.get("points", 2.0)
    for lang in LANGS:
        confusion_png(report_dir / f"confusion-{lang}.png", lang, scores[lang]["confusion"])

    verdict = "passed" if gate["passed"] else "failed"
    rows = []
    for lang in LANGS:
        s = scores[lang]
        d = gate["deltas"].get(lang, {})
        base = (deployed or {}).get(lang)
        rows.append(
            f"<tr><th>{LANGUAGE_NAMES[lang]} ({lang})</th><td>{s['n']}</td>"
            f"<td>{_pct(s['accuracy'])}</td><td>{_pct(base['accuracy']) if base else '–'}</td>"
            f"{_delta(d.get('accuracy'), -points)}"
            f"<td>{_pct(s['macro_f1'])}</td><td>{_pct(base['macro_f1']) if base else '–'}</td>"
            f"{_delta(d.get('macro_f1'))}"
            f"<td>{_pct(s['language_id_accuracy'])}</td></tr>")

    # Intents the deployed model was never tested on (e.g. one just added): how each language does on them.
    new_intents = results.get("new_intents") or []
    new_rows = "".join(
        f"<tr><td>{e(name)}</td>" + "".join(
            f"<td>{_pct(scores[lang]['per_intent'][name]['recall'])} of {scores[lang]['per_intent'][name]['n']}</td>"
            if name in scores[lang]["per_intent"] else "<td>no test messages</td>" for lang in LANGS) + "</tr>"
        for name in new_intents)
    new_section = (f"""<h2>New intents</h2>
<table><tr><th>intent</th>{''.join(f'<th>{LANGUAGE_NAMES[l]}: found</th>' for l in LANGS)}</tr>{new_rows}</table>
<p class="help">Intents the deployed model does not know yet: the share of their test messages this model
recognises, per language.</p>""" if new_intents else "")

    sections: List[str] = []
    for lang in LANGS:
        s = scores[lang]
        weak = sorted(s["per_intent"].items(), key=lambda kv: kv[1]["f1"])[:5]
        weak_rows = "".join(
            f"<tr><td>{e(name)}</td><td>{v['n']}</td><td>{_pct(v['f1'])}</td><td>{_pct(v['recall'])}</td>"
            f"<td>{_pct(v['precision'])}</td></tr>" for name, v in weak)
        mis = s["misclassified"]
        mis_rows = "".join(
            f"<tr><td lang=\"{lang}\">{e(m['text'])}</td><td>{e(m['expected'])}</td><td>{e(m['predicted'])}</td></tr>"
            for m in mis) or '<tr><td colspan="3">None — every test message was understood.</td></tr>'
        sections.append(f"""
<section id="{lang}">
  <h2>{LANGUAGE_NAMES[lang]} ({lang}) — {_pct(s['accuracy'])} of {s['n']} test messages understood</h2>
  <div class="two">
    <figure><img src="confusion-{lang}.png" alt="confusion matrix for {LANGUAGE_NAMES[lang]}">
      <figcaption>Each row is what messages meant, each column what the model understood. Numbers off the
      diagonal are mistakes.</figcaption></figure>
    <div>
      <h3>Weakest intents</h3>
      <table><tr><th>intent</th><th>tests</th><th>F1</th><th>found (recall)</th><th>right when said (precision)</th></tr>
      {weak_rows}</table>
    </div>
  </div>
  <h3>Misunderstood test messages ({len(mis)})</h3>
  <table class="mis"><tr><th>message</th><th>should be</th><th>model said</th></tr>{mis_rows}</table>
</section>""")

    deployed_name = e(Path(results["deployed"]["model_file"]).name) if results.get("deployed") else "nothing deployed yet"
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Moments Assistant — model report</title>
<style>
 body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }}
 table {{ border-collapse: collapse; margin: .5rem 0 1.5rem; }}
 th, td {{ border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; vertical-align: top; }}
 .verdict {{ padding: 1rem 1.2rem; border-radius: 6px; font-size: 1.1rem; }}
 .passed {{ background: #e6f4ea; border: 1px solid #34a853; }}
 .failed {{ background: #fce8e6; border: 1px solid #d93025; }}
 td.bad {{ background: #fce8e6; font-weight: bold; }} td.good {{ color: #137333; }}
 .two {{ display: flex; gap: 2rem; flex-wrap: wrap; align-items: flex-start; }}
 figure {{ margin: 0; max-width: 640px; }} figure img {{ max-width: 100%; }}
 figcaption, .help {{ color: #555; font-size: .9rem; }}
 table.mis td:first-child {{ max-width: 520px; }}
</style></head>
<body>
<h1>Model report</h1>
<p>Model <code>{e(Path(results['model_file']).name)}</code>, compared with the deployed model
<code>{deployed_name}</code>. Evaluated {e(results['evaluated_at'])} on the held-out test set
(<code>tests/nlu/heldout/</code>: messages the model was never trained on).</p>
<div class="verdict {verdict}"><strong>Regression gate {verdict.upper()}.</strong>
 {' '.join(e(r) + '.' for r in gate['reasons'])}
 {'<br>This model can be deployed: <code>make deploy</code>' if gate['passed'] else
  '<br>It cannot be deployed: the reasons above say what to do; then <code>make train-candidate</code> and <code>make evaluate</code> again.'}</div>

<h2>Per language</h2>
<table>
<tr><th>language</th><th>test messages</th><th>accuracy</th><th>deployed</th><th>change (points)</th>
<th>macro-F1</th><th>deployed</th><th>change (points)</th><th>language detected right</th></tr>
{''.join(rows)}
</table>
<p class="help"><b>Accuracy</b>: share of test messages whose intent the model got right. <b>Macro-F1</b>: the
average over intents of how well each one is recognised, so a rare intent counts as much as a common one.
The gate passes only when the data checks are clean, every intent has test messages in all four languages, and no
language lost more than {points:g} accuracy points <i>and</i> more test messages than retraining alone moves (the
same test messages are compared one by one: a few always flip each way).
<b>Language detected right</b>: messages whose language the detector named correctly (too-short messages such as
"ok" get no language and count as misses).</p>
{new_section}
<p>Jump to: {' · '.join(f'<a href="#{l}">{LANGUAGE_NAMES[l]}</a>' for l in LANGS)}</p>
{''.join(sections)}
</body></html>
"""
    path = report_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
