//! Binding a batch of rows to PostgreSQL as one array per column, for
//! `INSERT .. SELECT * FROM unnest($1::text[], $2::bigint[], ..)`.
//!
//! A multi-row `VALUES` list of 1,000 rows carries 24,000 parameters and a
//! statement text that PostgreSQL parses and plans afresh on every call
//! (about a third of its time on the service's ingest). One array per
//! column keeps the text constant whatever the batch size: it is parsed
//! once per connection, planned generically, and the rows arrive in a few
//! large parameters. Each array is sent as its text literal
//! (`{"a","b",NULL}`) and cast by the statement, which needs no array
//! support from the driver.

use sea_orm::{sea_query::ColumnType, Value};

use super::StorageError;

/// One array literal per column, filled row by row.
pub(crate) struct ColumnArrays {
    literals: Vec<String>,
    rows: usize,
}

impl ColumnArrays {
    pub fn new(columns: usize) -> Self {
        Self {
            literals: vec![String::from("{"); columns],
            rows: 0,
        }
    }

    /// Appends one row; `values` holds one value per column, in order.
    pub fn push_row(
        &mut self,
        values: impl IntoIterator<Item = Value>,
    ) -> Result<(), StorageError> {
        let mut count = 0;
        for (literal, value) in self.literals.iter_mut().zip(values) {
            if self.rows > 0 {
                literal.push(',');
            }
            push_element(literal, &value)?;
            count += 1;
        }
        if count != self.literals.len() {
            return Err(StorageError::Corrupt(format!(
                "a row of {count} values for {} columns",
                self.literals.len()
            )));
        }
        self.rows += 1;
        Ok(())
    }

    /// The finished literals, one bind value per column.
    pub fn into_values(self) -> Vec<Value> {
        self.literals
            .into_iter()
            .map(|mut literal| {
                literal.push('}');
                Value::from(literal)
            })
            .collect()
    }
}

/// `unnest($1::text[], $2::bigint[], ..)` for columns of `types`, with
/// bind placeholders from `$first`.
pub(crate) fn unnest_call(types: &[&str], first: usize) -> String {
    let arguments: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(offset, sql_type)| format!("${}::{sql_type}[]", first + offset))
        .collect();
    format!("unnest({})", arguments.join(", "))
}

/// The PostgreSQL element type of a column.
pub(crate) fn element_type(column_type: &ColumnType) -> Result<&'static str, StorageError> {
    Ok(match column_type {
        ColumnType::String(_) | ColumnType::Text | ColumnType::Char(_) => "text",
        ColumnType::BigInteger => "bigint",
        ColumnType::Integer => "integer",
        ColumnType::SmallInteger => "smallint",
        ColumnType::Boolean => "boolean",
        ColumnType::Double => "double precision",
        ColumnType::Float => "real",
        other => {
            return Err(StorageError::Corrupt(format!(
                "no array binding for column type {other:?}"
            )))
        }
    })
}

/// Appends `value` as one element of an array literal.
fn push_element(literal: &mut String, value: &Value) -> Result<(), StorageError> {
    use std::fmt::Write;
    let written = match value {
        Value::String(Some(text)) => {
            literal.push('"');
            for character in text.chars() {
                if matches!(character, '"' | '\\') {
                    literal.push('\\');
                }
                literal.push(character);
            }
            literal.push('"');
            Ok(())
        }
        Value::BigInt(Some(number)) => write!(literal, "{number}"),
        Value::Int(Some(number)) => write!(literal, "{number}"),
        Value::SmallInt(Some(number)) => write!(literal, "{number}"),
        Value::Bool(Some(flag)) => {
            literal.push(if *flag { 't' } else { 'f' });
            Ok(())
        }
        Value::Bytes(Some(bytes)) => {
            // `bytea` in hex form; the backslash is escaped in the literal.
            literal.push_str("\"\\\\x");
            for byte in bytes.iter() {
                let _ = write!(literal, "{byte:02x}");
            }
            literal.push('"');
            Ok(())
        }
        Value::Double(Some(number)) => push_float(literal, *number),
        Value::Float(Some(number)) => push_float(literal, f64::from(*number)),
        Value::String(None)
        | Value::BigInt(None)
        | Value::Int(None)
        | Value::SmallInt(None)
        | Value::Bool(None)
        | Value::Double(None)
        | Value::Float(None)
        | Value::Bytes(None) => {
            literal.push_str("NULL");
            Ok(())
        }
        other => {
            return Err(StorageError::Corrupt(format!(
                "no array binding for value {other:?}"
            )))
        }
    };
    written.map_err(|_| StorageError::Corrupt("formatting an array element".into()))
}

/// Rust prints the shortest text that reads back as the same `f64`, which
/// PostgreSQL's `float8in` reads back exactly.
fn push_float(literal: &mut String, number: f64) -> std::fmt::Result {
    use std::fmt::Write;
    if number.is_nan() {
        literal.push_str("NaN");
    } else if number.is_infinite() {
        literal.push_str(if number > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        });
    } else {
        write!(literal, "{number:?}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literals(rows: Vec<Vec<Value>>, columns: usize) -> Vec<Value> {
        let mut arrays = ColumnArrays::new(columns);
        for row in rows {
            arrays.push_row(row).unwrap();
        }
        arrays.into_values()
    }

    #[test]
    fn strings_are_quoted_and_escaped_and_nulls_are_bare() {
        let values = literals(
            vec![
                vec![Value::from("plain"), Value::from(Some(1_i64))],
                vec![Value::from(r#"q"uo\te,{x}"#), Value::BigInt(None)],
                vec![Value::String(None), Value::from(-7_i64)],
                vec![Value::from("NULL"), Value::from(0_i64)],
            ],
            2,
        );
        assert_eq!(
            values,
            vec![
                Value::from(r#"{"plain","q\"uo\\te,{x}",NULL,"NULL"}"#),
                Value::from("{1,NULL,-7,0}"),
            ]
        );
    }

    #[test]
    fn booleans_and_floats_read_back_exactly() {
        let values = literals(
            vec![
                vec![Value::from(true), Value::from(0.1_f64), Value::from(3_i32)],
                vec![
                    Value::from(false),
                    Value::from(1e-300_f64),
                    Value::Int(None),
                ],
                vec![
                    Value::from(true),
                    Value::from(f64::INFINITY),
                    Value::from(-2_i32),
                ],
            ],
            3,
        );
        assert_eq!(
            values,
            vec![
                Value::from("{t,f,t}"),
                Value::from("{0.1,1e-300,Infinity}"),
                Value::from("{3,NULL,-2}"),
            ]
        );
    }

    #[test]
    fn a_row_of_the_wrong_width_is_refused() {
        let mut arrays = ColumnArrays::new(2);
        assert!(arrays.push_row([Value::from(1_i64)]).is_err());
    }

    #[test]
    fn unnest_binds_one_typed_array_per_column() {
        assert_eq!(
            unnest_call(&["text", "bigint"], 3),
            "unnest($3::text[], $4::bigint[])"
        );
    }
}
