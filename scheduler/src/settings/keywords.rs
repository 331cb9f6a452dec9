//! Settings from keywords, as Python's `rmesos.Context(...)` gives them
//! (`task_cpus="0.5"`): each keyword becomes its flag and the whole goes
//! through the same clap parser as `rmesos-submit`'s command line, so the
//! environment, the defaults and every value's parser and message are
//! the command line's. Also: which setting a clap error is about, so both
//! fronts can say whether a bad value came from a flag, a keyword or an
//! `RMESOS_*` variable.

use std::error::Error as _;

use clap::error::{ContextKind, ContextValue, Error as ClapError, ErrorKind};
use clap::{Arg, Args, Command, FromArgMatches};

use super::options::SettingsError;
use super::session::SessionSettings;

impl SessionSettings {
    /// The settings as a clap command of their own (flags, variables,
    /// defaults, help).
    pub fn command() -> Command {
        SessionSettings::augment_args(
            Command::new("rmesos")
                .no_binary_name(true)
                .args_override_self(true),
        )
    }

    /// The settings `keywords` give (keyword, value as text), the others
    /// from their `RMESOS_*` variables, else their defaults. A later
    /// keyword wins over an earlier one of the same name.
    pub fn from_keywords<K: AsRef<str>, V: AsRef<str>>(
        keywords: &[(K, V)],
    ) -> Result<SessionSettings, SettingsError> {
        let command = SessionSettings::command();
        let mut argv = Vec::with_capacity(keywords.len());
        for (keyword, value) in keywords {
            let keyword = keyword.as_ref();
            let long = command
                .get_arguments()
                .find(|arg| arg.get_id() == keyword)
                .and_then(Arg::get_long)
                .ok_or_else(|| SettingsError::Unknown(keyword.to_owned()))?;
            argv.push(format!("--{long}={}", value.as_ref()));
        }
        let given = |arg: &Arg| {
            keywords
                .iter()
                .any(|(keyword, _)| arg.get_id() == keyword.as_ref())
        };
        let matches = command
            .clone()
            .try_get_matches_from(argv)
            .map_err(|error| keyword_error(&command, &error, given))?;
        SessionSettings::from_arg_matches(&matches)
            .map_err(|error| keyword_error(&command, &error, given))
    }
}

/// A clap error about a setting, named by its keyword when the caller
/// gave it, else by its variable (the value came from the environment).
fn keyword_error(
    command: &Command,
    error: &ClapError,
    given: impl Fn(&Arg) -> bool,
) -> SettingsError {
    let message = value_message(error);
    let Some(arg) = invalid_setting(command, error) else {
        return SettingsError::Invalid {
            name: "settings".into(),
            message,
        };
    };
    let name = match arg.get_env() {
        Some(variable) if !given(arg) => variable.to_string_lossy().into_owned(),
        _ => arg.get_id().to_string(),
    };
    SettingsError::Invalid { name, message }
}

/// What the value's parser said (the same text on every front), or
/// clap's own first line for errors without one.
pub fn value_message(error: &ClapError) -> String {
    match error.source() {
        Some(source) if error.kind() == ErrorKind::ValueValidation => source.to_string(),
        _ => {
            let rendered = error.to_string();
            let first = rendered.lines().next().unwrap_or_default();
            first.trim_start_matches("error: ").to_owned()
        }
    }
}

/// The setting a clap error is about, if it is about one.
pub fn invalid_setting<'c>(command: &'c Command, error: &ClapError) -> Option<&'c Arg> {
    let Some(ContextValue::String(shown)) = error.get(ContextKind::InvalidArg) else {
        return None;
    };
    // Shown as "--task-cpus <CPUS>".
    let flag = shown.split(' ').next()?.strip_prefix("--")?;
    command
        .get_arguments()
        .find(|arg| arg.get_long() == Some(flag))
}

/// For a command line refused because of an `RMESOS_*` variable (the flag
/// was not given, and the variable holds the refused value): which one.
pub fn variable_at_fault(
    command: &Command,
    error: &ClapError,
    argv: &[std::ffi::OsString],
) -> Option<String> {
    let arg = invalid_setting(command, error)?;
    let variable = arg.get_env()?;
    let flag = format!("--{}", arg.get_long()?);
    let flag_given = argv.iter().any(|word| {
        let word = word.to_string_lossy();
        word == flag || word.starts_with(&format!("{flag}="))
    });
    let Some(ContextValue::String(value)) = error.get(ContextKind::InvalidValue) else {
        return None;
    };
    let from_env = std::env::var_os(variable).is_some_and(|v| v.to_string_lossy() == *value);
    (!flag_given && from_env).then(|| variable.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_parsed_like_flags_and_bad_ones_are_named() {
        let settings =
            SessionSettings::from_keywords(&[("task_cpus", "0.5"), ("appName", "x")]).unwrap();
        assert_eq!(settings.task_cpus.get(), 0.5);
        assert_eq!(settings.app_name, "x");
        let error = SessionSettings::from_keywords(&[("task_cpus", "-1")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "task_cpus: '-1' is not a number above zero"
        );
        let error = SessionSettings::from_keywords(&[("cpus", "1")]).unwrap_err();
        assert_eq!(error.to_string(), "unknown setting 'cpus'");
        let later_wins = SessionSettings::from_keywords(&[("role", "a"), ("role", "b")]).unwrap();
        assert_eq!(later_wins.role, "b");
    }
}
