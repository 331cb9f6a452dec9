"""A master URL's credentials (``zk://user:password@...``,
``http://user:password@...``) never show: not in the message of any error
a Context can raise (a master that does not answer, a bad setting, a bad
URL, a failed job), not in its ``repr`` or ``str``."""
import numpy as np
import pytest

import rmesos
from conftest import cargo_binary

PASSWORD = "S3cretPassw0rd"
# A zk:// master may carry ZooKeeper credentials (nobody answers on port
# 9); an http:// one may not (refused as a bad URL, credentials hidden).
UNREACHABLE = [
    (f"zk://alice:{PASSWORD}@127.0.0.1:9/mesos", ConnectionError),
    (f"http://alice:{PASSWORD}@127.0.0.1:9", ValueError),
]


def assert_hidden(text):
    # The user name may show (zk://alice:***@...), the password never.
    assert PASSWORD not in text, text


def raised(call):
    with pytest.raises(Exception) as info:
        call()
    return info.value


def all_text(error):
    """The message of `error` and of every exception it chains to."""
    parts = []
    while error is not None:
        parts += [str(error), repr(error), *map(str, getattr(error, "args", ()))]
        error = error.__cause__ or error.__context__
    return "\n".join(parts)


@pytest.mark.parametrize("master,kind", UNREACHABLE)
def test_connect_failure_hides_the_password(master, kind):
    error = raised(lambda: rmesos.Context(master, connect_timeout="1s",
                                          data_bind="127.0.0.1:0", ui_bind="off"))
    assert isinstance(error, kind), error
    assert "***" in str(error), error
    assert_hidden(all_text(error))


@pytest.mark.parametrize("master,_kind", UNREACHABLE)
def test_bad_settings_hide_the_password(master, _kind):
    for keywords in [{"task_cpus": "lots"}, {"connect_timeout": "-1"}, {"no_such_keyword": 1}]:
        assert_hidden(all_text(raised(lambda: rmesos.Context(master, **keywords))))


def test_a_secret_refused_over_plain_http_hides_the_password(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("framework-secret-value\n")
    error = raised(lambda: rmesos.Context(UNREACHABLE[0][0], principal="p",
                                          secret_file=str(secret), ui_bind="off"))
    assert isinstance(error, ValueError), error
    assert "--secret-over-http on" in str(error) and "***" in str(error), error
    assert_hidden(all_text(error))
    assert "framework-secret-value" not in all_text(error)


def test_bad_master_urls_hide_the_password():
    for master in [f"zk://alice:{PASSWORD}@", f"zk://alice:{PASSWORD}@host:notaport/mesos",
                   f"http://alice:{PASSWORD}@host:5050:7", f"ftp://alice:{PASSWORD}@host/x"]:
        assert_hidden(all_text(raised(lambda: rmesos.Context(master))))
        assert_hidden(all_text(raised(lambda: rmesos.col_stats(np.ones((3, 2)), master))))


def with_credentials(zk_url):
    return zk_url.replace("zk://", f"zk://alice:{PASSWORD}@", 1)


def test_a_connected_context_and_its_failed_jobs_hide_the_password(simulated_cluster, tmp_path):
    master = with_credentials(simulated_cluster)
    sc = rmesos.Context(master, appName="pytest-credentials",
                        executor_file=str(cargo_binary("rmesos-executor")),
                        data_bind="127.0.0.1:0", ui_bind="127.0.0.1:0")
    try:
        assert sc.master == master
        assert "***@" in repr(sc) and PASSWORD not in repr(sc), repr(sc)
        for shown in [repr(sc), str(sc), f"{sc}", repr(sc.parallelize(np.ones((4, 2)), 2))]:
            assert_hidden(shown)
        bad = tmp_path / "bad.csv"
        bad.write_text("1,2\n3,oops\n")
        error = raised(lambda: rmesos.Statistics.colStats(sc.csv_file(bad, numSlices=1)))
        assert_hidden(all_text(error))
    finally:
        sc.stop()
    assert_hidden(repr(sc))
    assert_hidden(all_text(raised(lambda: rmesos.Statistics.colStats(sc.parallelize(np.ones((2, 2)))))))
