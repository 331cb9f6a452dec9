//! Caps on sizes that come from input (file headers, first lines, task
//! descriptions, returned summaries), so that a small hostile input is
//! refused with an error naming the limit instead of aborting the process
//! on a huge allocation. Every cap lives here.
//!
//! The caps sit far above any real table: a summary costs about 64 bytes
//! per column, so the default column cap bounds one summary at ~64 MB.
//! The one cap that can be raised is the column count, through the
//! environment variable [`MAX_COLUMNS_ENV`] (read in [`max_columns`]); the
//! CSV line cap follows it, at [`CSV_BYTES_PER_COLUMN`] bytes per column.

/// Columns of a table (a `.npy` shape, a `.csv` line, a served task's
/// `ncols`) unless raised through [`MAX_COLUMNS_ENV`].
pub const DEFAULT_MAX_COLUMNS: usize = 1_000_000;

/// The environment variable that raises (or lowers) [`DEFAULT_MAX_COLUMNS`]:
/// a positive integer.
pub const MAX_COLUMNS_ENV: &str = "RMESOS_MAX_COLUMNS";

/// Bytes a `.csv` line may take per allowed column (a 17-digit number with
/// sign, exponent and delimiter fits), so the line cap is 32 MiB by default.
pub const CSV_BYTES_PER_COLUMN: usize = 32;

/// The column cap in force: [`MAX_COLUMNS_ENV`] when it is set to a
/// positive integer, else [`DEFAULT_MAX_COLUMNS`].
pub fn max_columns() -> usize {
    std::env::var(MAX_COLUMNS_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_MAX_COLUMNS)
}

/// The longest `.csv` line accepted, in bytes.
pub fn max_csv_line_bytes() -> usize {
    max_columns().saturating_mul(CSV_BYTES_PER_COLUMN)
}

/// `Err` with a message naming `what`, the count, the cap and how to raise
/// it, when `cols` exceeds [`max_columns`].
pub fn check_columns(what: &str, cols: u128) -> Result<(), String> {
    let cap = max_columns();
    if cols > cap as u128 {
        return Err(too_many_columns(what, cols, cap));
    }
    Ok(())
}

fn too_many_columns(what: &str, cols: u128, cap: usize) -> String {
    format!(
        "{what} of {cols} columns exceeds the limit of {cap} columns \
         (set {MAX_COLUMNS_ENV} to raise it)"
    )
}

/// The message for a `.csv` line longer than `cap` bytes.
pub fn csv_line_too_long(cap: usize) -> String {
    format!(
        "a line longer than {cap} bytes exceeds the line limit \
         ({CSV_BYTES_PER_COLUMN} bytes per allowed column; set {MAX_COLUMNS_ENV} to raise it)"
    )
}

/// Bytes of a non-streaming HTTP body (a JSON call or answer; served rows
/// stream and are bounded by their row count instead).
pub const MAX_HTTP_BODY_BYTES: usize = 64 << 20;

/// Bytes of one partition's result an executor reports on its
/// authenticated channel: a plain summary is about 64 bytes a column, but a
/// job asking for a correlation matrix (up to 8192^2 floats) or quantile
/// sketches (a few MB a column at a small relative error) sends more.
pub const MAX_RESULT_BYTES: usize = 1 << 30;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_message_names_the_count_the_cap_and_the_variable() {
        let message = too_many_columns("shape", 1_000_000_000_000, 1_000_000);
        assert!(message.contains("1000000000000"), "{message}");
        assert!(message.contains("1000000"), "{message}");
        assert!(message.contains(MAX_COLUMNS_ENV), "{message}");
    }

    #[test]
    fn the_default_cap_is_in_force_without_the_variable() {
        // Tests never set the variable.
        assert_eq!(max_columns(), DEFAULT_MAX_COLUMNS);
        assert!(check_columns("x", DEFAULT_MAX_COLUMNS as u128).is_ok());
        assert!(check_columns("x", DEFAULT_MAX_COLUMNS as u128 + 1).is_err());
    }
}
