//! The settings a user gives a session, in one place: `SessionSettings`
//! (one field per setting: doc, default, unit, parser), read by the
//! command line, the `RMESOS_*` environment and Python's keywords alike
//! (`keywords`), listed for the README and the tests (`table`), and turned
//! into a cluster session's `ClusterOptions` (`options`). `MasterUrl` is
//! the master setting's parser; `values` holds the other value types.
//!
//! A front end's layer: it knows the cluster session, the status page's
//! address type and local mode; nothing below it knows it.

mod keywords;
mod master;
mod options;
mod session;
mod table;
mod values;

pub use keywords::{invalid_setting, value_message, variable_at_fault};
pub use master::{MASTER_FORMS, MasterUrl, MasterUrlError, redact};
pub use options::SettingsError;
pub use rmesos_common::duration::Timeout;
pub use session::SessionSettings;
pub use table::{SettingField, fields, readme_table};
pub use values::{AtLeastOne, BindAddr, Master, Port, Positive, Scheme, Switch, UserName};
