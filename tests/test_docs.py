"""The docs are tested: every command is in the README and has help; every setting too."""

from __future__ import annotations

import re

import pytest

import app
from etl.settings import SETTINGS
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> dict:
    parser = app.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices


@pytest.mark.parametrize("name", sorted(_commands()))
def test_commands_are_documented(name):
    assert re.search(rf"`(python app\.py )?{re.escape(name)}\b", README), f"README does not document `{name}`"


@pytest.mark.parametrize("name", sorted(_commands()))
def test_commands_have_help(name):
    parser = _commands()[name]
    assert parser.format_help().strip()
    sub = next(a for a in app.build_parser()._actions if a.dest == "command")
    helps = {a.dest: a.help for a in sub._choices_actions}
    assert helps.get(name), f"`{name}` has no help line"


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_settings_are_documented(setting):
    assert setting.env in README and setting.help


def test_reference_data_keeps_its_licence_notice():
    provenance = (ROOT / "data/reference/PROVENANCE.md").read_text(encoding="utf-8")
    assert "Copyright (c) 2023 data-gov-my" in provenance and "Source: Eurostat" in provenance
