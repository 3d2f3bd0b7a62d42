"""The baseline: a bare Flask hello-world, served by bench/run under the app's gunicorn settings."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    return "Hello, World!"
