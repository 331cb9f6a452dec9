//! The value types of session settings that need more checking than
//! their Rust type gives: each has one parser (`FromStr`), used alike for
//! a command-line flag, an `RMESOS_*` variable and a Python keyword, so
//! that a bad value gets the same message on every front. Durations are
//! `rmesos_common::duration::Timeout`; the status page's address is
//! `crate::ui::UiBind`.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use super::master::MasterUrl;

/// A finite number above zero (cpus, megabytes).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Positive(f64);

impl Positive {
    /// `value` when it is finite and above zero.
    pub fn new(value: f64) -> Option<Positive> {
        (value.is_finite() && value > 0.0).then_some(Positive(value))
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

impl FromStr for Positive {
    type Err = String;

    fn from_str(text: &str) -> Result<Positive, String> {
        text.trim()
            .parse()
            .ok()
            .and_then(Positive::new)
            .ok_or_else(|| format!("'{text}' is not a number above zero"))
    }
}

impl fmt::Display for Positive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// On or off (`on`/`off`, also `true`/`false`, `yes`/`no`, `1`/`0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switch(pub bool);

impl FromStr for Switch {
    type Err = String;

    fn from_str(text: &str) -> Result<Switch, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "on" | "true" | "yes" | "1" => Ok(Switch(true)),
            "off" | "false" | "no" | "0" => Ok(Switch(false)),
            _ => Err(format!("'{text}' is neither on nor off")),
        }
    }
}

impl fmt::Display for Switch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0 { "on" } else { "off" })
    }
}

/// The scheme masters are spoken to with: http or https.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheme {
    pub https: bool,
}

impl FromStr for Scheme {
    type Err = String;

    fn from_str(text: &str) -> Result<Scheme, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "http" => Ok(Scheme { https: false }),
            "https" => Ok(Scheme { https: true }),
            _ => Err(format!("'{text}' is neither http nor https")),
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.https { "https" } else { "http" })
    }
}

/// A whole number of 1 or more (attempts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AtLeastOne(u32);

impl AtLeastOne {
    pub fn new(value: u32) -> Option<AtLeastOne> {
        (value >= 1).then_some(AtLeastOne(value))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl FromStr for AtLeastOne {
    type Err = String;

    fn from_str(text: &str) -> Result<AtLeastOne, String> {
        text.trim()
            .parse()
            .ok()
            .and_then(AtLeastOne::new)
            .ok_or_else(|| format!("'{text}' is not a whole number of 1 or more"))
    }
}

impl fmt::Display for AtLeastOne {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An address to listen on, `host:port` with a numeric host (port 0: any
/// free port).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BindAddr(pub SocketAddr);

impl FromStr for BindAddr {
    type Err = String;

    fn from_str(text: &str) -> Result<BindAddr, String> {
        text.trim()
            .parse()
            .map(BindAddr)
            .map_err(|_| format!("'{text}' is not an address like 0.0.0.0:7077"))
    }
}

impl fmt::Display for BindAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A network port, 1 to 65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Port(pub u16);

impl FromStr for Port {
    type Err = String;

    fn from_str(text: &str) -> Result<Port, String> {
        text.trim()
            .parse()
            .ok()
            .filter(|port| *port != 0)
            .map(Port)
            .ok_or_else(|| format!("'{text}' is not a port number (1 to 65535)"))
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An OS user name, as the agents look it up: not empty, and no blank,
/// `/` or `:` (which no account name holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(pub String);

impl FromStr for UserName {
    type Err = String;

    fn from_str(text: &str) -> Result<UserName, String> {
        if text.is_empty() {
            return Err("a user name cannot be empty".into());
        }
        if text
            .chars()
            .any(|c| c.is_whitespace() || c == '/' || c == ':')
        {
            return Err(format!(
                "'{text}' is not a user name (it holds a blank, '/' or ':')"
            ));
        }
        Ok(UserName(text.to_owned()))
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A master URL as the user wrote it (Python shows it as
/// `Context.master`), checked when used (`url`): the parser's message
/// masks credentials, which a refused value shown by clap would not.
#[derive(Clone, PartialEq, Eq)]
pub struct Master(String);

impl Master {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL, or why it is none of the forms.
    pub fn url(&self) -> Result<MasterUrl, super::master::MasterUrlError> {
        MasterUrl::parse(&self.0)
    }
}

impl FromStr for Master {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Master, Self::Err> {
        Ok(Master(text.to_owned()))
    }
}

impl fmt::Debug for Master {
    /// Credentials masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Master({:?})", super::master::redact(&self.0))
    }
}

impl fmt::Display for Master {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_value_names_what_it_wanted() {
        assert_eq!("0.5".parse::<Positive>().map(Positive::get), Ok(0.5));
        for bad in ["0", "-1", "NaN", "inf", "lots", ""] {
            let error = bad.parse::<Positive>().unwrap_err();
            assert_eq!(error, format!("'{bad}' is not a number above zero"));
        }
        assert_eq!("4".parse::<AtLeastOne>().map(AtLeastOne::get), Ok(4));
        assert!("0".parse::<AtLeastOne>().is_err());
        assert!("1.5".parse::<AtLeastOne>().is_err());
        assert_eq!("5050".parse::<Port>(), Ok(Port(5050)));
        assert!("0".parse::<Port>().is_err());
        assert!("65536".parse::<Port>().is_err());
        assert!("0.0.0.0:7077".parse::<BindAddr>().is_ok());
        assert!("localhost:7077".parse::<BindAddr>().is_err());
        assert_eq!("jovyan".parse::<UserName>(), Ok(UserName("jovyan".into())));
        for bad in ["", "a b", "../root", "root:0"] {
            assert!(bad.parse::<UserName>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_master_keeps_its_text_and_hides_credentials_in_debug() {
        let master: Master = "zk://alice:s3cret@zoo1:2181/mesos".parse().unwrap();
        assert_eq!(master.as_str(), "zk://alice:s3cret@zoo1:2181/mesos");
        assert!(!format!("{master:?}").contains("s3cret"));
        let error = "locale[2]".parse::<Master>().unwrap().url().unwrap_err();
        assert!(error.to_string().contains("locale[2]"), "{error}");
    }
}
