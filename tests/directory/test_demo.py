"""`alta demo` uses a real directory or none: never a fake one."""

from __future__ import annotations

import dataclasses

from provisioning import demo
from provisioning.config import DirectorySettings


def test_without_root_the_demo_has_no_directory(app, monkeypatch, capsys) -> None:
    settings = app.extensions["alta.settings"]
    monkeypatch.setattr(demo.os, "geteuid", lambda: 1000)
    chosen = demo.demo_directory(settings)
    assert not chosen.active
    assert "Sin directorio" in capsys.readouterr().out


def test_a_configured_directory_is_kept(app) -> None:
    configured = DirectorySettings(url="ldaps://dc.example:636", ca_file="/x", bind_dn="CN=x",
                                   bind_password="p", base_dn="DC=x", upn_suffix="x.test")
    settings = dataclasses.replace(app.extensions["alta.settings"], directory=configured)
    assert demo.demo_directory(settings) is configured
