"""Text parameters reach forms and parsers without NUL, other C0 controls or bidi overrides."""
from __future__ import annotations

from flask import request


def _echo_app(app):
    @app.route("/_echo", methods=["GET", "POST"])
    def _echo():
        source = request.form if request.method == "POST" else request.args
        return {key: source.getlist(key) for key in source if key != "csrf_token"}

    return app


def test_query_string_loses_nul_and_bidi_overrides(app):
    client = _echo_app(app).test_client()
    answer = client.get("/_echo?q=%E6%8E%92%00%E9%98%9F&name=ab%E2%80%AEcd&q=x%01y").get_json()
    assert answer == {"q": ["排队", "xy"], "name": ["abcd"]}


def test_form_keeps_line_breaks_and_tabs_but_drops_controls(app):
    client = _echo_app(app).test_client()
    answer = client.post(
        "/_echo", data={"text": "line 1\r\n\tline\x002\x1b", "t": "a\u2066b\u2069"}).get_json()
    assert answer == {"text": ["line 1\r\n\tline2"], "t": ["ab"]}


def test_uploaded_files_are_untouched(app):
    import io

    @app.post("/_upload")
    def _upload():
        return request.files["f"].read()

    data = {"f": (io.BytesIO(b"\x00\x01binary"), "x.bin")}
    answer = app.test_client().post("/_upload", data=data, content_type="multipart/form-data")
    assert answer.data == b"\x00\x01binary"
