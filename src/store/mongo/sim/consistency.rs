//! Stand-in for the store's `Consistency` until the store publishes its own.

/// The write concern the store asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WriteLevel {
    /// `w: majority`, journaled.
    Majority,
    /// `w: 1`.
    One,
}

/// The read preference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ReadFrom {
    Primary,
    Secondary,
    Nearest,
}

/// The read concern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ReadLevel {
    Majority,
    Local,
}

/// Whose clock "now" is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TimeSource {
    Server,
    Client,
}

/// How every operation of a store is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Consistency {
    pub write: WriteLevel,
    pub read_from: ReadFrom,
    pub read_level: ReadLevel,
    pub time: TimeSource,
}

impl Consistency {
    pub(super) const REQUIRED: Consistency = Consistency {
        write: WriteLevel::Majority,
        read_from: ReadFrom::Primary,
        read_level: ReadLevel::Majority,
        time: TimeSource::Server,
    };
}
