from pathlib import Path
from assistant.text import Glossary, default_glossary, tokenize


def test_domain_words_stay_single_tokens():
    toks = tokenize("算力服务券 模型券 数据券 技术型数商 首版次")
    for w in ["算力服务券", "模型券", "数据券", "技术型数商", "首版次"]:
        assert w in toks


def test_stop_words_and_punctuation_are_dropped_and_ascii_lowercased():
    assert tokenize("我们租用云上GPU，有补贴吗？") == ["租用", "云上", "gpu", "补贴"]


def test_generic_glossary_maps_everyday_words_to_words_every_policy_uses():
    g = default_glossary()
    assert "算力" in g.matches("云主机租金能补吗")
    assert "OPC" in g.matches("一人公司")
    assert "标注" in g.matches("做打码的")
    assert "中小企业" in g.matches("我们是小公司")
    assert "责任单位" in g.matches("这个归谁管")


def test_the_generic_glossary_names_no_measure_of_one_policy():
    text = (Path(__file__).resolve().parent.parent / "assistant" / "data" / "glossary.tsv").read_text(encoding="utf-8")
    for word in ("算力服务券", "模型券", "数据券", "武汉", "数据流通交易平台", "卓越级智能工厂"):
        assert word not in text, word


def test_glossary_is_case_insensitive_for_ascii():
    assert default_glossary().matches("gpu") == default_glossary().matches("GPU")


def test_expand_appends_only_new_terms():
    g = Glossary.from_text("云主机\t算力 云主机\n")
    assert g.expand("云主机") == "云主机 算力"
    assert g.expand("天气") == "天气"


def test_glossary_file_format_ignores_comments_and_blank_lines():
    g = Glossary.from_text("# comment\n\n甲|乙\t丙 丁\n坏行没有制表符\n")
    assert len(g.entries) == 1 and g.matches("乙") == ["丙", "丁"]
