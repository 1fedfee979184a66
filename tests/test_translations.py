"""Simplified Chinese translations of the suite, checked without a database.

Each addon's zh_CN.po file must cover their .pot, keep every placeholder and
HTML tag, follow docs/GLOSSARY.zh_CN.md, and never give one Chinese term to
two different English labels unless the glossary says they mean the same:
a card shows a customer's stage, segment and value class side by side, and
one Chinese word for two of them reads as one thing.
"""

import re
from collections import Counter, defaultdict
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
ADDONS = (
    "crm_lifecycle",
    "crm_loyalty",
    "crm_churn",
    "crm_journey",
    "crm_lifecycle_pos",
    "crm_lifecycle_automation",
    "crm_lifecycle_mass_mailing",
    "crm_lifecycle_survey",
    "crm_churn_survey",
    "crm_churn_helpdesk",
    "crm_lifecycle_dashboard",
    "crm_loyalty_pos",
    "crm_loyalty_website_sale",
)
GLOSSARY = ROOT / "docs" / "GLOSSARY.zh_CN.md"

# Labels (field strings, selection values, menus, buttons): short one-line
# msgids. Longer texts are sentences, where a shared wording is no ambiguity.
LABEL_MAX = 40

PERCENT = re.compile(r"%(?:\([A-Za-z_]\w*\))?[#0+-]?\d*(?:\.\d+)?[sdifgr%]")
JINJA = re.compile(r"\{\{.*?\}\}")
BRACES = re.compile(r"(?<!\{)\{[A-Za-z_][\w.]*\}(?!\})")
TAG = re.compile(r"</?[A-Za-z][^<>]*?/?>")
ARTICLES = {"a", "an", "the"}
SINGULAR_S = ("ss", "us", "is")  # class, bonus, analysis


def _po(addon):
    return polib.pofile(str(ROOT / "addons" / addon / "i18n" / "zh_CN.po"))


def _pot(addon):
    return polib.pofile(str(ROOT / "addons" / addon / "i18n" / f"{addon}.pot"))


def _entries(po):
    return [e for e in po if not e.obsolete and e.msgid]


def normalize_english(text):
    """The label without case, punctuation, articles or a plural s: "Churn
    Alerts" and "Churn alert" are one source term, "Churn Warning" another."""
    words = re.sub(r"[^0-9a-z]+", " ", text.lower()).split()
    singular = []
    for word in words:
        if word in ARTICLES:
            continue
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("s") and not word.endswith(SINGULAR_S):
            word = word[:-1]
        singular.append(word)
    return " ".join(singular)


def normalize_chinese(text):
    return text.strip().rstrip("：:。.，, ").strip()


def _markdown_tables(text):
    """Yield (heading, header cells, rows) for every table of a Markdown file."""
    heading = ""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if (
            line.startswith("|")
            and index + 1 < len(lines)
            and re.fullmatch(r"\|[\s:|-]+\|", lines[index + 1].strip())
        ):
            header = _cells(line)
            rows = []
            index += 2
            while index < len(lines) and lines[index].strip().startswith("|"):
                rows.append(_cells(lines[index].strip()))
                index += 1
            yield heading, header, rows
            continue
        index += 1


def _cells(line):
    return [cell.strip().strip("`").strip() for cell in line.strip("|").split("|")]


def glossary_rules():
    """(English, Chinese, addons) of every row of the tables that have the
    columns English, 中文 and Where used."""
    rules = []
    for _heading, header, rows in _markdown_tables(GLOSSARY.read_text("utf-8")):
        if not {"English", "中文", "Where used"} <= set(header):
            continue
        en, zh, where = (header.index(c) for c in ("English", "中文", "Where used"))
        for row in rows:
            addons = re.findall(r"crm_(?:lifecycle|loyalty|churn)", row[where])
            rules.append((row[en], row[zh], tuple(addons)))
    return rules


def allowed_shared():
    """Chinese term -> normalized English labels allowed to share it."""
    allowed = defaultdict(set)
    for heading, header, rows in _markdown_tables(GLOSSARY.read_text("utf-8")):
        if heading != "Allowed shared translations":
            continue
        zh, en = header.index("中文"), header.index("English sources")
        for row in rows:
            for source in row[en].split(";"):
                if source.strip():
                    allowed[normalize_chinese(row[zh])].add(normalize_english(source))
    return allowed


def placeholders(text):
    return (
        Counter(PERCENT.findall(text)),
        Counter(JINJA.findall(text)),
        Counter(BRACES.findall(text)),
        Counter(TAG.findall(text)),
    )


def collisions(pos):
    """Chinese label -> {normalized English: [msgids]} for the Chinese labels
    that translate more than one English source term across the suite."""
    by_chinese = defaultdict(lambda: defaultdict(list))
    for addon, po in pos.items():
        for entry in _entries(po):
            msgid = entry.msgid
            if (
                len(msgid) > LABEL_MAX
                or "\n" in msgid
                or "<" in msgid
                or "{{" in msgid
                or not entry.msgstr
            ):
                continue
            chinese = normalize_chinese(entry.msgstr)
            by_chinese[chinese][normalize_english(msgid)].append(f"{addon}: {msgid!r}")
    return {zh: sources for zh, sources in by_chinese.items() if len(sources) > 1}


@pytest.fixture(scope="module")
def pos():
    return {addon: _po(addon) for addon in ADDONS}


@pytest.mark.parametrize("addon", ADDONS)
def test_every_msgid_of_the_pot_is_translated(addon):
    po = {(e.msgctxt, e.msgid): e for e in _entries(_po(addon))}
    missing, empty, fuzzy = [], [], []
    for entry in _entries(_pot(addon)):
        found = po.get((entry.msgctxt, entry.msgid))
        if found is None:
            missing.append(entry.msgid)
        elif not found.msgstr.strip():
            empty.append(entry.msgid)
        elif "fuzzy" in found.flags:
            fuzzy.append(entry.msgid)
    assert not (missing or empty or fuzzy), (
        f"{addon}/i18n/zh_CN.po: missing {missing}, empty {empty}, fuzzy {fuzzy}"
    )


@pytest.mark.parametrize("addon", ADDONS)
def test_no_stale_or_fuzzy_entries(addon):
    pot = {(e.msgctxt, e.msgid) for e in _entries(_pot(addon))}
    po = _po(addon)
    stale = [e.msgid for e in _entries(po) if (e.msgctxt, e.msgid) not in pot]
    assert not stale, f"{addon}/i18n/zh_CN.po has msgids the .pot lost: {stale}"
    assert not po.obsolete_entries(), f"{addon}: obsolete entries left"


@pytest.mark.parametrize("addon", ADDONS)
def test_placeholders_and_tags_match(addon, pos):
    wrong = []
    for entry in _entries(pos[addon]):
        if entry.msgstr and placeholders(entry.msgid) != placeholders(entry.msgstr):
            wrong.append(entry.msgid)
    assert not wrong, f"{addon}: placeholders or HTML tags differ in {wrong}"


def test_two_english_labels_never_share_a_chinese_label(pos):
    allowed = allowed_shared()
    clashes = []
    for chinese, sources in sorted(collisions(pos).items()):
        if set(sources) <= allowed.get(chinese, set()):
            continue
        listed = "; ".join(m for msgids in sources.values() for m in msgids)
        clashes.append(f"{chinese} <- {listed}")
    assert not clashes, (
        "Different English labels share one Chinese translation; give them "
        "distinct Chinese or list them under 'Allowed shared translations' in "
        "docs/GLOSSARY.zh_CN.md:\n" + "\n".join(clashes)
    )


def test_allowed_shared_translations_are_still_needed(pos):
    """A row that no longer matches a collision misleads the next translator."""
    found = collisions(pos)
    unused = [
        f"{chinese}: {sorted(sources - set(found.get(chinese, {})))}"
        for chinese, sources in allowed_shared().items()
        if not sources <= set(found.get(chinese, {}))
    ]
    assert not unused, f"Allowed shared translations without a collision: {unused}"


def test_the_po_files_follow_the_glossary(pos):
    rules = glossary_rules()
    assert len(rules) > 50, "the glossary tables were not found"
    wrong, unknown = [], []
    for english, chinese, addons in rules:
        if not addons:
            unknown.append(f"{english}: no addon under 'Where used'")
            continue
        seen = False
        for addon in addons:
            entry = pos[addon].find(english)
            if entry is None:
                continue
            seen = True
            if entry.msgstr != chinese:
                wrong.append(
                    f"{addon}: {english!r} is {entry.msgstr!r}, not {chinese!r}"
                )
        if not seen:
            unknown.append(f"{english!r} is in none of {addons}")
    assert not unknown, f"Glossary rows that match no msgid: {unknown}"
    assert not wrong, "zh_CN.po differs from the glossary:\n" + "\n".join(wrong)


def test_words_the_glossary_forbids_are_gone(pos):
    """Words that meant several things or read word-by-word (see 'Words not
    to use')."""
    banned = (
        "已流失",
        "已挽回",
        "已赢回",
        "赢回",
        "沉睡",
        "已升级",
        "台账",
        "忠诚度",
        "卡片",
        "贷项",
    )
    found = [
        f"{addon}: {entry.msgid!r} -> {entry.msgstr!r}"
        for addon, po in pos.items()
        for entry in _entries(po)
        if any(word in entry.msgstr for word in banned)
    ]
    assert not found, "\n".join(found)


def test_normalize_english_ignores_case_punctuation_and_plural():
    assert normalize_english("Churn Alerts") == normalize_english("Churn alert")
    assert normalize_english("Pin a Lifecycle Stage") == normalize_english(
        "Pin lifecycle stage"
    )
    assert normalize_english("Can't lose them") != normalize_english("Lost")
    assert normalize_english("Churn Warning") != normalize_english("Churn Alert")
    assert normalize_english("Bonus") == "bonus"


def test_collisions_list_the_colliding_msgids():
    po = polib.POFile()
    po.append(polib.POEntry(msgid="Churned", msgstr="已流失"))
    po.append(polib.POEntry(msgid="Lost", msgstr="已流失"))
    po.append(polib.POEntry(msgid="Lost", msgstr="已流失"))
    found = collisions({"crm_lifecycle": po})
    assert set(found) == {"已流失"}
    assert found["已流失"] == {
        "churned": ["crm_lifecycle: 'Churned'"],
        "lost": ["crm_lifecycle: 'Lost'", "crm_lifecycle: 'Lost'"],
    }


def test_placeholders_see_a_dropped_tag_or_name():
    assert placeholders("Hello %(name)s") != placeholders("您好")
    assert placeholders("<strong>Gold</strong>") == placeholders(
        "<strong>金卡</strong>"
    )
    assert placeholders('<t t-out="x">a</t>') != placeholders("<t>a</t>")
    assert placeholders("{{ object.name }}") != placeholders("{{ object.name}}")
    assert placeholders("10% off") == placeholders("9 折")
