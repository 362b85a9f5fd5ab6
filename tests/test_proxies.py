"""X-Forwarded-For is believed only for the configured number of proxies."""
from __future__ import annotations

from flask import request

from portal import create_app


def _address_app(database_url, tmp_path, proxies):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "x",
                      "TRUSTED_PROXIES": proxies})
    app.instance_path = str(tmp_path)

    @app.get("/_address")
    def _address():
        return {"address": request.remote_addr, "scheme": request.scheme}

    return app


def test_forwarded_headers_ignored_without_trusted_proxies(database_url, tmp_path):
    client = _address_app(database_url, tmp_path, 0).test_client()
    answer = client.get("/_address", headers={"X-Forwarded-For": "203.0.113.9"},
                        environ_base={"REMOTE_ADDR": "10.0.0.2"}).get_json()
    assert answer["address"] == "10.0.0.2"


def test_one_trusted_proxy_gives_the_client_it_saw(database_url, tmp_path):
    client = _address_app(database_url, tmp_path, 1).test_client()
    # A client forged the first entry; our one proxy appended the address it really saw.
    answer = client.get("/_address", headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9",
                                              "X-Forwarded-Proto": "https"},
                        environ_base={"REMOTE_ADDR": "10.0.0.2"}).get_json()
    assert answer == {"address": "203.0.113.9", "scheme": "https"}
