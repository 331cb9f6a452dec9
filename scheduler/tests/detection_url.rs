//! Master URL parsing: the zk://, http(s):// and file:// forms, duplicate
//! hosts, and errors that name the wrong part and never show the password.

use rmesos_scheduler::detection::{MasterUrl, MasterUrlError, ZooKeeperHost, ZooKeeperUrl};

const PASSWORD: &str = "s3cr3t-p@ss:word";

fn zk(url: &str) -> ZooKeeperUrl {
    match MasterUrl::parse(url).unwrap() {
        MasterUrl::ZooKeeper(zk) => zk,
        other => panic!("expected a zk URL, got {other:?}"),
    }
}

fn host(host: &str, port: u16) -> ZooKeeperHost {
    ZooKeeperHost {
        host: host.into(),
        port,
    }
}

#[test]
fn parses_zk_urls_with_several_hosts() {
    let url = zk("zk://zoo1:2181,zoo2:2182,10.0.0.3:2183/mesos");
    assert_eq!(
        url.servers(),
        [
            host("zoo1", 2181),
            host("zoo2", 2182),
            host("10.0.0.3", 2183)
        ]
    );
    assert_eq!(url.path(), "/mesos");
    assert!(url.credentials().is_none());
    assert_eq!(url.connect_string(), "zoo1:2181,zoo2:2182,10.0.0.3:2183");
}

#[test]
fn duplicate_hosts_are_listed_once_and_defaults_apply() {
    let url = zk(" zk://zoo1:2181,zoo1:2181,zoo1,[::1]:2190/a/b/ ");
    assert_eq!(url.servers(), [host("zoo1", 2181), host("::1", 2190)]);
    assert_eq!(url.path(), "/a/b");
    assert_eq!(url.connect_string(), "zoo1:2181,[::1]:2190");
}

#[test]
fn credentials_are_parsed_and_never_shown() {
    let text = format!("zk://alice:{PASSWORD}@zoo1:2181/mesos");
    let url = MasterUrl::parse(&text).unwrap();
    let MasterUrl::ZooKeeper(zk) = &url else {
        panic!("expected zk")
    };
    let credentials = zk.credentials().unwrap();
    assert_eq!(credentials.user, "alice");
    assert_eq!(credentials.password.expose(), PASSWORD);
    for shown in [
        format!("{url}"),
        format!("{url:?}"),
        format!("{credentials:?}"),
    ] {
        assert!(!shown.contains(PASSWORD), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }
    assert_eq!(url.to_string(), "zk://alice:***@zoo1:2181/mesos");
}

#[test]
fn fixed_masters() {
    for (text, tls, endpoint) in [
        ("http://master1:5050", false, "master1:5050"),
        ("https://10.1.1.1:8443/", true, "10.1.1.1:8443"),
        ("http://master2", false, "master2:5050"),
    ] {
        let MasterUrl::Fixed(master) = MasterUrl::parse(text).unwrap() else {
            panic!("expected a fixed master for {text}")
        };
        assert_eq!(master.tls, tls);
        assert_eq!(master.endpoint.to_string(), endpoint);
    }
}

#[test]
fn file_urls_are_read_at_parse_time() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("master");
    std::fs::write(&file, format!("  zk://bob:{PASSWORD}@zoo9:2181/mesos\n")).unwrap();
    let url = MasterUrl::parse(&format!("file://{}", file.display())).unwrap();
    let MasterUrl::ZooKeeper(zk) = url else {
        panic!("expected zk")
    };
    assert_eq!(zk.servers(), [host("zoo9", 2181)]);
    assert_eq!(zk.credentials().unwrap().password.expose(), PASSWORD);

    let missing = dir.path().join("absent");
    let error = MasterUrl::parse(&format!("file://{}", missing.display())).unwrap_err();
    assert!(matches!(error, MasterUrlError::FileRead { .. }));
    assert!(error.to_string().contains("absent"), "{error}");

    std::fs::write(&file, "\n").unwrap();
    let error = MasterUrl::from_file(&file).unwrap_err();
    assert!(matches!(error, MasterUrlError::FileEmpty { .. }), "{error}");

    std::fs::write(&file, format!("file://{}", file.display())).unwrap();
    let error = MasterUrl::from_file(&file).unwrap_err();
    assert!(
        matches!(error, MasterUrlError::NestedFile { .. }),
        "{error}"
    );

    std::fs::write(&file, format!("zk://carol:{PASSWORD}@zoo1:99999/mesos")).unwrap();
    let error = MasterUrl::from_file(&file).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("99999") && text.contains("master"), "{text}");
    assert!(!text.contains("s3cr3t"), "{text}");

    let error = MasterUrl::parse("file://relative/path").unwrap_err();
    assert!(matches!(error, MasterUrlError::BadFileUrl), "{error}");
}

#[test]
fn bad_urls_name_the_wrong_part() {
    let cases: &[(&str, &str)] = &[
        ("zoo1:2181/mesos", "must start with"),
        ("local[4]", "must start with"),
        ("ftp://zoo1/mesos", "\"ftp\""),
        ("zk:///mesos", "no ZooKeeper servers"),
        ("zk://zoo1:2181,,zoo2:2181/mesos", "#2"),
        ("zk://zoo1:abc/mesos", "\"abc\""),
        ("zk://zoo1:0/mesos", "\"0\""),
        ("zk://zoo1:65536/mesos", "\"65536\""),
        ("zk://zo!o1:2181/mesos", "\"zo!o1\""),
        ("zk://zoo1:2181", "no path"),
        ("zk://zoo1:2181/", "no path"),
        ("zk://zoo1:2181/a//b", "empty segment"),
        ("zk://zoo1:2181/a/../b", "'..'"),
        ("http://master:5050/api", "\"/api\""),
        ("http://:5050", "invalid host"),
    ];
    for (text, expected) in cases {
        let error = MasterUrl::parse(text).unwrap_err().to_string();
        assert!(error.contains(expected), "{text}: {error}");
    }
}

#[test]
fn credential_errors_do_not_echo_secrets() {
    let cases = [
        // No ':' at all: the whole user info could be a password.
        "zk://s3cr3tonly@zoo1:2181/mesos".to_owned(),
        format!("zk://:{PASSWORD}@zoo1:2181/mesos"),
        "zk://alice:@zoo1:2181/mesos".to_owned(),
        // A '/' inside the password moves part of it past the host list.
        format!("zk://alice:ab/{PASSWORD}@zoo1:2181/mesos"),
        format!("http://alice:{PASSWORD}@master:5050"),
    ];
    for text in &cases {
        let error = MasterUrl::parse(text).unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(!shown.contains("ab/"), "{shown}");
    }
}
