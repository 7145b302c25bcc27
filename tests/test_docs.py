"""The README tells the truth: its commands exist and its settings table matches Settings."""

import re
import subprocess
import sys

from assistant.cli import app
from assistant.settings import Settings
from tests.helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_two_setup_commands_exist_in_makefile_and_ci_runs_the_test_one():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "make run" in README and "make test" in README
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_settings_table_lists_every_setting_with_its_default():
    rows = dict(re.findall(r"^\| `(POLICY_[A-Z_]+)` \| ([^|]+) \|", README, re.M))
    fields = {f"POLICY_{name.upper()}": field for name, field in Settings.model_fields.items()}
    assert set(rows) == set(fields)
    assert rows["POLICY_EMBEDDER"].strip() == f"`{Settings.model_fields['embedder'].default}`"


def test_every_cli_command_in_readme_exists():
    commands = {c.name or c.callback.__name__ for c in app.registered_commands}
    for cmd in ["ask", "lookup", "calc", "rules", "search", "build-index", "serve", "add", "feedback-export"]:
        assert cmd in commands and re.search(rf"`{re.escape(cmd)}[ `]", README), cmd


def test_readme_calc_example_is_real_output():
    out = subprocess.run([sys.executable, "-m", "assistant.cli", "calc", "--clause", "1.3", "--base", "300万元"],
                         capture_output=True, text=True, cwd=ROOT).stdout
    assert "算式：300万元 × 5% = 15万元（未超过同一主体年度上限200万元）" in out
    assert "300万元 × 5% = 15万元（未超过同一主体年度上限200万元）" in README


def test_readme_counts_match_the_parsed_corpus(corpus):
    assert f"解析出 {len(corpus.clauses)} 个条款" in README
    assert f"{len(corpus.rules)} 条金额规则" in README


def test_screenshots_referenced_in_readme_exist():
    for path in re.findall(r"\((docs/[^)]+\.png)\)", README):
        assert (ROOT / path).exists(), path


def test_readme_ask_example_is_real_output(monkeypatch, default_engine):
    from typer.testing import CliRunner

    import assistant.cli as cli

    monkeypatch.setattr(cli, "_engine", lambda settings, quiet=False: default_engine)
    q = "我们是中小企业，去年算力服务费80万元，另外调用大模型API花了40万元，能拿多少补贴？"
    out = CliRunner().invoke(app, ["ask", q]).output
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) > 10
    assert [line for line in lines if line not in README] == []


def test_readme_states_the_rewrite_corpus_as_it_is(corpus):
    from eval.run_verify import evaluate

    m, _ = evaluate(corpus)
    assert f"{m['bad']} 个不忠实改写" in README and f"{m['faithful']} 个忠实改写" in README
    assert f"{m['mutated']} 个小改动" in README
    assert m["bad_rejected"] == m["bad"] and "全部被拒绝" in README
    assert m["false_rejections"] == 0 and "误拒 0 个" in README


def test_readme_rules_excerpt_is_real_output():
    out = subprocess.run([sys.executable, "-m", "assistant.cli", "rules", "--doc",
                          "wuhan-digital-intelligence-economy-measures-draft"],
                         capture_output=True, text=True, cwd=ROOT).stdout
    block = README[README.index("$ .venv/bin/policy-assistant rules --doc"):]
    block = block[:block.index("```")]
    lines = [line for line in block.splitlines()[1:] if line.strip() and line.strip() != "…"]
    assert len(lines) >= 6
    assert [line for line in lines if line not in out] == []
