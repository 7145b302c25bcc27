"""Run the web app: ``python app.py`` (same as ``policy-assistant serve``). Wiring only."""

from assistant.cli import serve

if __name__ == "__main__":
    serve(host="127.0.0.1", port=7860, workers=1)
