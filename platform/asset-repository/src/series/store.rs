//! The chunk store of stream data (docs/design/002-stream-data-storage.md): each write batch is
//! appended to a log as one row (durable at commit) and merged into each series' open block in
//! memory; blocks become chunks when full, idle, or flushed; a point at a stored timestamp
//! replaces it; log rows go once all their points are in chunks; on open, the log is replayed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

use super::codec::{Block, CHUNK_POINTS, decode, encode};
use crate::store::StoreError;

/// One point of one series: a value (or none) per archive column.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub series: String,
    pub ts: i64,
    pub values: Vec<Option<f64>>,
}

/// What an archive holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveStats {
    /// Points in chunks.
    pub points: u64,
    /// Points not yet written as chunks.
    pub pending_points: u64,
    pub series: u64,
    pub chunks: u64,
    /// Encoded size of the chunks.
    pub bytes: u64,
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
}

struct OpenBlock {
    block: Block,
    /// The first log row whose points are in this block.
    oldest_log: i64,
    touched: Instant,
}

type Key = (String, String);

pub struct SeriesStore {
    db: Mutex<Connection>,
    open: Mutex<HashMap<Key, OpenBlock>>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS series_chunks (
    archive TEXT NOT NULL,
    series TEXT NOT NULL,
    first_ts INTEGER NOT NULL,
    last_ts INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (archive, series, first_ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS series_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS series_log (
    id INTEGER PRIMARY KEY,
    archive TEXT NOT NULL,
    columns INTEGER NOT NULL,
    data BLOB NOT NULL
);
";

/// Most points one write takes.
pub const MAX_BATCH: usize = 100_000;

fn encode_batch(points: &[Point]) -> Vec<u8> {
    let mut out = Vec::with_capacity(points.len() * 24);
    for point in points {
        out.extend_from_slice(&(point.series.len() as u16).to_le_bytes());
        out.extend_from_slice(point.series.as_bytes());
        out.extend_from_slice(&point.ts.to_le_bytes());
        for value in &point.values {
            match value {
                Some(value) => {
                    out.push(1);
                    out.extend_from_slice(&value.to_le_bytes());
                }
                None => out.push(0),
            }
        }
    }
    out
}

fn decode_batch(data: &[u8], columns: usize) -> Option<Vec<Point>> {
    let mut points = Vec::new();
    let mut at = 0;
    let take = |at: &mut usize, n: usize| -> Option<&[u8]> {
        let slice = data.get(*at..*at + n)?;
        *at += n;
        Some(slice)
    };
    while at < data.len() {
        let length = u16::from_le_bytes(take(&mut at, 2)?.try_into().ok()?) as usize;
        let series = String::from_utf8(take(&mut at, length)?.to_vec()).ok()?;
        let ts = i64::from_le_bytes(take(&mut at, 8)?.try_into().ok()?);
        let mut values = Vec::with_capacity(columns);
        for _ in 0..columns {
            values.push(match take(&mut at, 1)?[0] {
                1 => Some(f64::from_le_bytes(take(&mut at, 8)?.try_into().ok()?)),
                _ => None,
            });
        }
        points.push(Point { series, ts, values });
    }
    Some(points)
}

impl SeriesStore {
    /// Opens the store in `db` and replays the log into open blocks.
    pub fn open(db: Connection) -> Result<SeriesStore, StoreError> {
        db.execute_batch(SCHEMA)?;
        let mut open: HashMap<Key, OpenBlock> = HashMap::new();
        {
            let mut statement =
                db.prepare("SELECT id, archive, columns, data FROM series_log ORDER BY id")?;
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                let id: i64 = row.get(0)?;
                let archive: String = row.get(1)?;
                let columns: i64 = row.get(2)?;
                let data: Vec<u8> = row.get(3)?;
                let points = decode_batch(&data, columns as usize).ok_or_else(|| {
                    StoreError::Db(format!("stream-data log row {id} is damaged"))
                })?;
                merge_into(&mut open, &archive, columns as usize, &points, id);
            }
        }
        Ok(SeriesStore {
            db: Mutex::new(db),
            open: Mutex::new(open),
        })
    }

    /// Writes points of `archive` (each with `columns` values); durable when this returns.
    pub fn write(&self, archive: &str, columns: usize, points: &[Point]) -> Result<(), StoreError> {
        if points.len() > MAX_BATCH {
            return Err(StoreError::Invalid(vec![format!(
                "a write holds {} points; send at most {MAX_BATCH}",
                points.len()
            )]));
        }
        if let Some(point) = points.iter().find(|point| point.values.len() != columns) {
            return Err(StoreError::Invalid(vec![format!(
                "a point of `{}` at {} has {} values; the archive has {columns} columns",
                point.series,
                point.ts,
                point.values.len()
            )]));
        }
        if let Some(point) = points.iter().find(|point| point.series.len() > 256) {
            return Err(StoreError::Invalid(vec![format!(
                "series id `{}…` is longer than 256 bytes",
                &point.series[..16]
            )]));
        }
        if points.is_empty() {
            return Ok(());
        }
        let mut db = self.db.lock().expect("never poisoned");
        let mut open = self.open.lock().expect("never poisoned");
        let transaction = db.transaction()?;
        transaction.execute(
            "INSERT INTO series_log (archive, columns, data) VALUES (?1, ?2, ?3)",
            params![archive, columns as i64, encode_batch(points)],
        )?;
        let log_id = transaction.last_insert_rowid();
        transaction.commit()?;
        merge_into(&mut open, archive, columns, points, log_id);
        let full: Vec<Key> = open
            .iter()
            .filter(|((block_archive, _), open_block)| {
                block_archive == archive && open_block.block.len() >= CHUNK_POINTS
            })
            .map(|(key, _)| key.clone())
            .collect();
        if !full.is_empty() {
            flush_keys(&mut db, &mut open, &full)?;
        }
        Ok(())
    }

    /// Writes open blocks idle for at least `idle` (zero: all) as chunks.
    pub fn flush(&self, idle: Duration) -> Result<(), StoreError> {
        let mut db = self.db.lock().expect("never poisoned");
        let mut open = self.open.lock().expect("never poisoned");
        let keys: Vec<Key> = open
            .iter()
            .filter(|(_, open_block)| open_block.touched.elapsed() >= idle)
            .map(|(key, _)| key.clone())
            .collect();
        flush_keys(&mut db, &mut open, &keys)
    }

    /// Calls `each` for every point of `series` in [from, to), in timestamp order.
    pub fn scan(
        &self,
        archive: &str,
        series: &str,
        from: i64,
        to: i64,
        mut each: impl FnMut(i64, &[Option<f64>]),
    ) -> Result<(), StoreError> {
        let mut merged = {
            let db = self.db.lock().expect("never poisoned");
            let mut statement = db.prepare_cached(
                "SELECT data FROM series_chunks WHERE archive = ?1 AND series = ?2 AND last_ts >= ?3 AND first_ts < ?4 ORDER BY first_ts",
            )?;
            let mut rows = statement.query(params![archive, series, from, to])?;
            let mut merged: Option<Block> = None;
            while let Some(row) = rows.next()? {
                let data = row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
                let block = decode(data)
                    .ok_or_else(|| StoreError::Db("a stream-data chunk is damaged".into()))?;
                match &mut merged {
                    Some(merged) => merged.merge(&block),
                    None => merged = Some(block),
                }
            }
            merged
        };
        if let Some(open_block) = self
            .open
            .lock()
            .expect("never poisoned")
            .get(&(archive.to_owned(), series.to_owned()))
        {
            match &mut merged {
                Some(merged) => merged.merge(&open_block.block),
                None => merged = Some(open_block.block.clone()),
            }
        }
        let Some(block) = merged else {
            return Ok(());
        };
        let mut values = vec![None; block.columns.len()];
        for (idx, ts) in block.timestamps.iter().enumerate() {
            if *ts < from || *ts >= to {
                continue;
            }
            for (column_idx, slot) in values.iter_mut().enumerate() {
                *slot = block.columns[column_idx][idx];
            }
            each(*ts, &values);
        }
        Ok(())
    }

    /// How much `archive` holds: points, series, chunks, bytes, first and last timestamps.
    pub fn stats(&self, archive: &str) -> Result<ArchiveStats, StoreError> {
        let mut series = std::collections::BTreeSet::new();
        let mut stats = {
            let db = self.db.lock().expect("never poisoned");
            let mut statement = db.prepare_cached(
                "SELECT series, first_ts, last_ts, length(data), data FROM series_chunks WHERE archive = ?1",
            )?;
            let mut rows = statement.query([archive])?;
            let mut stats = ArchiveStats::default();
            while let Some(row) = rows.next()? {
                series.insert(row.get::<_, String>(0)?);
                let (first, last): (i64, i64) = (row.get(1)?, row.get(2)?);
                stats.chunks += 1;
                stats.bytes += row.get::<_, i64>(3)? as u64;
                let data = row.get_ref(4)?.as_blob().map_err(rusqlite::Error::from)?;
                stats.points += decode(data).map_or(0, |block| block.len() as u64);
                stats.first_ts = Some(stats.first_ts.map_or(first, |at: i64| at.min(first)));
                stats.last_ts = Some(stats.last_ts.map_or(last, |at: i64| at.max(last)));
            }
            stats
        };
        let open = self.open.lock().expect("never poisoned");
        for ((block_archive, block_series), open_block) in open.iter() {
            if block_archive != archive || open_block.block.is_empty() {
                continue;
            }
            series.insert(block_series.clone());
            // Points of an open block may repeat a chunk's; the count is then an upper bound
            // until the block is written.
            stats.pending_points += open_block.block.len() as u64;
            let block = &open_block.block;
            let (first, last) = (block.timestamps[0], block.timestamps[block.len() - 1]);
            stats.first_ts = Some(stats.first_ts.map_or(first, |at| at.min(first)));
            stats.last_ts = Some(stats.last_ts.map_or(last, |at| at.max(last)));
        }
        stats.series = series.len() as u64;
        Ok(stats)
    }

    /// The series that hold points of `archive`, sorted.
    pub fn series_ids(&self, archive: &str) -> Result<Vec<String>, StoreError> {
        let mut ids: Vec<String> = {
            let db = self.db.lock().expect("never poisoned");
            let mut statement =
                db.prepare_cached("SELECT DISTINCT series FROM series_chunks WHERE archive = ?1")?;
            statement
                .query_map([archive], |row| row.get(0))?
                .collect::<Result<_, _>>()?
        };
        ids.extend(
            self.open
                .lock()
                .expect("never poisoned")
                .keys()
                .filter(|(block_archive, _)| block_archive == archive)
                .map(|(_, series)| series.clone()),
        );
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// Removes every point of `archive`.
    pub fn drop_archive(&self, archive: &str) -> Result<(), StoreError> {
        let mut db = self.db.lock().expect("never poisoned");
        let mut open = self.open.lock().expect("never poisoned");
        let transaction = db.transaction()?;
        transaction.execute("DELETE FROM series_chunks WHERE archive = ?1", [archive])?;
        transaction.execute("DELETE FROM series_log WHERE archive = ?1", [archive])?;
        transaction.commit()?;
        open.retain(|(block_archive, _), _| block_archive != archive);
        Ok(())
    }

    /// Removes the points of `archive` in [from, to): of one series, or of all. Open blocks of
    /// those series are written first, so that no log row can bring a removed point back.
    pub fn delete_range(
        &self,
        archive: &str,
        series: Option<&str>,
        from: i64,
        to: i64,
    ) -> Result<u64, StoreError> {
        if from >= to {
            return Ok(0);
        }
        let mut db = self.db.lock().expect("never poisoned");
        let mut open = self.open.lock().expect("never poisoned");
        let keys: Vec<Key> = open
            .keys()
            .filter(|(block_archive, block_series)| {
                block_archive == archive && series.is_none_or(|only| only == block_series)
            })
            .cloned()
            .collect();
        flush_keys(&mut db, &mut open, &keys)?;
        let transaction = db.transaction()?;
        let mut removed = 0;
        {
            let mut statement = transaction.prepare_cached(
                "SELECT series, first_ts, data FROM series_chunks WHERE archive = ?1 AND (?2 IS NULL OR series = ?2) AND last_ts >= ?3 AND first_ts < ?4",
            )?;
            let mut rows = statement.query(params![archive, series, from, to])?;
            let mut affected = Vec::new();
            while let Some(row) = rows.next()? {
                let data = row.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?;
                let block = decode(data)
                    .ok_or_else(|| StoreError::Db("a stream-data chunk is damaged".into()))?;
                affected.push((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, block));
            }
            drop(rows);
            for (chunk_series, first_ts, block) in affected {
                transaction.execute(
                    "DELETE FROM series_chunks WHERE archive = ?1 AND series = ?2 AND first_ts = ?3",
                    params![archive, chunk_series, first_ts],
                )?;
                let mut kept = Block::with_columns(block.columns.len());
                for (idx, ts) in block.timestamps.iter().enumerate() {
                    if *ts >= from && *ts < to {
                        removed += 1;
                        continue;
                    }
                    let values: Vec<Option<f64>> =
                        block.columns.iter().map(|column| column[idx]).collect();
                    kept.upsert(*ts, &values);
                }
                if kept.is_empty() {
                    continue;
                }
                transaction
                    .prepare_cached(
                        "INSERT OR REPLACE INTO series_chunks (archive, series, first_ts, last_ts, data) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![
                        archive,
                        chunk_series,
                        kept.timestamps[0],
                        kept.timestamps[kept.len() - 1],
                        encode(&kept)
                    ])?;
            }
        }
        transaction.commit()?;
        Ok(removed)
    }

    /// Whether the tenant takes stream data (on unless disabled).
    pub fn enabled(&self) -> Result<bool, StoreError> {
        let db = self.db.lock().expect("never poisoned");
        let value: Option<String> = db
            .query_row(
                "SELECT value FROM series_settings WHERE key = 'enabled'",
                [],
                |row| row.get(0),
            )
            .map(Some)
            .or_else(|error| match error {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                other => Err(other),
            })?;
        Ok(value.as_deref() != Some("false"))
    }

    /// Turns stream data on or off for the tenant; the data stays either way.
    pub fn set_enabled(&self, enabled: bool) -> Result<(), StoreError> {
        let db = self.db.lock().expect("never poisoned");
        db.execute(
            "INSERT INTO series_settings (key, value) VALUES ('enabled', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [if enabled { "true" } else { "false" }],
        )?;
        Ok(())
    }

    /// Refuses with the way out when stream data is off.
    pub fn ensure_enabled(&self) -> Result<(), StoreError> {
        if self.enabled()? {
            Ok(())
        } else {
            Err(StoreError::Invalid(vec![
                "stream data is disabled for this tenant: enable it first (enable_stream_data)"
                    .into(),
            ]))
        }
    }

    /// Writes a consistent copy of the store to `path` (a new file): every open block is folded
    /// into chunks first, then `VACUUM INTO` copies the database, both under one hold of the
    /// store's locks, so no write is half in the copy and its log is empty (its point counts
    /// are exact).
    pub fn snapshot_into(&self, path: &std::path::Path) -> Result<(), StoreError> {
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Io(format!("{} is not a UTF-8 path", path.display())))?;
        let mut db = self.db.lock().expect("never poisoned");
        let mut open = self.open.lock().expect("never poisoned");
        let keys: Vec<Key> = open.keys().cloned().collect();
        flush_keys(&mut db, &mut open, &keys)?;
        db.execute("VACUUM INTO ?1", [target])?;
        Ok(())
    }

    /// Closes the store's database file: the connection is swapped for an empty in-memory one
    /// (a handle still held elsewhere then fails instead of writing to a file that has been
    /// replaced) and the open blocks go (their points are in the log of the file).
    pub fn retire(&self) -> Result<(), StoreError> {
        let mut db = self.db.lock().expect("never poisoned");
        let mut open = self.open.lock().expect("never poisoned");
        *db = Connection::open_in_memory()?;
        open.clear();
        Ok(())
    }

    /// How many log rows wait to be folded into chunks.
    pub fn pending_log_rows(&self) -> Result<u64, StoreError> {
        let db = self.db.lock().expect("never poisoned");
        let count: i64 = db.query_row("SELECT COUNT(*) FROM series_log", [], |row| row.get(0))?;
        Ok(count as u64)
    }
}

fn merge_into(
    open: &mut HashMap<Key, OpenBlock>,
    archive: &str,
    columns: usize,
    points: &[Point],
    log_id: i64,
) {
    let now = Instant::now();
    let add = |open_block: &mut OpenBlock, point: &Point| {
        if open_block.block.is_empty() {
            open_block.oldest_log = log_id;
        }
        open_block.touched = now;
        open_block.block.upsert(point.ts, &point.values);
    };
    // One key buffer for the lookups: a key is allocated only for a series not open yet.
    let mut key: Key = (archive.to_owned(), String::new());
    for point in points {
        key.1.clear();
        key.1.push_str(&point.series);
        if let Some(open_block) = open.get_mut(&key) {
            add(open_block, point);
            continue;
        }
        let open_block = open.entry(key.clone()).or_insert_with(|| OpenBlock {
            block: Block::with_columns(columns),
            oldest_log: log_id,
            touched: now,
        });
        add(open_block, point);
    }
}

/// Writes the open blocks of `keys` as chunks (merged with the chunks they overlap), in one
/// transaction, then drops the log rows every open block has moved past.
fn flush_keys(
    db: &mut Connection,
    open: &mut HashMap<Key, OpenBlock>,
    keys: &[Key],
) -> Result<(), StoreError> {
    let transaction = db.transaction()?;
    for key in keys {
        let Some(open_block) = open.get(key) else {
            continue;
        };
        if open_block.block.is_empty() {
            continue;
        }
        let (archive, series) = key;
        let block = &open_block.block;
        let first = block.timestamps[0];
        let last = block.timestamps[block.len() - 1];
        let mut merged: Option<Block> = None;
        {
            let mut statement = transaction.prepare_cached(
                "SELECT first_ts, data FROM series_chunks WHERE archive = ?1 AND series = ?2 AND last_ts >= ?3 AND first_ts <= ?4",
            )?;
            let mut rows = statement.query(params![archive, series, first, last])?;
            let mut replaced = Vec::new();
            while let Some(row) = rows.next()? {
                replaced.push(row.get::<_, i64>(0)?);
                let data = row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
                let existing = decode(data)
                    .ok_or_else(|| StoreError::Db("a stream-data chunk is damaged".into()))?;
                match &mut merged {
                    Some(merged) => merged.merge(&existing),
                    None => merged = Some(existing),
                }
            }
            drop(rows);
            for first_ts in replaced {
                transaction.execute(
                    "DELETE FROM series_chunks WHERE archive = ?1 AND series = ?2 AND first_ts = ?3",
                    params![archive, series, first_ts],
                )?;
            }
        }
        let mut merged = merged.unwrap_or_else(|| Block::with_columns(block.columns.len()));
        merged.merge(block);
        for chunk in merged.split() {
            transaction
                .prepare_cached(
                    "INSERT OR REPLACE INTO series_chunks (archive, series, first_ts, last_ts, data) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    archive,
                    series,
                    chunk.timestamps[0],
                    chunk.timestamps[chunk.len() - 1],
                    encode(&chunk)
                ])?;
        }
    }
    // Log rows older than every block that stays open are folded into chunks now.
    let mut archives: Vec<&String> = keys.iter().map(|(archive, _)| archive).collect();
    archives.sort();
    archives.dedup();
    for archive in archives {
        let oldest = open
            .iter()
            .filter(|(key, open_block)| {
                &key.0 == archive && !open_block.block.is_empty() && !keys.contains(key)
            })
            .map(|(_, open_block)| open_block.oldest_log)
            .min();
        match oldest {
            Some(oldest) => transaction.execute(
                "DELETE FROM series_log WHERE archive = ?1 AND id < ?2",
                params![archive, oldest],
            )?,
            None => transaction.execute("DELETE FROM series_log WHERE archive = ?1", [archive])?,
        };
    }
    transaction.commit()?;
    // Only now, with the chunks durable, do the flushed blocks go.
    for key in keys {
        open.remove(key);
    }
    Ok(())
}
