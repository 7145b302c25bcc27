"""The web app: FastAPI (REST + OpenAPI docs) with the Gradio UI mounted at ``/``.

``create_app(settings)`` is what ``policy-assistant serve`` and ``app.py`` run;
``app_from_env()`` is the factory each worker process calls under ``serve --workers N``
(settings come from the ``POLICY_*`` environment the workers inherit).
Offline switches (no analytics, no hub, no CDN fonts) are set here, before gradio loads.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def create_app(settings, service=None):
    import gradio as gr

    from assistant.api import create_api
    from assistant.service import build_service
    from assistant.webui import CSS, HEAD, build_ui, theme

    service = service or build_service(settings)
    api = create_api(service)
    demo = build_ui(service)
    # no footer: its links (Gradio's own API page, settings) are English and not part of this product; /docs is linked in the app.
    # No uploads through Gradio (policies are added by the admin API): its upload route is closed and its file size tiny.
    return gr.mount_gradio_app(api, demo, path="/", theme=theme(), css=CSS, head=HEAD, footer_links=[], ssr_mode=False,
                               show_error=False, max_file_size="1kb")


def app_from_env():
    """Factory for uvicorn worker processes: ``uvicorn --factory assistant.web:app_from_env``."""
    from assistant.settings import load_settings

    return create_app(load_settings())
