"""Settings: defaults, file, environment, parameters; errors that say where."""

import configparser
from datetime import date
from pathlib import Path

import pytest

from sparkify_nb import config
from sparkify_nb.config import ConfigError

EXAMPLE = Path(__file__).resolve().parent.parent / "dwh.cfg.example"


def write(tmp_path, text):
    path = tmp_path / "dwh.cfg"
    path.write_text(text)
    return path


def test_no_file_means_local_defaults(tmp_path):
    settings = config.load(tmp_path / "absent.cfg", environ={})
    assert settings.target == "local"
    assert settings.stack_name == "sparkify"
    assert settings.get("etl", "max_errors") == 10
    assert settings.source is None


def test_local_sources_default_to_the_emulator_bucket(tmp_path):
    settings = config.load(tmp_path / "absent.cfg", environ={})
    assert settings.source_uri("log_data") == "s3://sparkify-data/log_data"
    assert settings.source_uri("log_jsonpath") == "s3://sparkify-data/log_json_path.json"


def test_redshift_sources_default_to_the_public_udacity_bucket(tmp_path):
    settings = config.load(write(tmp_path, "[general]\ntarget = redshift\n"), environ={})
    assert settings.source_uri("song_data") == "s3://udacity-dend/song_data"
    assert settings.source_uri("log_jsonpath") == "s3://udacity-dend/log_json_path.json"


def test_file_values_are_parsed_to_types(tmp_path):
    path = write(tmp_path, "[cluster]\nnode_count = 4\npublicly_accessible = yes\n"
                           "[network]\nallowed_cidrs = 203.0.113.7/32, 198.51.100.0/24\n")
    settings = config.load(path, environ={})
    assert settings.get("cluster", "node_count") == 4
    assert settings.get("cluster", "publicly_accessible") is True
    assert settings.get("network", "allowed_cidrs") == ("203.0.113.7/32", "198.51.100.0/24")


def test_environment_overrides_file_and_parameters_override_environment(tmp_path):
    path = write(tmp_path, "[cluster]\nnode_count = 4\n")
    env = {"SPARKIFY_CLUSTER_NODE_COUNT": "6", "SPARKIFY_TARGET": "redshift"}
    settings = config.load(path, environ=env)
    assert settings.get("cluster", "node_count") == 6
    assert settings.target == "redshift"
    settings = config.load(path, overrides={"cluster.node_count": 8, "general.target": "local"}, environ=env)
    assert settings.get("cluster", "node_count") == 8
    assert settings.target == "local"


def test_empty_parameter_defers_to_the_file(tmp_path):
    path = write(tmp_path, "[general]\ntarget = redshift\n")
    assert config.load(path, overrides={"general.target": ""}, environ={}).target == "redshift"


def test_wrong_value_names_file_section_key_and_what_is_allowed(tmp_path):
    path = write(tmp_path, "[general]\ntarget = azure\n")
    with pytest.raises(ConfigError) as err:
        config.load(path, environ={})
    message = str(err.value)
    assert str(path) in message and "[general] target" in message and "'azure'" in message
    assert "local, redshift" in message


def test_number_out_of_range_says_the_range(tmp_path):
    with pytest.raises(ConfigError, match=r"\[cluster\] node_count = '0': expected a whole number from 1 to 128"):
        config.load(write(tmp_path, "[cluster]\nnode_count = 0\n"), environ={})


def test_wrong_environment_value_names_the_variable(tmp_path):
    with pytest.raises(ConfigError, match=r"SPARKIFY_ETL_MAX_ERRORS \[etl\] max_errors"):
        config.load(tmp_path / "absent.cfg", environ={"SPARKIFY_ETL_MAX_ERRORS": "many"})


def test_unknown_key_lists_the_allowed_ones(tmp_path):
    with pytest.raises(ConfigError, match=r"\[cluster\] nodes: unknown key; allowed in \[cluster\]: kind, identifier"):
        config.load(write(tmp_path, "[cluster]\nnodes = 2\n"), environ={})


def test_unknown_section_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown section \[aws\]"):
        config.load(write(tmp_path, "[aws]\nkey = x\n"), environ={})


@pytest.mark.parametrize("key", ["db_password", "password", "aws_secret_access_key", "session_token"])
def test_secrets_are_never_read_from_the_file(tmp_path, key):
    path = write(tmp_path, f"[cluster]\n{key} = hunter2hunter2\n")
    with pytest.raises(ConfigError) as err:
        config.load(path, environ={})
    assert "secrets are never read from dwh.cfg" in str(err.value)
    assert "hunter2hunter2" not in str(err.value)


def test_a_dsn_with_a_password_is_refused_in_the_file(tmp_path):
    path = write(tmp_path, "[local]\ndsn = postgresql://me:hunter2hunter2@db.example/sparkify\n")
    with pytest.raises(ConfigError) as err:
        config.load(path, environ={})
    assert "[local] dsn" in str(err.value) and "hunter2hunter2" not in str(err.value)


def test_redact_hides_passwords_in_both_dsn_forms():
    assert config.redact("postgresql://me:s3cret@h:5432/db") == "postgresql://me:***@h:5432/db"
    assert config.redact("host=h user=me password=s3cret dbname=db") == "host=h user=me password=*** dbname=db"
    assert config.redact("postgresql://postgres@/sparkify?host=/x") == "postgresql://postgres@/sparkify?host=/x"


def test_bad_cidr_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"allowed_cidrs .* \(bad: '10.0.0.1/33'\)"):
        config.load(write(tmp_path, "[network]\nallowed_cidrs = 10.0.0.1/33\n"), environ={})


def test_example_file_documents_every_key_and_loads():
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";", "#"))
    parser.read(EXAMPLE)
    documented = {(s, k) for s in parser.sections() for k in parser[s]}
    assert documented == {(k.section, k.name) for k in config.KEYS}
    settings = config.load(EXAMPLE, environ={})
    assert settings.target == "local"


def test_example_file_holds_no_secret_values():
    text = EXAMPLE.read_text().lower()
    assert "akia" not in text and "password =" not in text and "secret =" not in text


def test_analytics_settings_default_to_the_whole_period_for_everyone(tmp_path):
    settings = config.load(tmp_path / "absent.cfg", environ={})
    assert [settings.get("analytics", k) for k in ("start_date", "end_date", "level", "top_n", "tz")] == [
        None, None, "all", 10, "America/New_York"]


def test_analytics_parameters_are_parsed_to_types(tmp_path):
    settings = config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "analytics.start_date": "2018-11-01", "analytics.end_date": "2018-11-15", "analytics.level": "paid",
        "analytics.top_n": 5, "analytics.tz": "Asia/Kolkata"})
    assert settings.get("analytics", "start_date") == date(2018, 11, 1)
    assert settings.get("analytics", "end_date") == date(2018, 11, 15)
    assert (settings.get("analytics", "level"), settings.get("analytics", "top_n")) == ("paid", 5)
    assert settings.get("analytics", "tz") == "Asia/Kolkata"


def test_an_empty_analytics_parameter_defers_to_the_file(tmp_path):
    path = write(tmp_path, "[analytics]\nlevel = free\ntop_n = 3\n")
    settings = config.load(path, environ={}, overrides={"analytics.level": "", "analytics.top_n": None})
    assert (settings.get("analytics", "level"), settings.get("analytics", "top_n")) == ("free", 3)


@pytest.mark.parametrize("parameter, value, allowed", [
    ("start_date", "2018-13-01", "a day as YYYY-MM-DD"),
    ("end_date", "yesterday", "a day as YYYY-MM-DD"),
    ("level", "gold", "one of: free, paid, all"),
    ("top_n", 0, "a whole number from 1 to 10000"),
    ("top_n", "ten", "a whole number from 1 to 10000"),
    ("tz", "Mars/Olympus_Mons", "an IANA time zone"),
])
def test_a_wrong_parameter_is_named_with_what_is_allowed(tmp_path, parameter, value, allowed):
    with pytest.raises(ConfigError) as err:
        config.load(tmp_path / "absent.cfg", environ={}, overrides={f"analytics.{parameter}": value})
    assert str(err.value).startswith(f"parameter {parameter} = {str(value)!r}: expected {allowed}")
    assert err.value.parameter == parameter


def test_an_end_date_before_the_start_date_is_refused_naming_both(tmp_path):
    with pytest.raises(ConfigError, match=r"^parameter end_date = '2018-11-01': expected a day on or after "
                                          r"start_date \(2018-11-15\)"):
        config.load(tmp_path / "absent.cfg", environ={},
                    overrides={"analytics.start_date": "2018-11-15", "analytics.end_date": "2018-11-01"})


def test_a_wrong_analytics_value_in_the_file_names_file_section_and_key(tmp_path):
    path = write(tmp_path, "[analytics]\ntz = Nowhere/Town\n")
    with pytest.raises(ConfigError, match=r"dwh.cfg \[analytics\] tz = 'Nowhere/Town': expected an IANA"):
        config.load(path, environ={})
