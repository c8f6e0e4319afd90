//! A chunk of one series: up to [`CHUNK_POINTS`] points, timestamps ascending and unique, and one
//! value per archive column (or none). Encoded as: point count and column count (varints), the
//! timestamps as varint deltas, then per column a presence bitmap and the present values as
//! little-endian f64.

/// Most points in one chunk.
pub const CHUNK_POINTS: usize = 1024;

/// Points of one series, in timestamp order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block {
    pub timestamps: Vec<i64>,
    /// `columns[c][i]`: column `c` of point `i`.
    pub columns: Vec<Vec<Option<f64>>>,
}

impl Block {
    pub fn with_columns(columns: usize) -> Block {
        Block {
            timestamps: Vec::new(),
            columns: vec![Vec::new(); columns],
        }
    }

    pub fn len(&self) -> usize {
        self.timestamps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.timestamps.is_empty()
    }

    /// Inserts or replaces the point at `ts` (keeps the order).
    pub fn upsert(&mut self, ts: i64, values: &[Option<f64>]) {
        // Points mostly come in time order: appending needs no search (which, over many open
        // blocks, costs a cache miss per probe).
        if self.timestamps.last().is_none_or(|last| *last < ts) {
            self.timestamps.push(ts);
            for (column_idx, column) in self.columns.iter_mut().enumerate() {
                column.push(values.get(column_idx).copied().flatten());
            }
            return;
        }
        let at = match self.timestamps.binary_search(&ts) {
            Ok(at) => {
                for (column, value) in self.columns.iter_mut().zip(values) {
                    column[at] = *value;
                }
                return;
            }
            Err(at) => at,
        };
        self.timestamps.insert(at, ts);
        for (column_idx, column) in self.columns.iter_mut().enumerate() {
            column.insert(at, values.get(column_idx).copied().flatten());
        }
    }

    /// Moves every point of `other` in (replacing equal timestamps).
    pub fn merge(&mut self, other: &Block) {
        let mut values = vec![None; self.columns.len()];
        for (idx, ts) in other.timestamps.iter().enumerate() {
            for (column_idx, slot) in values.iter_mut().enumerate() {
                *slot = other.columns.get(column_idx).and_then(|column| column[idx]);
            }
            self.upsert(*ts, &values);
        }
    }

    /// Splits into blocks of at most [`CHUNK_POINTS`] points.
    pub fn split(self) -> Vec<Block> {
        if self.len() <= CHUNK_POINTS {
            return vec![self];
        }
        let mut blocks = Vec::new();
        let mut start = 0;
        while start < self.len() {
            let end = (start + CHUNK_POINTS).min(self.len());
            blocks.push(Block {
                timestamps: self.timestamps[start..end].to_vec(),
                columns: self
                    .columns
                    .iter()
                    .map(|column| column[start..end].to_vec())
                    .collect(),
            });
            start = end;
        }
        blocks
    }
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn get_varint(data: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *data.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Zig-zag, so that a negative delta (never, in a valid block) still encodes.
fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

pub fn encode(block: &Block) -> Vec<u8> {
    let mut out = Vec::with_capacity(block.len() * (2 + 8 * block.columns.len()));
    put_varint(&mut out, block.len() as u64);
    put_varint(&mut out, block.columns.len() as u64);
    let mut previous = 0i64;
    for ts in &block.timestamps {
        put_varint(&mut out, zigzag(ts.wrapping_sub(previous)));
        previous = *ts;
    }
    for column in &block.columns {
        let mut bitmap = vec![0u8; block.len().div_ceil(8)];
        for (idx, value) in column.iter().enumerate() {
            if value.is_some() {
                bitmap[idx / 8] |= 1 << (idx % 8);
            }
        }
        out.extend_from_slice(&bitmap);
        for value in column.iter().flatten() {
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    out
}

pub fn decode(data: &[u8]) -> Option<Block> {
    let mut at = 0;
    let count = get_varint(data, &mut at)? as usize;
    let columns = get_varint(data, &mut at)? as usize;
    if count > CHUNK_POINTS * 64 || columns > 4096 {
        return None;
    }
    let mut timestamps = Vec::with_capacity(count);
    let mut previous = 0i64;
    for _ in 0..count {
        previous = previous.wrapping_add(unzigzag(get_varint(data, &mut at)?));
        timestamps.push(previous);
    }
    let mut decoded = Vec::with_capacity(columns);
    for _ in 0..columns {
        let bitmap = data.get(at..at + count.div_ceil(8))?;
        at += bitmap.len();
        let mut column = Vec::with_capacity(count);
        for idx in 0..count {
            if bitmap[idx / 8] & (1 << (idx % 8)) != 0 {
                let bytes: [u8; 8] = data.get(at..at + 8)?.try_into().ok()?;
                at += 8;
                column.push(Some(f64::from_le_bytes(bytes)));
            } else {
                column.push(None);
            }
        }
        decoded.push(column);
    }
    Some(Block {
        timestamps,
        columns: decoded,
    })
}
