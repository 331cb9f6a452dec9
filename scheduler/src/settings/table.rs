//! The settings as a list (`fields`: keyword, flag, variable, default,
//! help of each) and as the README's option table (`readme_table`), both
//! read from `SessionSettings`' clap definition: the README and Python's
//! tests check themselves against it.

use clap::Arg;

use super::session::SessionSettings;

/// One setting, as users meet it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingField {
    /// The `rmesos.Context(...)` keyword.
    pub keyword: String,
    /// The command-line flag, with its leading `--`.
    pub flag: String,
    /// The flag's value placeholder (`SECS`).
    pub value_name: String,
    /// The `RMESOS_*` variable.
    pub variable: String,
    /// The default as text, if there is one.
    pub default: Option<String>,
    /// The help text (the doc comment's first paragraph), on one line.
    pub help: String,
    /// Kept out of `--help` and the README (packaging and tests).
    pub hidden: bool,
}

/// Every setting, in the order of `SessionSettings`.
pub fn fields() -> Vec<SettingField> {
    SessionSettings::command()
        .get_arguments()
        .filter(|arg| arg.get_long().is_some())
        .map(field)
        .collect()
}

fn field(arg: &Arg) -> SettingField {
    let text = |s: Option<&std::ffi::OsStr>| s.map(|s| s.to_string_lossy().into_owned());
    SettingField {
        keyword: arg.get_id().to_string(),
        flag: format!("--{}", arg.get_long().unwrap_or_default()),
        value_name: arg
            .get_value_names()
            .and_then(|names| names.first())
            .map(ToString::to_string)
            .unwrap_or_default(),
        variable: text(arg.get_env()).unwrap_or_default(),
        default: text(arg.get_default_values().first().map(|v| v.as_os_str())),
        help: arg
            .get_help()
            .map(|help| {
                help.to_string()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default(),
        hidden: arg.is_hide_set(),
    }
}

/// The README's table of session options: a header and one row per
/// setting that is not hidden.
pub fn readme_table() -> String {
    let mut table = String::from(
        "| CLI option | `Context(...)` keyword | environment | meaning (default) |\n\
         | --- | --- | --- | --- |\n",
    );
    for field in fields().into_iter().filter(|field| !field.hidden) {
        let default = field
            .default
            .map(|default| format!(" (`{default}`)"))
            .unwrap_or_default();
        // A '|' inside a cell (`ADDR|off`) would end it.
        let cell = |text: &str| text.replace('|', "\\|");
        table.push_str(&format!(
            "| `{} {}` | `{}` | `{}` | {}{} |\n",
            field.flag,
            cell(&field.value_name),
            field.keyword,
            field.variable,
            cell(&field.help),
            cell(&default)
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_has_a_flag_a_variable_and_help() {
        let fields = fields();
        assert!(fields.len() >= 20, "{fields:?}");
        for field in &fields {
            assert!(field.variable.starts_with("RMESOS_"), "{field:?}");
            assert!(!field.help.is_empty(), "{field:?}");
            assert!(!field.value_name.is_empty(), "{field:?}");
        }
        let app = fields.iter().find(|f| f.keyword == "appName").unwrap();
        assert_eq!(app.flag, "--name");
        assert_eq!(app.default.as_deref(), Some("rmesos"));
    }
}
