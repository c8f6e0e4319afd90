//! Where a worker listens: a TCP address (`http://HOST:PORT`) or a Unix socket (`unix:/PATH`).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A worker's address, as written in configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerAddress {
    /// `http://127.0.0.1:50051` (or a bare `127.0.0.1:50051` for listening).
    Tcp(SocketAddr),
    /// `unix:/run/octomesh/ck.sock`: same-host workers (all-in-one, sidecars) without the TCP stack,
    /// reachable only by who may open the socket file.
    Unix(PathBuf),
}

impl WorkerAddress {
    /// Parses `http://HOST:PORT`, `HOST:PORT` or `unix:/PATH`. Host names are not resolved here:
    /// give addresses, or use the gateway's URL form for names.
    pub fn parse(text: &str) -> Result<WorkerAddress, String> {
        let text = text.trim();
        if let Some(path) = text.strip_prefix("unix:") {
            let path = path.trim_start_matches("//");
            if path.is_empty() || !path.starts_with('/') {
                return Err(format!(
                    "`{text}`: a Unix socket address is unix:/ABSOLUTE/PATH"
                ));
            }
            return Ok(WorkerAddress::Unix(PathBuf::from(path)));
        }
        let authority = text
            .strip_prefix("http://")
            .unwrap_or(text)
            .trim_end_matches('/');
        authority.parse().map(WorkerAddress::Tcp).map_err(|_| {
            format!("`{text}` is not a worker address: use http://IP:PORT, IP:PORT or unix:/PATH")
        })
    }
}

impl fmt::Display for WorkerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkerAddress::Tcp(address) => write!(f, "http://{address}"),
            WorkerAddress::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_in_every_form_and_print_as_urls() {
        let tcp = WorkerAddress::parse("http://127.0.0.1:50051").unwrap();
        assert_eq!(tcp, WorkerAddress::parse("127.0.0.1:50051").unwrap());
        assert_eq!(tcp.to_string(), "http://127.0.0.1:50051");
        let unix = WorkerAddress::parse("unix:/run/ck.sock").unwrap();
        assert_eq!(unix, WorkerAddress::Unix("/run/ck.sock".into()));
        assert_eq!(unix.to_string(), "unix:/run/ck.sock");
        assert!(WorkerAddress::parse("unix:relative.sock").is_err());
        assert!(WorkerAddress::parse("ck-workers:50051").is_err());
    }
}
