//! The places' table, read with SQL, and the database client's instrumentation: a client
//! span around each query and the `db.client.operation.duration` histogram, as the
//! semantic conventions 1.42 describe database calls.

use std::time::Instant;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Histogram, Meter};
use opentelemetry::trace::{Span as _, SpanKind, Status, Tracer as _};
use opentelemetry_sdk::trace::SdkTracer;
use opentelemetry_semantic_conventions::attribute::{
    DB_COLLECTION_NAME, DB_NAMESPACE, DB_OPERATION_NAME, DB_QUERY_SUMMARY, DB_QUERY_TEXT, DB_RESPONSE_STATUS_CODE,
    DB_SYSTEM_NAME, ERROR_TYPE,
};
use opentelemetry_semantic_conventions::metric::DB_CLIENT_OPERATION_DURATION;
use rusqlite::{Connection, OptionalExtension as _};

use crate::given::{Database, PlaceRow};

/// A query the service runs: its text, with a `?` placeholder wherever a value goes (the
/// value is bound apart, never written into the text), and what it does, to what.
pub(crate) struct Query {
    pub(crate) text: &'static str,
    /// The SQL command (`db.operation.name`).
    pub(crate) operation: &'static str,
    /// The table it reads (`db.collection.name`).
    pub(crate) table: &'static str,
}

/// One place, by name.
const FIND_PLACE: Query = Query {
    text: "SELECT name, country, latitude, longitude FROM places WHERE name = ?",
    operation: "SELECT",
    table: "places",
};

/// Every place's name, in the table's order.
const PLACE_NAMES: Query =
    Query { text: "SELECT name FROM places ORDER BY rowid", operation: "SELECT", table: "places" };

/// `db.system.name` for SQLite (the conventions crate has constants for keys, not values).
const SQLITE: &str = "sqlite";

/// `db.namespace`: the database within the connection, which SQLite names `main` (the one
/// the connection opened, as `main.places` says; attached databases get other names).
const MAIN: &str = "main";

/// The bucket boundaries of `db.client.operation.duration`, in seconds: the conventions'
/// advice, from 1 ms to 10 s.
const DURATION_BUCKETS: [f64; 9] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0];

/// The places' table, behind instrumented queries.
pub(crate) struct PlacesTable {
    database: Database,
    tracer: SdkTracer,
    duration: Histogram<f64>,
}

impl PlacesTable {
    pub(crate) fn new(database: Database, tracer: SdkTracer, meter: &Meter) -> Self {
        // The conventions' metric: its name from the crate's constant, in seconds.
        let duration = meter
            .f64_histogram(DB_CLIENT_OPERATION_DURATION)
            .with_unit("s")
            .with_description("Duration of database client operations.")
            .with_boundaries(DURATION_BUCKETS.to_vec())
            .build();
        Self { database, tracer, duration }
    }

    /// The place called `name` (whatever its case), if the table has it.
    pub(crate) fn find(&self, name: &str) -> rusqlite::Result<Option<PlaceRow>> {
        self.query(&FIND_PLACE, |connection| connection.query_row(FIND_PLACE.text, [name], PlaceRow::read).optional())
    }

    /// Every place's name.
    pub(crate) fn names(&self) -> rusqlite::Result<Vec<String>> {
        self.query(&PLACE_NAMES, |connection| {
            let mut statement = connection.prepare(PLACE_NAMES.text)?;
            let names = statement.query_map([], |row| row.get(0))?;
            names.collect()
        })
    }

    /// Runs `query` with `run`, in a client span named after it, and records how long it
    /// took in the duration histogram.
    fn query<T>(&self, query: &Query, run: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> rusqlite::Result<T> {
        // The low-cardinality summary, `{operation} {table}`: the span's name as well (the
        // conventions' name rule), never the query text, which can hold anything.
        let summary = format!("{} {}", query.operation, query.table);
        // What describes the call: on the span and on the histogram's points alike.
        let mut call = vec![
            KeyValue::new(DB_SYSTEM_NAME, SQLITE),
            KeyValue::new(DB_NAMESPACE, MAIN),
            KeyValue::new(DB_OPERATION_NAME, query.operation),
            KeyValue::new(DB_COLLECTION_NAME, query.table),
            KeyValue::new(DB_QUERY_SUMMARY, summary.clone()),
        ];
        // The text only on the span (opt-in on the metric): parameterised, so no value of a
        // caller's, whatever was asked, is in it.
        let mut attributes = call.clone();
        attributes.push(KeyValue::new(DB_QUERY_TEXT, query.text));
        // A child of the current span (the request's), of kind client: the service calls
        // another system, as it calls the position service.
        let mut span = self
            .tracer
            .span_builder(summary)
            .with_kind(SpanKind::Client)
            .with_attributes(attributes)
            .start(&self.tracer);
        let started = Instant::now();
        let result = self.database.run(run);
        let elapsed = started.elapsed();
        if let Err(err) = &result {
            // A failed call, as exercise 7 records it, classified by what the database said.
            span.set_status(Status::error(err.to_string()));
            let (code, class) = failure(err);
            if let Some(code) = code {
                span.set_attribute(KeyValue::new(DB_RESPONSE_STATUS_CODE, code.clone()));
                call.push(KeyValue::new(DB_RESPONSE_STATUS_CODE, code));
            }
            span.set_attribute(KeyValue::new(ERROR_TYPE, class.clone()));
            call.push(KeyValue::new(ERROR_TYPE, class));
        }
        self.duration.record(elapsed.as_secs_f64(), &call);
        span.end();
        result
    }
}

/// How a failed query is classified, as the SQL conventions ask: `db.response.status_code`
/// is SQLite's extended result code as a string (`"23"`: `SQLITE_AUTH`; `"2067"`:
/// `SQLITE_CONSTRAINT_UNIQUE`), the most specific code it gives, and `error.type` the same
/// value. An error SQLite never returned (rusqlite's own: a column read as the wrong type, a
/// value that does not convert) has no code: its `error.type` is the variant's name
/// (`InvalidColumnType`), one class per kind of failure. Never the type of the whole error
/// enum (`std::any::type_name_of_val`), which is one value for every failure.
fn failure(err: &rusqlite::Error) -> (Option<String>, String) {
    match err.sqlite_extended_error_code() {
        Some(code) => (Some(code.to_string()), code.to_string()),
        // The variant's name is what its `Debug` text starts with (`InvalidColumnType(0, ..)`).
        None => {
            let debug = format!("{err:?}");
            let variant = debug.split(|c: char| !c.is_alphanumeric()).next().unwrap_or_default();
            (None, variant.to_owned())
        }
    }
}
