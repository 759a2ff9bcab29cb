//! The examples' command lines: `--flag value` or `--flag=value`, and `--help`.

use std::fmt::Display;
use std::ops::RangeBounds;
use std::str::FromStr;

/// Walks `args`, calling `flag(name, value)` for each flag, where `value()`
/// takes that flag's value. `Ok(false)` means `--help` was asked for.
pub fn parse(
    args: impl IntoIterator<Item = String>,
    mut flag: impl FnMut(&str, &mut dyn FnMut() -> Result<String, String>) -> Result<(), String>,
) -> Result<bool, String> {
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--help" || arg == "-h" {
            return Ok(false);
        }
        let (name, mut inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name.to_string(), Some(value.into())),
            _ => (arg, None),
        };
        let mut value = || {
            inline
                .take()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        flag(&name, &mut value)?;
    }
    Ok(true)
}

/// `value` as a number in `range`, or an error that says what `flag` wants.
pub fn number<T>(
    flag: &str,
    value: &str,
    range: impl RangeBounds<T>,
    wants: &str,
) -> Result<T, String>
where
    T: FromStr + PartialOrd + Display,
{
    match value.parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(format!("{flag} wants {wants}, not {value:?}")),
    }
}

/// The error for a flag no example knows.
pub fn unknown(flag: &str) -> Result<(), String> {
    Err(format!("unknown argument {flag:?}"))
}

/// Runs `parse` on this process's arguments: the options, or the exit code
/// after printing the usage (for `--help`) or the error and the usage.
pub fn options<T>(
    usage: &str,
    parse: impl FnOnce(std::iter::Skip<std::env::Args>) -> Result<Option<T>, String>,
) -> Result<T, std::process::ExitCode> {
    match parse(std::env::args().skip(1)) {
        Ok(Some(options)) => Ok(options),
        Ok(None) => {
            println!("{usage}");
            Err(std::process::ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("error: {error}\n\n{usage}");
            Err(std::process::ExitCode::from(2))
        }
    }
}
