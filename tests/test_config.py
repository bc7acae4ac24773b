"""Settings: defaults, file, environment, parameters; errors that say where."""

import configparser
import re
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
    path = write(tmp_path, "[cluster]\nnode_count = 4\naccess = direct\nfinal_snapshot = yes\n"
                           "[network]\nallowed_cidrs = 203.0.113.7/32, 198.51.100.0/24\n")
    settings = config.load(path, environ={})
    assert settings.get("cluster", "node_count") == 4
    assert (settings.access, settings.publicly_accessible) == ("direct", True)
    assert settings.get("cluster", "final_snapshot") is True
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
    with pytest.raises(ConfigError, match=r"\[cluster\] nodes: unknown key; allowed in \[cluster\]: kind, access, identifier"):
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


# --- Redshift settings that AWS or the security controls would refuse ------------------------

def test_access_defaults_to_the_data_api_and_a_private_cluster(tmp_path):
    settings = config.load(tmp_path / "absent.cfg", environ={})
    assert (settings.access, settings.publicly_accessible) == ("data_api", False)


def test_the_old_publicly_accessible_key_is_refused_saying_to_use_access(tmp_path):
    with pytest.raises(ConfigError, match=r"\[cluster\] publicly_accessible: replaced by \[cluster\] access: "
                                          r"data_api .* or direct \(public endpoint\)"):
        config.load(write(tmp_path, "[cluster]\npublicly_accessible = true\n"), environ={})
    with pytest.raises(ConfigError, match=r"SPARKIFY_CLUSTER_PUBLICLY_ACCESSIBLE: \[cluster\] publicly_accessible "
                                          r"is replaced by \[cluster\] access"):
        config.load(tmp_path / "absent.cfg", environ={"SPARKIFY_CLUSTER_PUBLICLY_ACCESSIBLE": "true"})
    with pytest.raises(ConfigError, match=r"override 'cluster.publicly_accessible': replaced by"):
        config.load(tmp_path / "absent.cfg", environ={}, overrides={"cluster.publicly_accessible": True})


def test_a_wrong_access_mode_names_the_allowed_ones(tmp_path):
    with pytest.raises(ConfigError, match=r"\[cluster\] access = 'public': expected one of: data_api, direct"):
        config.load(write(tmp_path, "[cluster]\naccess = public\n"), environ={})


@pytest.mark.parametrize("capacity", [4, 8, 16, 128, 512, 544, 1024])
def test_base_capacity_takes_4_then_steps_of_8_to_512_then_steps_of_32(tmp_path, capacity):
    settings = config.load(tmp_path / "absent.cfg", environ={}, overrides={"cluster.base_capacity": capacity})
    assert settings.get("cluster", "base_capacity") == capacity


@pytest.mark.parametrize("capacity", [0, 3, 5, 12, 520, 530, 1056, "many"])
def test_base_capacity_refuses_what_serverless_refuses_naming_the_steps(tmp_path, capacity):
    with pytest.raises(ConfigError, match=r"parameter base_capacity = .*: expected 4, a multiple of 8 from 8 to 512, "
                                          r"or a multiple of 32 from 544 to 1024 \(RPUs\)"):
        config.load(tmp_path / "absent.cfg", environ={}, overrides={"cluster.base_capacity": capacity})


@pytest.mark.parametrize("port", [5431, 5439, 5455, 8191, 8215])
def test_port_takes_the_ranges_of_ra3_and_serverless(tmp_path, port):
    for kind in ("provisioned", "serverless"):
        settings = config.load(tmp_path / "absent.cfg", environ={},
                               overrides={"cluster.port": port, "cluster.kind": kind})
        assert settings.get("cluster", "port") == port


@pytest.mark.parametrize("port, kind", [(5430, "provisioned"), (5456, "serverless"), (8190, "provisioned"),
                                        (8216, "serverless"), (1150, "provisioned")])
def test_port_outside_the_ra3_ranges_is_refused_naming_them(tmp_path, port, kind):
    with pytest.raises(ConfigError, match=r"parameter port = .*: expected a port in 5431-5455 or 8191-8215 for "
                                          r"(ra3\.large nodes|Redshift Serverless)"):
        config.load(tmp_path / "absent.cfg", environ={}, overrides={"cluster.port": port, "cluster.kind": kind})


def test_dc2_nodes_keep_their_wider_port_range(tmp_path):
    settings = config.load(tmp_path / "absent.cfg", environ={},
                           overrides={"cluster.port": 1150, "cluster.node_type": "dc2.large"})
    assert settings.get("cluster", "port") == 1150


@pytest.mark.parametrize("key, value, control", [("db_user", "awsuser", "Redshift.8"),
                                                 ("db_name", "dev", "Redshift.9")])
def test_default_redshift_names_that_fail_a_security_control_are_refused(tmp_path, key, value, control):
    with pytest.raises(ConfigError, match=rf"\[cluster\] {key} = '{value}': expected a name other than '{value}' "
                                          rf"\(Security Hub control {control} fails on the default name\)"):
        config.load(write(tmp_path, f"[cluster]\n{key} = {value}\n"), environ={})


def test_allowed_cidrs_with_the_data_api_is_refused_saying_why(tmp_path):
    with pytest.raises(ConfigError, match=r"\[network\] allowed_cidrs = '203.0.113.7/32': applies to \[cluster\] "
                                          r"access = direct only"):
        config.load(write(tmp_path, "[network]\nallowed_cidrs = 203.0.113.7/32\n"), environ={})


def test_a_rehearsal_is_the_redshift_target_on_the_local_stack(tmp_path):
    settings = config.load(tmp_path / "absent.cfg", environ={"SPARKIFY_TARGET": "redshift",
                                                            "SPARKIFY_GENERAL_REHEARSAL": "true"})
    assert (settings.target, settings.is_local, settings.rehearsal, settings.on_emulator) == (
        "redshift", False, True, True)
    assert settings.source_uri("song_data") == "s3://udacity-dend/song_data"  # the very sources of a real run


def test_redshift_without_rehearsal_is_not_on_the_emulator(tmp_path):
    settings = config.load(write(tmp_path, "[general]\ntarget = redshift\n"), environ={})
    assert (settings.rehearsal, settings.on_emulator) == (False, False)


@pytest.mark.parametrize("text, key, says", [
    ("[general]\nrehearsal = true\n", "[general] rehearsal", "set target = redshift with it"),
])
def test_what_a_rehearsal_cannot_run_is_refused_naming_the_key(tmp_path, text, key, says):
    with pytest.raises(ConfigError) as err:
        config.load(write(tmp_path, text), environ={})
    assert key in str(err.value) and says in str(err.value)


# --- names AWS would refuse (sparkify_nb/config_names.py) --------------------------------------

@pytest.mark.parametrize("stack, derived", [
    ("a--b", "Redshift parameter group (CreateClusterParameterGroup ParameterGroupName) would be 'a--b-params'"),
    ("sparkify-", "Redshift parameter group (CreateClusterParameterGroup ParameterGroupName) would be "
                  "'sparkify--params'"),
    ("s" * 46, "IAM role (CreateRole RoleName) would be '" + "s" * 46 + "-redshift-scheduler'"),
])
def test_a_stack_name_that_makes_a_name_aws_refuses_is_refused_naming_the_name(tmp_path, stack, derived):
    with pytest.raises(ConfigError) as caught:
        config.load(write(tmp_path, f"[general]\nstack_name = {stack}\n"), environ={})
    assert f"[general] stack_name = '{stack}': expected a value from which every AWS name made is valid: the " \
           f"{derived}, which AWS refuses" in str(caught.value)


@pytest.mark.parametrize("ident, rule", [
    ("ab", "lowercase letters, digits and hyphens, 3 to 64 characters"),
    ("dwh-", "1 to 63 lowercase letters, digits or hyphens, starting with a letter, not ending with a hyphen, no "
             "two hyphens in a row"),
    ("d--wh", "1 to 63 lowercase letters"),
])
def test_an_identifier_the_cluster_or_workgroup_api_refuses_is_refused_with_what_it_takes(tmp_path, ident, rule):
    with pytest.raises(ConfigError, match=r"parameter identifier = '" + re.escape(ident) + r"': expected a value "
                                          r".*\(it takes " + re.escape(rule)):
        config.load(tmp_path / "absent.cfg", environ={}, overrides={"cluster.identifier": ident})


def test_the_longest_stack_name_every_derived_name_takes_is_accepted(tmp_path):
    settings = config.load(tmp_path / "absent.cfg", environ={}, overrides={"general.stack_name": "s" * 45,
                                                                           "cluster.identifier": "a" * 63})
    assert (len(settings.stack_name), len(settings.get("cluster", "identifier"))) == (45, 63)
