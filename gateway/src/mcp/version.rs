//! MCP protocol revisions the gateway speaks.

/// A protocol revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ProtocolVersion {
    /// HTTP+SSE (legacy transport).
    V2024_11_05,
    V2025_03_26,
    V2025_06_18,
    V2025_11_25,
    /// Stateless: no sessions, headers mirror the body, `server/discover`.
    V2026_07_28,
}

impl ProtocolVersion {
    /// Every revision, newest first.
    pub(crate) const ALL: [ProtocolVersion; 5] = [
        ProtocolVersion::V2026_07_28,
        ProtocolVersion::V2025_11_25,
        ProtocolVersion::V2025_06_18,
        ProtocolVersion::V2025_03_26,
        ProtocolVersion::V2024_11_05,
    ];

    /// The newest sessionful revision: what `initialize` offers when the client asks for an unknown one.
    pub(crate) const LATEST_SESSIONFUL: ProtocolVersion = ProtocolVersion::V2025_11_25;

    pub(crate) fn parse(text: &str) -> Option<ProtocolVersion> {
        ProtocolVersion::ALL
            .into_iter()
            .find(|version| version.as_str() == text)
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ProtocolVersion::V2024_11_05 => "2024-11-05",
            ProtocolVersion::V2025_03_26 => "2025-03-26",
            ProtocolVersion::V2025_06_18 => "2025-06-18",
            ProtocolVersion::V2025_11_25 => "2025-11-25",
            ProtocolVersion::V2026_07_28 => "2026-07-28",
        }
    }

    /// Revisions whose requests are stateless (no session, per-request `_meta`).
    pub(crate) fn is_stateless(self) -> bool {
        self >= ProtocolVersion::V2026_07_28
    }

    pub(crate) fn index(self) -> u8 {
        self as u8
    }

    pub(crate) fn from_index(index: u8) -> Option<ProtocolVersion> {
        ProtocolVersion::ALL
            .into_iter()
            .find(|version| version.index() == index)
    }

    /// The names of every revision, newest first.
    pub(crate) fn supported_names() -> Vec<&'static str> {
        ProtocolVersion::ALL
            .iter()
            .map(|version| version.as_str())
            .collect()
    }
}
