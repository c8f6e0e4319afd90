//! A minimal Redis client (RESP2 over one TCP connection, reconnected on failure) for the shared
//! token store: `SET key value EX seconds`, `GET`, `DEL`, and `AUTH`/`SELECT` from the URL
//! (`redis://[:password@]host:port[/db]`). Enough for sealed values; no pub/sub, no cluster.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

pub(crate) struct Redis {
    address: String,
    password: Option<String>,
    database: Option<u32>,
    connection: Mutex<Option<BufReader<TcpStream>>>,
}

#[derive(Debug)]
enum Reply {
    Simple,
    Bulk(Option<Vec<u8>>),
    Integer,
}

impl Redis {
    /// Parses `redis://[:password@]host:port[/db]`.
    pub(crate) fn new(url: &str) -> Result<Redis, String> {
        let rest = url
            .strip_prefix("redis://")
            .ok_or_else(|| format!("`{url}` is not a redis:// URL"))?;
        let (credentials, rest) = match rest.rsplit_once('@') {
            Some((credentials, rest)) => (Some(credentials), rest),
            None => (None, rest),
        };
        let password = credentials
            .map(|credentials| {
                credentials
                    .split_once(':')
                    .map_or(credentials, |(_, password)| password)
            })
            .filter(|password| !password.is_empty())
            .map(str::to_owned);
        let (address, database) = match rest.split_once('/') {
            Some((address, db)) if !db.is_empty() => (
                address,
                Some(
                    db.parse()
                        .map_err(|_| format!("`{db}` is not a Redis database number"))?,
                ),
            ),
            Some((address, _)) => (address, None),
            None => (rest, None),
        };
        let address = if address.contains(':') {
            address.to_owned()
        } else {
            format!("{address}:6379")
        };
        Ok(Redis {
            address,
            password,
            database,
            connection: Mutex::new(None),
        })
    }

    async fn connect(&self) -> Result<BufReader<TcpStream>, String> {
        let stream = TcpStream::connect(&self.address)
            .await
            .map_err(|_| format!("the token store (Redis at {}) is unreachable", self.address))?;
        stream.set_nodelay(true).ok();
        let mut connection = BufReader::new(stream);
        if let Some(password) = &self.password {
            command(&mut connection, &[b"AUTH", password.as_bytes()]).await?;
        }
        if let Some(database) = self.database {
            command(
                &mut connection,
                &[b"SELECT", database.to_string().as_bytes()],
            )
            .await?;
        }
        Ok(connection)
    }

    async fn run(&self, parts: &[&[u8]]) -> Result<Reply, String> {
        let mut slot = self.connection.lock().await;
        for attempt in 0..2 {
            if slot.is_none() {
                *slot = Some(self.connect().await?);
            }
            let connection = slot.as_mut().expect("connected above");
            match command(connection, parts).await {
                Ok(reply) => return Ok(reply),
                Err(error) if attempt == 0 => {
                    tracing::debug!(%error, "Reconnecting to Redis.");
                    *slot = None;
                }
                Err(error) => {
                    *slot = None;
                    return Err(error);
                }
            }
        }
        Err("the token store failed".into())
    }

    pub(crate) async fn set(&self, key: &str, value: &[u8], seconds: u64) -> Result<(), String> {
        let seconds = seconds.max(1).to_string();
        self.run(&[b"SET", key.as_bytes(), value, b"EX", seconds.as_bytes()])
            .await
            .map(drop)
    }

    pub(crate) async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        match self.run(&[b"GET", key.as_bytes()]).await? {
            Reply::Bulk(value) => Ok(value),
            _ => Err("the token store answered GET strangely".into()),
        }
    }

    pub(crate) async fn delete(&self, key: &str) -> Result<(), String> {
        self.run(&[b"DEL", key.as_bytes()]).await.map(drop)
    }
}

async fn command(connection: &mut BufReader<TcpStream>, parts: &[&[u8]]) -> Result<Reply, String> {
    let mut request = format!("*{}\r\n", parts.len()).into_bytes();
    for part in parts {
        request.extend_from_slice(format!("${}\r\n", part.len()).as_bytes());
        request.extend_from_slice(part);
        request.extend_from_slice(b"\r\n");
    }
    let io = |_| "the token store connection broke".to_owned();
    connection.get_mut().write_all(&request).await.map_err(io)?;
    let mut line = String::new();
    connection.read_line(&mut line).await.map_err(io)?;
    let line = line.trim_end();
    match line.as_bytes().first() {
        Some(b'+') => Ok(Reply::Simple),
        Some(b':') => Ok(Reply::Integer),
        Some(b'-') => Err(format!("the token store refused: {}", &line[1..])),
        Some(b'$') => {
            let length: i64 = line[1..]
                .parse()
                .map_err(|_| "a bad Redis reply".to_owned())?;
            if length < 0 {
                return Ok(Reply::Bulk(None));
            }
            if length > 16 * 1024 * 1024 {
                return Err("a Redis value too large for a token".into());
            }
            let mut value = vec![0u8; length as usize + 2];
            connection.read_exact(&mut value).await.map_err(io)?;
            value.truncate(length as usize);
            Ok(Reply::Bulk(Some(value)))
        }
        _ => Err("a bad Redis reply".into()),
    }
}
