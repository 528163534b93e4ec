"""Configuration: one TOML file, unknown keys refused, secrets from files, typed values."""

from pathlib import Path

import pytest

from provisioning.config import ConfigError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "alta.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_work_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(overrides={"app": {"instance_dir": str(tmp_path)}}, environ={})
    assert settings.database.url == f"sqlite:///{tmp_path / 'alta.db'}"
    assert settings.security.max_failed_logins == 5
    assert settings.security.idle_timeout_minutes == 15
    # A secret key is generated once and kept.
    key_file = tmp_path / "secret_key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    again = load_settings(overrides={"app": {"instance_dir": str(tmp_path)}}, environ={})
    assert again.app.secret_key == settings.app.secret_key


def test_file_named_by_alta_config(tmp_path: Path) -> None:
    path = write(tmp_path,
                 f'[app]\ninstance_dir = "{tmp_path}"\n[security]\nlockout_minutes = 30\n')
    settings = load_settings(environ={"ALTA_CONFIG": str(path)})
    assert settings.security.lockout_minutes == 30


@pytest.mark.parametrize(("text", "message"), [
    ("[app]\nsecret_kee = 'x'\n", r"\[app\]\.secret_kee: unknown setting"),
    ("[nosuch]\nx = 1\n", r"\[nosuch\]: unknown setting"),
    ("[security]\nmax_failed_logins = 'five'\n", "expected an integer"),
    ("[security]\nsession_cookie_secure = 1\n", "expected true or false"),
    ("[app]\ntimezone = 'Mars/Olympus'\n", "unknown time zone"),
    ("[app]\nsecret_key = 'short'\n", "at least 32"),
    ("[security]\nmax_failed_logins = 0\n", ">= 1"),
    ("[form]\nece_subdirecciones = 'SAPS'\n", "expected a list"),
    ("[handoff]\npreregistration_max_failures = 0\n", ">= 1"),
    ("[handoff]\npreregistration_max_wait_minutes = 1441\n", "<= 1440"),
])
def test_invalid_settings_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, f'{text}\n')
    with pytest.raises(ConfigError, match=message):
        load_settings(path, overrides={"app": {"instance_dir": str(tmp_path)}}, environ={})


def test_secret_from_file(tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text("k" * 40 + "\n", encoding="utf-8")
    path = write(tmp_path, f'[app]\nsecret_key_file = "{secret}"\ninstance_dir = "{tmp_path}"\n')
    assert load_settings(path, environ={}).app.secret_key == "k" * 40


def test_secret_file_and_value_together_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text("k" * 40, encoding="utf-8")
    path = write(tmp_path, f'[app]\nsecret_key = "{"v" * 40}"\nsecret_key_file = "{secret}"\n')
    with pytest.raises(ConfigError, match="not both"):
        load_settings(path, environ={})


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_database_url_from_environment(tmp_path: Path) -> None:
    settings = load_settings(overrides={"app": {"instance_dir": str(tmp_path)}},
                             environ={"ALTA_DATABASE_URL": "postgresql://u:p@h/db"})
    assert settings.database.url == "postgresql://u:p@h/db"


def test_example_configuration_is_valid(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    settings = load_settings(example, overrides={"app": {"instance_dir": str(tmp_path)}},
                             environ={})
    assert settings.app.timezone == "America/Mexico_City"


DIRECTORY = ('[directory]\nurl = "ldaps://dc.example:636"\nca_file = "/x/ca.pem"\n'
             'bind_dn = "CN=svc,DC=x"\nbind_password = "p"\nbase_dn = "DC=x"\n'
             'upn_suffix = "x.test"\n')


def test_directory_section(tmp_path: Path) -> None:
    absent = load_settings(overrides={"app": {"instance_dir": str(tmp_path)}}, environ={})
    assert not absent.directory.active
    assert absent.directory.curp_attribute == "employeeNumber"
    secret = tmp_path / "pw"
    secret.write_text("clave\n", encoding="utf-8")  # as scripts/ad-dc writes it
    path = write(tmp_path, DIRECTORY.replace('bind_password = "p"',
                                             f'bind_password_file = "{secret}"')
                 + 'groups_by_staff_type = { medico = ["Medicos"] }\n'
                 + 'ou_by_jurisdiction = { I = "OU=JS I" }\n')
    settings = load_settings(path, overrides={"app": {"instance_dir": str(tmp_path)}},
                             environ={})
    assert settings.directory.active and settings.directory.bind_password == "clave"
    assert settings.directory.groups_by_staff_type == {"medico": ("Medicos",)}
    disabled = load_settings(path, overrides={"app": {"instance_dir": str(tmp_path)},
                                              "directory": {"enabled": False}}, environ={})
    assert not disabled.directory.active


@pytest.mark.parametrize(("extra", "message"), [
    ('naming_pattern = "{nombre}{edad}"', "no existe"),
    ("naming_max_length = 21", "entre 3 y 20"),
    ('start_tls = true', "start_tls is for ldap://"),
    ('url = "ldap://dc.example"', "needs start_tls"),
    ('url = "http://dc.example"', "must start with ldaps://"),
    ('upn_suffix = ""', "upn_suffix is required"),
    ("groups = 'Medicos'", "expected a list"),
    ("operation_timeout = 0", "timeouts must be > 0"),
])
def test_invalid_directory_settings(tmp_path: Path, extra: str, message: str) -> None:
    key = extra.split(" =", 1)[0]
    text = "\n".join(line for line in DIRECTORY.splitlines()
                     if not line.startswith(f"{key} =")) + f"\n{extra}\n"
    with pytest.raises(ConfigError, match=message):
        load_settings(write(tmp_path, text), overrides={"app": {"instance_dir": str(tmp_path)}},
                      environ={})


def test_api_section_has_bounded_token_lifetime_grace_and_quota(tmp_path: Path) -> None:
    base = f'[app]\ninstance_dir = "{tmp_path}"\n[api]\n'
    settings = load_settings(write(tmp_path, base + "token_validity_days = 30\n"
                                   "rotation_grace_hours = 0\nquota_requests = 5\n"), environ={})
    assert (settings.api.token_validity_days, settings.api.rotation_grace_hours,
            settings.api.quota_requests, settings.api.quota_window_seconds) == (30, 0, 5, 60)
    for line, message in (("token_validity_days = 0", "token_validity_days"),
                          ("token_validity_days = 36500", "token_validity_days"),
                          ("rotation_grace_hours = -1", "rotation_grace_hours"),
                          ("rotation_grace_hours = 1000", "rotation_grace_hours"),
                          ("quota_requests = 0", "quota_requests"),
                          ("quota_window_seconds = 0", "quota_window_seconds")):
        with pytest.raises(ConfigError, match=rf"\[api\]\.{message} must be"):
            load_settings(write(tmp_path, base + line + "\n"), environ={})


SECRET, DATA, CHECKPOINT = "s" * 40, "d" * 40, "c" * 40


def production(tmp_path: Path, **keys: str) -> dict:
    """Overrides of a production instance with the given keys (secret, data, checkpoint)."""
    return {"app": {"environment": "production", "instance_dir": str(tmp_path),
                    "secret_key": keys.get("secret", SECRET)},
            "security": {"data_key": keys.get("data", DATA)},
            "audit": {"checkpoint_key": keys.get("checkpoint", CHECKPOINT)}}


def test_production_with_three_separate_keys_starts(tmp_path: Path) -> None:
    settings = load_settings(overrides=production(tmp_path), environ={})
    assert settings.app.environment == "production" and settings.app.is_production
    assert load_settings(overrides={"app": {"instance_dir": str(tmp_path)}},
                         environ={}).app.environment == "development"


@pytest.mark.parametrize(("keys", "message"), [
    ({"checkpoint": ""}, r"\[audit\]\.checkpoint_key is required in production"),
    ({"data": ""}, r"\[security\]\.data_key is required in production"),
    ({"checkpoint": SECRET}, r"checkpoint_key must differ from \[app\]\.secret_key"),
    ({"checkpoint": DATA}, r"checkpoint_key must differ from \[security\]\.data_key"),
    ({"data": SECRET}, r"data_key must differ from \[app\]\.secret_key"),
])
def test_production_refuses_missing_or_shared_keys(tmp_path: Path, keys: dict,
                                                   message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(overrides=production(tmp_path, **keys), environ={})


def test_keys_are_never_shared_nor_short_even_in_development(tmp_path: Path) -> None:
    base = {"app": {"instance_dir": str(tmp_path), "secret_key": SECRET}}
    for audit, message in (({"checkpoint_key": SECRET}, "must differ from"),
                           ({"checkpoint_key": "c" * 31}, "at least 32"),
                           ({"checkpoint_key": CHECKPOINT,
                             "previous_checkpoint_keys": ["p" * 31]}, "at least 32")):
        with pytest.raises(ConfigError, match=message):
            load_settings(overrides={**base, "audit": audit}, environ={})
    with pytest.raises(ConfigError, match="must differ from"):
        load_settings(overrides={**base, "security": {"data_key": DATA},
                                 "audit": {"checkpoint_key": DATA}}, environ={})
    with pytest.raises(ConfigError, match=r"\[app\]\.environment"):
        load_settings(overrides={"app": {"environment": "prod"}}, environ={})
