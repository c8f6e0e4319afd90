//! Leader election on a `coordination.k8s.io/v1` Lease, so that two operator replicas are safe: only
//! the holder reconciles. The holder renews every few seconds; another replica takes over when the
//! lease has not been renewed for its duration. Writes carry the Lease's resourceVersion, so two
//! replicas racing for it cannot both win. A leader that fails to renew stops (its pod restarts and
//! competes again) rather than risk two writers.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::{Api, PostParams};
use kube::{Client, ResourceExt};

/// How long a lease holds without renewal.
pub const LEASE_SECONDS: i32 = 15;
/// How often the holder renews, and a candidate tries.
pub const RETRY: Duration = Duration::from_secs(4);

/// What a replica does with the lease it sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Nobody holds it: create it.
    Create,
    /// We hold it: renew it.
    Renew,
    /// Its holder has not renewed in time: take it over.
    TakeOver,
    /// Someone else holds it.
    Wait,
}

/// The decision for `me` at `now_ms`, given the lease as read.
pub fn decide(lease: Option<&Lease>, me: &str, now_ms: i64) -> Decision {
    let Some(spec) = lease.and_then(|lease| lease.spec.as_ref()) else {
        return if lease.is_some() {
            Decision::TakeOver
        } else {
            Decision::Create
        };
    };
    if spec.holder_identity.as_deref() == Some(me) {
        return Decision::Renew;
    }
    let renewed = spec
        .renew_time
        .as_ref()
        .map_or(i64::MIN, |time| time.0.as_millisecond());
    let duration = i64::from(spec.lease_duration_seconds.unwrap_or(LEASE_SECONDS)) * 1000;
    if spec.holder_identity.is_none() || renewed.saturating_add(duration) < now_ms {
        Decision::TakeOver
    } else {
        Decision::Wait
    }
}

fn micro_time(ms: i64) -> MicroTime {
    MicroTime(k8s_openapi::jiff::Timestamp::from_millisecond(ms).unwrap_or_default())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// One attempt: `true` when `me` holds the lease afterwards.
pub async fn try_acquire(api: &Api<Lease>, name: &str, me: &str) -> Result<bool, kube::Error> {
    try_acquire_at(api, name, me, now_ms()).await
}

/// [`try_acquire`] at a given time.
pub async fn try_acquire_at(
    api: &Api<Lease>,
    name: &str,
    me: &str,
    now: i64,
) -> Result<bool, kube::Error> {
    let current = api.get_opt(name).await?;
    let decision = decide(current.as_ref(), me, now);
    let transitions = current
        .as_ref()
        .and_then(|lease| lease.spec.as_ref())
        .and_then(|spec| spec.lease_transitions)
        .unwrap_or(0);
    let acquired = current
        .as_ref()
        .and_then(|lease| lease.spec.as_ref())
        .and_then(|spec| spec.acquire_time.clone());
    let spec = |acquire_time: Option<MicroTime>, transitions: i32| LeaseSpec {
        holder_identity: Some(me.to_owned()),
        lease_duration_seconds: Some(LEASE_SECONDS),
        acquire_time,
        renew_time: Some(micro_time(now)),
        lease_transitions: Some(transitions),
        ..LeaseSpec::default()
    };
    let outcome = match decision {
        Decision::Wait => return Ok(false),
        Decision::Create => {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(name.to_owned()),
                    ..ObjectMeta::default()
                },
                spec: Some(spec(Some(micro_time(now)), 0)),
            };
            api.create(&PostParams::default(), &lease).await
        }
        Decision::Renew | Decision::TakeOver => {
            let mut lease = current.expect("decided on a lease that exists");
            lease.spec = Some(if decision == Decision::Renew {
                spec(acquired, transitions)
            } else {
                spec(Some(micro_time(now)), transitions + 1)
            });
            // Carries the resourceVersion read above: a concurrent write makes this a conflict.
            api.replace(&lease.name_any(), &PostParams::default(), &lease)
                .await
        }
    };
    match outcome {
        Ok(_) => Ok(true),
        // Someone else wrote it first.
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
        Err(error) => Err(error),
    }
}

/// Waits until `me` holds the lease, then keeps renewing it; returns when the lease is lost (the
/// caller stops reconciling).
pub async fn hold(
    client: Client,
    namespace: String,
    name: String,
    me: String,
    leading: tokio::sync::watch::Sender<bool>,
) {
    let (name, me) = (name.as_str(), me.as_str());
    let api: Api<Lease> = Api::namespaced(client, &namespace);
    loop {
        match try_acquire(&api, name, me).await {
            Ok(true) => break,
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "Cannot read or write the leader lease."),
        }
        tokio::time::sleep(RETRY).await;
    }
    tracing::info!(lease = name, holder = me, "Leading.");
    let _ = leading.send(true);
    loop {
        tokio::time::sleep(RETRY).await;
        match try_acquire(&api, name, me).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::error!(lease = name, "The leader lease was taken over; stopping.");
                break;
            }
            Err(error) => {
                tracing::error!(%error, "Cannot renew the leader lease; stopping.");
                break;
            }
        }
    }
    let _ = leading.send(false);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(holder: Option<&str>, renewed_ms: i64) -> Lease {
        Lease {
            metadata: ObjectMeta::default(),
            spec: Some(LeaseSpec {
                holder_identity: holder.map(str::to_owned),
                lease_duration_seconds: Some(LEASE_SECONDS),
                renew_time: Some(micro_time(renewed_ms)),
                ..LeaseSpec::default()
            }),
        }
    }

    #[tokio::test]
    async fn two_replicas_share_one_lease() {
        let fake = std::sync::Arc::new(std::sync::Mutex::new(crate::fake_api::FakeApi::default()));
        let api: Api<Lease> =
            Api::namespaced(crate::fake_api::client(std::sync::Arc::clone(&fake)), "mcp");
        let now = 1_800_000_000_000;
        assert!(
            try_acquire_at(&api, "operator", "a", now).await.unwrap(),
            "a creates it"
        );
        assert!(
            !try_acquire_at(&api, "operator", "b", now + 1000)
                .await
                .unwrap(),
            "b waits"
        );
        assert!(
            try_acquire_at(&api, "operator", "a", now + 4000)
                .await
                .unwrap(),
            "a renews"
        );
        assert!(
            !try_acquire_at(&api, "operator", "b", now + 18_000)
                .await
                .unwrap(),
            "still fresh"
        );
        // a stops renewing; after the lease duration b takes over.
        assert!(
            try_acquire_at(&api, "operator", "b", now + 20_000)
                .await
                .unwrap(),
            "b takes over"
        );
        assert!(
            !try_acquire_at(&api, "operator", "a", now + 21_000)
                .await
                .unwrap(),
            "a has lost it"
        );
        let lease = api.get("operator").await.unwrap();
        let spec = lease.spec.unwrap();
        assert_eq!(spec.holder_identity.as_deref(), Some("b"));
        assert_eq!(spec.lease_transitions, Some(1));
        // A write with a stale resourceVersion (a replica that read before another wrote) loses.
        let mut stale = api.get("operator").await.unwrap();
        stale.metadata.resource_version = Some("1".into());
        stale.spec.as_mut().unwrap().holder_identity = Some("c".into());
        assert!(
            api.replace("operator", &PostParams::default(), &stale)
                .await
                .is_err()
        );
    }

    #[test]
    fn the_lease_decides_who_leads() {
        let now = 1_800_000_000_000;
        assert_eq!(decide(None, "a", now), Decision::Create);
        assert_eq!(
            decide(Some(&lease(Some("a"), now - 1000)), "a", now),
            Decision::Renew
        );
        assert_eq!(
            decide(Some(&lease(Some("b"), now - 1000)), "a", now),
            Decision::Wait
        );
        assert_eq!(
            decide(Some(&lease(Some("b"), now - 14_000)), "a", now),
            Decision::Wait
        );
        assert_eq!(
            decide(Some(&lease(Some("b"), now - 16_000)), "a", now),
            Decision::TakeOver
        );
        assert_eq!(
            decide(Some(&lease(None, now)), "a", now),
            Decision::TakeOver
        );
    }
}
