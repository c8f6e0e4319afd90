//! MCP log levels (RFC 5424), as clients name them.

use octomesh_proto::v1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LogLevel {
    Debug,
    Info,
    Notice,
    Warning,
    Error,
    Critical,
    Alert,
    Emergency,
}

impl LogLevel {
    const ALL: [LogLevel; 8] = [
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Notice,
        LogLevel::Warning,
        LogLevel::Error,
        LogLevel::Critical,
        LogLevel::Alert,
        LogLevel::Emergency,
    ];

    pub(crate) fn parse(text: &str) -> Option<LogLevel> {
        LogLevel::ALL
            .into_iter()
            .find(|level| level.as_str() == text)
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Notice => "notice",
            LogLevel::Warning => "warning",
            LogLevel::Error => "error",
            LogLevel::Critical => "critical",
            LogLevel::Alert => "alert",
            LogLevel::Emergency => "emergency",
        }
    }

    pub(crate) fn from_proto(level: i32) -> LogLevel {
        match v1::LogLevel::try_from(level).unwrap_or(v1::LogLevel::Info) {
            v1::LogLevel::Debug => LogLevel::Debug,
            v1::LogLevel::Info | v1::LogLevel::Unspecified => LogLevel::Info,
            v1::LogLevel::Notice => LogLevel::Notice,
            v1::LogLevel::Warning => LogLevel::Warning,
            v1::LogLevel::Error => LogLevel::Error,
            v1::LogLevel::Critical => LogLevel::Critical,
            v1::LogLevel::Alert => LogLevel::Alert,
            v1::LogLevel::Emergency => LogLevel::Emergency,
        }
    }

    /// Every level name, for error messages.
    pub(crate) fn names() -> String {
        LogLevel::ALL.map(LogLevel::as_str).join(", ")
    }
}
