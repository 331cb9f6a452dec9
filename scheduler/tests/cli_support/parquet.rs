//! The pyarrow helper of the Parquet and object tests: writes Parquet
//! files (every numeric type, nulls, codecs, datasets of many files) and
//! prints numpy's statistics of the columns rmesos should read.

use serde_json::Value;

use super::{assert_vector_close, python_json};

/// Writes a Parquet file with pyarrow and prints numpy's statistics of
/// the columns rmesos should read (as JSON, with their names).
pub const PYARROW_HELPER: &str = r#"
import decimal
import pyarrow as pa
import pyarrow.parquet as pq

def as_float(column):
    # Nulls become NaN, as rmesos reads them.
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_decimal(column.type):
        column = column.cast(pa.float64())
    return column.to_numpy(zero_copy_only=False).astype(np.float64)

def mixed(rows, seed):
    rng = np.random.default_rng(seed)
    nulls = rng.random(rows) < 0.1
    return pa.table({
        "price": rng.normal(50, 5, rows),
        "label": pa.array([f"row{i}" for i in range(rows)]),
        "qty": pa.array(rng.integers(-1000, 1000, rows), pa.int32()),
        "big": pa.array(rng.integers(0, 2**63, rows, dtype=np.uint64) + np.uint64(2**63)),
        "flag": pa.array(rng.random(rows) < 0.3),
        "ratio": pa.array(rng.random(rows).astype(np.float32)),
        "maybe": pa.array(np.where(nulls, None, rng.normal(0, 1, rows)).tolist(), pa.float64()),
        "level": pa.array(rng.integers(0, 4, rows), pa.int64()).dictionary_encode(),
        "amount": pa.array([decimal.Decimal(int(v)).scaleb(-2) for v in rng.integers(-10**6, 10**6, rows)],
                           pa.decimal128(12, 2)),
        "when": pa.array(rng.integers(0, 10**15, rows), pa.timestamp("us")),
        "small": pa.array(rng.integers(0, 200, rows), pa.uint8()),
    })

kind, path = sys.argv[1], sys.argv[2]
if kind == "mixed":
    rows, group, codec = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    selection = sys.argv[6].split(",") if len(sys.argv) > 6 else None
    table = mixed(rows, 7)
    pq.write_table(table, path, row_group_size=group, compression=codec)
    table = pq.read_table(path)
    if selection is None:
        selection = [f.name for f in table.schema
                     if f.name not in ("label", "when")]
    x = np.column_stack([as_float(table.column(n).combine_chunks()) for n in selection]) \
        if rows else np.zeros((0, len(selection)))
    print(json.dumps(stats(x, selection)))
elif kind == "many":
    # A directory of parts in three formats, and numpy's statistics of
    # all their rows in name order.
    rng = np.random.default_rng(3)
    parts = [rng.normal(10, 2, size=(n, 3)) for n in (500, 1, 0, 777, 64)]
    names = ["a", "b", "c"]
    for i, x in enumerate(parts):
        stem = f"{path}/part-{i:02d}"
        if i % 3 == 0:
            np.save(stem + ".npy", x)
        elif i % 3 == 1:
            np.savetxt(stem + ".csv", x, fmt="%.17g", delimiter=",")
        else:
            pq.write_table(pa.table({n: x[:, j] for j, n in enumerate(names)}), stem + ".parquet",
                           row_group_size=100)
    open(f"{path}/_SUCCESS", "w").close()
    all_rows = np.concatenate(parts)
    print(json.dumps(stats(all_rows, None)))
else:
    sys.exit(f"unknown kind {kind}")
"#;

/// Runs the pyarrow helper with `args`; numpy's statistics as JSON.
pub fn pyarrow(args: &[&str]) -> Value {
    python_json(PYARROW_HELPER, args, "pyarrow helper")
}

/// Same keys, same column names, numbers within 1e-9 relative.
pub fn assert_matches(actual: &Value, expected: &Value, context: &str) {
    let keys = |v: &Value| v.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
    assert_eq!(keys(actual), keys(expected), "{context}: keys");
    assert_eq!(actual["count"], expected["count"], "{context}: count");
    assert_eq!(actual["columns"], expected["columns"], "{context}: columns");
    for (name, want) in expected.as_object().into_iter().flatten() {
        let (Some(got), Some(want)) = (actual[name].as_array(), want.as_array()) else {
            continue;
        };
        if name == "columns" {
            continue;
        }
        assert_vector_close(got, want, context, name);
    }
}
