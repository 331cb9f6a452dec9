//! The Parquet reader's two paths agree: column by column (the eight
//! statistics only, with the short path for DOUBLE pages) and row by row
//! (taken when an optional part such as the correlation needs whole
//! rows). Files are written by pyarrow in the layouts that choose between
//! the short path and the generic decoder: PLAIN and dictionary pages, a
//! dictionary that overflows into PLAIN mid-chunk, nulls, required
//! columns, data page v1 and v2, several codecs, many pages and row
//! groups, byte-stream-split pages, and float32/int/bool columns mixed
//! with doubles; numpy computes the expected statistics.

mod readers_support;

use readers_support::{assert_matches_numpy, assert_same_rows, run_numpy};
use rmesos_common::readers::ParquetFile;
use rmesos_common::stats::StatsRequest;

/// Writes the file `argv[1]` in layout `argv[2]` and prints numpy's
/// statistics of its numeric columns (nulls as NaN; min and max skip NaN).
const WRITE_PARQUET: &str = r#"
import pyarrow as pa, pyarrow.parquet as pq
path, layout = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(11)
rows = 20000

def nullable(values, share):
    mask = rng.random(len(values)) < share
    return pa.array(values, mask=mask)

cols = {
    "wide": rng.uniform(-1e3, 1e3, rows),
    "few": rng.integers(-3, 4, rows).astype(np.float64),
    "holes": nullable(rng.normal(5, 2, rows), 0.2),
    "sparse": nullable(rng.normal(0, 1, rows), 0.97),
    "allnull": pa.array([None] * rows, pa.float64()),
    "zeros": np.where(rng.random(rows) < 0.5, 0.0, rng.normal(0, 1, rows)),
}
options = dict(row_group_size=6000, data_page_size=8192, compression="snappy")
required = {"wide", "zeros"}
if layout == "plain":
    options.update(use_dictionary=False)
elif layout == "dictionary":
    # Room for the small columns' dictionaries only: the wide ones fall
    # back to PLAIN pages part way through each chunk.
    options.update(dictionary_pagesize_limit=4096, compression="none")
elif layout == "v2":
    options.update(data_page_version="2.0", compression="zstd")
elif layout == "v2-snappy":
    options.update(data_page_version="2.0", use_dictionary=["few"])
elif layout == "split":
    options.update(use_dictionary=False, use_byte_stream_split=["wide", "holes"])
elif layout == "mixed":
    cols.update({
        "f32": nullable(rng.normal(1, 3, rows).astype(np.float32), 0.1),
        "i32": pa.array(rng.integers(-50, 50, rows), pa.int32()),
        "i64": nullable(rng.integers(-10**12, 10**12, rows), 0.05),
        "flag": pa.array(rng.random(rows) < 0.4),
    })
    options.update(compression="gzip")
fields = [pa.field(n, pa.array(v).type if not isinstance(v, pa.Array) else v.type,
                   nullable=n not in required) for n, v in cols.items()]
table = pa.table(cols, schema=pa.schema(fields))
pq.write_table(table, path, **options)
x = np.column_stack([table.column(n).to_numpy(zero_copy_only=False).astype(np.float64)
                     for n in cols])
with np.errstate(all="ignore"):
    import warnings
    warnings.simplefilter("ignore")
    out = stats(x)
    out["min"] = floats(np.nanmin(x, axis=0))
    out["max"] = floats(np.nanmax(x, axis=0))
out["names"] = list(cols)
print(json.dumps(out))
"#;

fn check_layout(layout: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{layout}.parquet"));
    let expected = run_numpy(WRITE_PARQUET, &[path.to_str().unwrap(), layout]);
    let file = ParquetFile::open(&path, None).unwrap();
    let names: Vec<String> = expected["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(file.column_names(), names, "{layout}: columns");
    let groups = file.row_group_rows().len();
    assert!(groups >= 3, "{layout}: several row groups");
    let rows_wise = StatsRequest {
        corr: true,
        quantile_error: None,
    };
    let by_columns = file.summarize_row_groups(0..groups).unwrap();
    let by_rows = file
        .summarize_row_groups_for(0..groups, &rows_wise)
        .unwrap();
    assert_matches_numpy(&by_columns, &expected, &format!("{layout}: by columns"));
    assert_same_rows(&by_columns, &by_rows, &format!("{layout}: columns vs rows"));
    // A partition of some row groups reads the same both ways too.
    let some_columns = file.summarize_row_groups(1..groups).unwrap();
    let some_rows = file
        .summarize_row_groups_for(1..groups, &rows_wise)
        .unwrap();
    assert_same_rows(&some_columns, &some_rows, &format!("{layout}: groups 1.."));
    assert_eq!(
        some_columns.count(),
        file.row_group_rows()[1..].iter().sum::<u64>()
    );
}

#[test]
fn plain_pages_read_the_same_by_columns_and_by_rows() {
    check_layout("plain");
}

#[test]
fn dictionary_pages_and_their_plain_fallback_read_the_same() {
    check_layout("dictionary");
}

#[test]
fn data_pages_v2_read_the_same() {
    check_layout("v2");
    check_layout("v2-snappy");
}

#[test]
fn byte_stream_split_pages_take_the_generic_decoder() {
    check_layout("split");
}

#[test]
fn other_types_mixed_with_doubles_read_the_same() {
    check_layout("mixed");
}
