//! Connecting: the client's options, the collections' read and write concerns.

use std::time::Duration;

use mongodb::Client;
use mongodb::error::ErrorKind;
use mongodb::options::{
    Acknowledgment, ClientOptions, CollectionOptions, ReadConcern, ReadPreference,
    SelectionCriteria, WriteConcern,
};

use super::DriverOps;
use super::error::classify_scrubbed;
use crate::store::mongo::ops::{Consistency, ReadFrom, ReadLevel, WriteLevel};
use crate::store::url::{scrub, secrets};
use crate::store::{StoreError, StoreUrl};

/// The connection pool's size per server when the URL does not set `maxPoolSize`. A claim holds
/// a connection only while one of its round trips travels (two at once for its parallel
/// reads), so a few dozen connections carry thousands of claims in flight; past that, waiting
/// in the pool is cheaper than what the server pays per connection (a thread and about a
/// megabyte each, on every app server's behalf). The driver's default, 10, serialises a busy
/// server behind too few connections; 64 keeps a rush's round trips flowing without letting a
/// fleet of app servers exhaust the server's connection limit.
const MAX_POOL_SIZE: u32 = 64;

/// How long the server waits for a majority to acknowledge a write before it answers with a
/// write concern error instead (the driver's default is to wait forever). Shorter than the
/// default operation timeout (10 s), so a replica set that lost its majority is reported by
/// the server with an error rather than by our timeout with silence; long enough to ride out
/// an election (typically under 5 s with default settings plus the replication catch-up).
/// Either way the write's outcome is unknown, and every write of the store is built for that.
const MAJORITY_TIMEOUT: Duration = Duration::from_secs(5);

/// The collection options that give `consistency` with writes acknowledged as `write` says, set
/// on each collection so they override whatever the URL put on the client (`w`, `journal`,
/// `readPreference`, `readConcernLevel`).
fn collection_options(consistency: Consistency, write: WriteLevel) -> CollectionOptions {
    let write = match write {
        WriteLevel::MajorityJournaled => WriteConcern::builder()
            .w(Acknowledgment::Majority)
            .journal(true)
            .w_timeout(MAJORITY_TIMEOUT)
            .build(),
        // Not journaled either: what makes a reservation durable is the request's next write,
        // a majority journaled one, which commits everything before it in the oplog.
        WriteLevel::Primary => WriteConcern::builder()
            .w(Acknowledgment::Nodes(1))
            .journal(false)
            .build(),
    };
    let read_from = match consistency.read_from {
        ReadFrom::Primary => ReadPreference::Primary,
        #[cfg(test)]
        ReadFrom::Secondary => ReadPreference::Secondary { options: None },
    };
    let read_level = match consistency.read_level {
        ReadLevel::Majority => ReadConcern::majority(),
        #[cfg(test)]
        ReadLevel::Local => ReadConcern::local(),
    };
    CollectionOptions::builder()
        .write_concern(write)
        .selection_criteria(SelectionCriteria::ReadPreference(read_from))
        .read_concern(read_level)
        .build()
}

impl DriverOps {
    /// Connects with [`Consistency::REQUIRED`]: see [`DriverOps::connect_with`].
    pub(in crate::store::mongo) async fn connect(
        url: &str,
        timeout: Duration,
    ) -> Result<Self, StoreError> {
        Self::connect_with(url, timeout, Consistency::REQUIRED, None).await
    }

    /// Like [`DriverOps::connect`], with `watch` told of every command the client sends (the
    /// driver's command monitoring): a test counts what an operation costs over the wire.
    #[cfg(test)]
    pub(in crate::store::mongo) async fn connect_watched(
        url: &str,
        timeout: Duration,
        watch: mongodb::event::EventHandler<mongodb::event::command::CommandEvent>,
    ) -> Result<Self, StoreError> {
        Self::connect_with(url, timeout, Consistency::REQUIRED, Some(watch)).await
    }

    /// Connects, with `timeout` as server selection and connect timeout unless the URL sets
    /// them and [`MAX_POOL_SIZE`] unless the URL sets a pool size, and with `consistency` on
    /// both collections whatever the URL says, and `watch` (tests only) as its command
    /// monitor; then creates the indexes.
    pub(in crate::store::mongo) async fn connect_with(
        url: &str,
        timeout: Duration,
        consistency: Consistency,
        watch: Option<mongodb::event::EventHandler<mongodb::event::command::CommandEvent>>,
    ) -> Result<Self, StoreError> {
        let shown = StoreUrl::Mongo(url.to_owned()).to_string();
        let context = format!("connecting to `{shown}`");
        let secrets = secrets(url);
        let classify = |err: &mongodb::error::Error| classify_scrubbed(&context, err, &secrets);
        let mut options = ClientOptions::parse(url).await.map_err(|err| {
            if matches!(err.kind.as_ref(), ErrorKind::InvalidArgument { .. }) {
                StoreError::InvalidUrl {
                    url: shown.clone(),
                    reason: scrub(&err.kind.to_string(), &secrets),
                }
            } else {
                classify(&err)
            }
        })?;
        options.server_selection_timeout.get_or_insert(timeout);
        options.connect_timeout.get_or_insert(timeout);
        options.max_pool_size.get_or_insert(MAX_POOL_SIZE);
        if watch.is_some() {
            options.command_event_handler = watch;
        }
        options
            .app_name
            .get_or_insert_with(|| "flashsale".to_owned());
        let database = options
            .default_database
            .clone()
            .unwrap_or_else(|| "flashsale".to_owned());
        let client = Client::with_options(options).map_err(|err| classify(&err))?;
        let db = client.database(&database);
        let settings = collection_options(consistency, consistency.write);
        let reservation = collection_options(consistency, consistency.reservation);
        let ops = DriverOps {
            campaigns: db.collection_with_options("campaigns", settings.clone()),
            claims: db.collection_with_options("claims", settings.clone()),
            reservations: db.collection_with_options("claims", reservation),
            events: db.collection_with_options("events", settings),
            db,
            consistency,
        };
        ops.ensure_indexes(&classify).await?;
        ops.ensure_event_index(&classify).await?;
        Ok(ops)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::mongo::ops::TimeSource;

    #[test]
    fn every_guarantee_maps_to_its_collection_option() {
        let required = Consistency::REQUIRED;
        let options = collection_options(required, required.write);
        let write = options.write_concern.unwrap();
        assert_eq!(write.w, Some(Acknowledgment::Majority));
        assert_eq!(write.journal, Some(true));
        assert_eq!(write.w_timeout, Some(MAJORITY_TIMEOUT));
        assert!(matches!(
            options.selection_criteria,
            Some(SelectionCriteria::ReadPreference(ReadPreference::Primary))
        ));
        assert_eq!(options.read_concern, Some(ReadConcern::majority()));

        // The reservation insert alone is acknowledged by the primary, unjournaled; its reads
        // (none) would be what every other read is.
        let reservation = collection_options(required, required.reservation);
        let write = reservation.write_concern.unwrap();
        assert_eq!(write.w, Some(Acknowledgment::Nodes(1)));
        assert_eq!(write.journal, Some(false));
        assert_eq!(reservation.read_concern, Some(ReadConcern::majority()));

        let weak = Consistency {
            write: WriteLevel::Primary,
            reservation: WriteLevel::Primary,
            read_from: ReadFrom::Secondary,
            read_level: ReadLevel::Local,
            time: TimeSource::Client,
        };
        let weak = collection_options(weak, weak.write);
        assert_eq!(
            weak.write_concern.unwrap().w,
            Some(Acknowledgment::Nodes(1))
        );
        assert!(matches!(
            weak.selection_criteria,
            Some(SelectionCriteria::ReadPreference(
                ReadPreference::Secondary { .. }
            ))
        ));
        assert_eq!(weak.read_concern, Some(ReadConcern::local()));
    }
}
