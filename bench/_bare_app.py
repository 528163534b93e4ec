"""The baseline of bench/load.py: a Flask app that does nothing, under the same gunicorn."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
@app.route("/healthz")
def hello() -> str:
    """A constant answer: what Flask + gunicorn cost with no work at all."""
    return "ok"
