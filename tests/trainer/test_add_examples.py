"""add-intent and add-examples keep the four language files tidy, and produce data Rasa accepts."""
from __future__ import annotations

import yaml

from trainer_testkit import run_trainer
from moments.trainer import validate as v
from moments.trainer.nlu_files import merge_examples, read_examples
from moments.trainer.project import LANGS

NLU = '''version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there

- intent: ask_baby_bonus
  examples: |
    - how much is the baby bonus
    - Baby bonus amount?
'''


def test_merge_sorts_the_block_dedupes_and_leaves_other_blocks_alone(tmp_path):
    path = tmp_path / "en.yml"
    path.write_text(NLU, encoding="utf-8")
    result = merge_examples(path, "ask_baby_bonus", ["  cda grant how much  ", "BABY BONUS AMOUNT", "- apply CDA?"])
    text = path.read_text(encoding="utf-8")
    assert result.added == ["cda grant how much", "apply CDA?"]
    assert result.already_there == ["BABY BONUS AMOUNT"]
    assert text.startswith(NLU.split("- intent: ask_baby_bonus")[0])  # greet untouched, byte for byte
    assert text.endswith("- intent: ask_baby_bonus\n  examples: |\n    - apply CDA?\n    - Baby bonus amount?\n"
                         "    - cda grant how much\n    - how much is the baby bonus\n")
    assert read_examples(path)["greet"] == ["hello", "hi there"]


def test_merge_creates_a_missing_block_and_drops_placeholders_once_real_examples_arrive(tmp_path):
    path = tmp_path / "ms.yml"
    path.write_text(NLU, encoding="utf-8")
    merge_examples(path, "ask_preschool", ["TODO write examples"])
    assert read_examples(path)["ask_preschool"] == ["TODO write examples"]
    result = merge_examples(path, "ask_preschool", ["nak cari tadika", "yuran tadika berapa"])
    assert result.placeholders_removed == 1
    assert read_examples(path)["ask_preschool"] == ["nak cari tadika", "yuran tadika berapa"]
    yaml.safe_load(path.read_text(encoding="utf-8"))


def test_add_examples_cli_writes_the_right_language_and_masks_personal_data(project):
    before = {lang: project.nlu_file(lang).read_text(encoding="utf-8") for lang in LANGS}
    result = run_trainer(project.root, "add-examples", "ask_baby_bonus", "--lang", "ms",
                         "bonus bayi untuk anak ketiga berapa ya", "IC saya S1234567D, nombor 9123 4567, semak bonus bayi")
    assert result.returncode == 0, result.stderr
    assert "Added 2 example(s) to data/nlu/ms.yml (ask_baby_bonus)" in result.stdout
    ms = read_examples(project.nlu_file("ms"))["ask_baby_bonus"]
    assert "bonus bayi untuk anak ketiga berapa ya" in ms
    assert "IC saya S****567D, nombor ****4567, semak bonus bayi" in ms
    assert "S1234567D" not in project.nlu_file("ms").read_text(encoding="utf-8")
    for lang in ("en", "zh", "ta"):
        assert project.nlu_file(lang).read_text(encoding="utf-8") == before[lang]


def test_add_examples_refuses_an_example_owned_by_another_intent(project):
    taken = read_examples(project.nlu_file("en"))["greet"][0]
    result = run_trainer(project.root, "add-examples", "goodbye", "--lang", "en", taken, "catch you tomorrow then")
    assert result.returncode == 1
    assert f"NOT added '{taken}': already an example of greet" in result.stdout
    assert "catch you tomorrow then" in read_examples(project.nlu_file("en"))["goodbye"]


def test_add_examples_from_a_file_and_to_the_test_set(project, tmp_path):
    examples = tmp_path / "new.txt"
    examples.write_text("# one per line\n宝宝六个月要打什么针呢\n\n宝宝满月后第一针是什么时候\n", encoding="utf-8")
    result = run_trainer(project.root, "add-examples", "ask_vaccination_schedule", "--lang", "zh", "--heldout",
                         "--file", str(examples))
    assert result.returncode == 0, result.stdout + result.stderr
    held = read_examples(project.heldout_file("zh"))["ask_vaccination_schedule"]
    assert {"宝宝六个月要打什么针呢", "宝宝满月后第一针是什么时候"} <= set(held)


def test_unknown_intent_is_explained(project):
    result = run_trainer(project.root, "add-examples", "ask_preschol", "--lang", "en", "preschool fees?")
    assert result.returncode == 2
    assert "There is no intent ask_preschol" in result.stderr and "make add-intent" in result.stderr


def test_add_intent_then_fill_in_gives_data_rasa_accepts(tiny_project):
    root = tiny_project.root
    result = run_trainer(root, "add-intent", "ask_preschool")
    assert result.returncode == 0, result.stderr
    assert (root / "domain" / "ask_preschool.yml").exists() and (root / "data" / "rules" / "ask_preschool.yml").exists()
    kinds = {p.check for p in v.validate(tiny_project, run_rasa=False).problems}
    assert {"placeholder", "too-few-examples", "heldout-coverage", "response-language"} <= kinds

    # What a trainer then does: examples and test messages in every language, and the four answers.
    places = ["Tampines", "Jurong", "Woodlands", "Punggol", "Bedok", "Yishun", "Sengkang", "Bishan",
              "Clementi", "Toa Payoh", "Hougang", "Ang Mo Kio", "Pasir Ris", "Bukit Batok", "Serangoon",
              "Queenstown", "Kallang", "Geylang", "Bukit Panjang", "Choa Chu Kang", "Marine Parade",
              "Sembawang", "Novena", "Tanjong Pagar", "Buona Vista"]
    templates = {"en": ("any preschool near {} with space for a 2 year old", "how much are preschool fees in {}"),
                 "zh": ("{}附近有没有幼儿园还有位子", "{}的幼儿园学费多少"),
                 "ms": ("ada tadika dekat {} yang masih ada tempat", "yuran tadika di {} berapa"),
                 "ta": ("{} பக்கத்தில் பாலர் பள்ளி இருக்கா", "{} பாலர் பள்ளி கட்டணம் எவ்வளவு")}
    for lang, (train_t, test_t) in templates.items():
        r = run_trainer(root, "add-examples", "ask_preschool", "--lang", lang, "--file", "/dev/stdin",
                        input="\n".join(train_t.format(p) for p in places[:20]))
        assert r.returncode == 0, r.stdout + r.stderr
        r = run_trainer(root, "add-examples", "ask_preschool", "--lang", lang, "--heldout", "--separator", "|",
                        "|".join(test_t.format(p) for p in places[20:]))
        assert r.returncode == 0, r.stdout + r.stderr
    domain_file = root / "domain" / "ask_preschool.yml"
    answers = {"TODO: write the English answer for ask_preschool": "Search for preschools on LifeSG.",
               "TODO: 请写 ask_preschool 的中文回答 (Chinese answer)": "请在 LifeSG 查找幼儿园。",
               "TODO: tulis jawapan Bahasa Melayu untuk ask_preschool (Malay answer)": "Cari tadika di LifeSG.",
               "TODO: ask_preschool க்கான தமிழ் பதிலை எழுதுங்கள் (Tamil answer)": "LifeSG-இல் பாலர் பள்ளிகளைத் தேடுங்கள்."}
    text = domain_file.read_text(encoding="utf-8")
    for stub, answer in answers.items():
        assert stub in text
        text = text.replace(stub, answer)
    domain_file.write_text(text, encoding="utf-8")

    result = run_trainer(root, "validate")  # our checks and `rasa data validate --fail-on-warnings`
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "rasa data validate" in result.stdout
