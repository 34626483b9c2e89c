//! Leader election on a real API server (testenv): one leader among several electors, a
//! released lease taken at once, a silent leader's fence closing by the clock and its lease taken
//! after the lease duration, and a lease held the way Go AKO holds it respected.

use std::time::{Duration, Instant};

use ako_runtime::leader::{Election, LeaseSettings, Role};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use serde_json::json;

/// Short durations so the tests take seconds: 3 s lease, 2 s renew deadline, 250 ms retries.
fn settings(ns: &str, identity: &str) -> LeaseSettings {
    LeaseSettings {
        lease_duration: Duration::from_secs(3),
        renew_deadline: Duration::from_secs(2),
        retry_period: Duration::from_millis(250),
        ..LeaseSettings::new(ns, identity)
    }
}

/// Poll `probe` every 50 ms for at most `wait`.
async fn until<T>(what: &str, wait: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + wait;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(Instant::now() < deadline, "not within {wait:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn leaders(elections: &[&Election]) -> Vec<String> {
    elections
        .iter()
        .filter(|e| e.fence().role() == Role::Leader)
        .map(|e| e.identity().to_owned())
        .collect()
}

async fn holder(ns: &ako_testenv::TestNamespace) -> Option<String> {
    let lease: Lease = ns.api::<Lease>().get("ako-lease-lock").await.expect("the lease");
    lease.spec.and_then(|s| s.holder_identity).filter(|h| !h.is_empty())
}

#[tokio::test]
async fn one_leader_among_three_and_a_released_lease_is_taken_at_once() {
    let ns = ako_testenv::TestNamespace::new("lease").await;
    let client = ns.client();
    let all: Vec<Election> = ["a", "b", "c"]
        .into_iter()
        .map(|id| Election::start(client.clone(), settings(ns.name(), id)))
        .collect();
    let refs: Vec<&Election> = all.iter().collect();
    let first = until("one leader", Duration::from_secs(20), || {
        let l = leaders(&refs);
        (l.len() == 1).then(|| l[0].clone())
    })
    .await;
    // Stable: for a few renewals, still exactly that one, and the Lease names it.
    for _ in 0..10 {
        assert_eq!(leaders(&refs), vec![first.clone()]);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(holder(&ns).await.as_deref(), Some(first.as_str()));
    for e in &all {
        assert_eq!(e.fence().is_open(), e.identity() == first, "{}", e.identity());
        if e.identity() != first {
            assert_eq!(
                e.fence().role(),
                Role::Follower {
                    leader: Some(first.clone())
                }
            );
        }
    }

    // The leader steps down: fence closed at once, lease released, a follower leads well before
    // the lease duration (3 s) would have run out.
    let leader = all.iter().find(|e| e.identity() == first).unwrap();
    leader.stop();
    assert!(!leader.fence().is_open());
    let released = Instant::now();
    leader.release().await;
    let others: Vec<&Election> = all.iter().filter(|e| e.identity() != first).collect();
    let second = until("a new leader", Duration::from_secs(10), || {
        let l = leaders(&others);
        (l.len() == 1).then(|| l[0].clone())
    })
    .await;
    assert!(
        released.elapsed() < Duration::from_millis(1500),
        "taken over in {:?}",
        released.elapsed()
    );
    assert_eq!(holder(&ns).await.as_deref(), Some(second.as_str()));
    drop(all);
    ns.delete().await;
}

#[tokio::test]
async fn a_silent_leader_is_fenced_by_the_clock_and_replaced_after_the_lease_duration() {
    let ns = ako_testenv::TestNamespace::new("lease").await;
    let a = Election::start(ns.client(), settings(ns.name(), "a"));
    until("a leads", Duration::from_secs(20), || {
        (a.fence().role() == Role::Leader).then_some(())
    })
    .await;
    let fence = a.fence();
    // The elector is gone without a word (as a killed or paused process): nobody tells the
    // fence, nobody releases the lease.
    drop(a);
    let silent = Instant::now();
    let b = Election::start(ns.client(), settings(ns.name(), "b"));
    tokio::time::timeout(Duration::from_secs(5), fence.closed())
        .await
        .expect("closed by the clock");
    assert!(
        silent.elapsed() <= Duration::from_millis(2100),
        "{:?}",
        silent.elapsed()
    );
    until("b leads", Duration::from_secs(20), || {
        (b.fence().role() == Role::Leader).then_some(())
    })
    .await;
    // Not before the lease duration after b first saw a's last renewal.
    assert!(silent.elapsed() >= Duration::from_secs(3), "{:?}", silent.elapsed());
    assert_eq!(holder(&ns).await.as_deref(), Some("b"));
    assert!(!fence.is_open());
    drop(b);
    ns.delete().await;
}

#[tokio::test]
async fn a_lease_held_as_go_ako_holds_it_is_respected_until_it_expires() {
    let ns = ako_testenv::TestNamespace::new("lease").await;
    let leases = ns.api::<Lease>();
    let now = MicroTime(jiff::Timestamp::now());
    let lease: Lease = serde_json::from_value(json!({
        "metadata": {"name": "ako-lease-lock"},
        "spec": {"holderIdentity": "ako-0", "leaseDurationSeconds": 3,
                 "acquireTime": now, "renewTime": now, "leaseTransitions": 4}
    }))
    .unwrap();
    leases
        .create(&Default::default(), &lease)
        .await
        .expect("Go AKO's lease");
    let ours = Election::start(ns.client(), settings(ns.name(), "ako-rs-0"));
    until("following ako-0", Duration::from_secs(10), || {
        (ours.fence().role()
            == Role::Follower {
                leader: Some("ako-0".into()),
            })
        .then_some(())
    })
    .await;
    let started = Instant::now();
    until("leading once ako-0 stopped renewing", Duration::from_secs(20), || {
        (ours.fence().role() == Role::Leader).then_some(())
    })
    .await;
    assert!(started.elapsed() >= Duration::from_secs(2), "{:?}", started.elapsed());
    let spec = leases.get("ako-lease-lock").await.unwrap().spec.unwrap();
    assert_eq!(spec.holder_identity.as_deref(), Some("ako-rs-0"));
    assert_eq!(spec.lease_transitions, Some(5));
    drop(ours);
    ns.delete().await;
}

/// A TCP relay to the API server that can be made to hold every byte (a network partition in
/// which requests hang rather than fail).
struct Relay {
    addr: std::net::SocketAddr,
    hold: tokio::sync::watch::Sender<bool>,
}

impl Relay {
    async fn start(upstream: String) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (hold, held) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            while let Ok((down, _)) = listener.accept().await {
                let Ok(up) = tokio::net::TcpStream::connect(&upstream).await else {
                    continue;
                };
                let (dr, dw) = down.into_split();
                let (ur, uw) = up.into_split();
                tokio::spawn(pump(dr, uw, held.clone()));
                tokio::spawn(pump(ur, dw, held.clone()));
            }
        });
        Relay { addr, hold }
    }
}

/// Copy `from` to `to`, holding the bytes while `held` says so.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut held: tokio::sync::watch::Receiver<bool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if held.wait_for(|h| !*h).await.is_err() || to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn a_leader_whose_renewals_hang_stops_writing_at_its_renew_deadline() {
    let ns = ako_testenv::TestNamespace::new("lease").await;
    let mut config = ako_testenv::testenv().config().await.unwrap();
    let upstream = config.cluster_url.authority().unwrap().to_string();
    let relay = Relay::start(upstream).await;
    config.cluster_url = format!("https://{}", relay.addr).parse().unwrap();
    let cut_off = kube::Client::try_from(config).unwrap();
    let a = Election::start(cut_off, settings(ns.name(), "a"));
    until("a leads", Duration::from_secs(20), || {
        (a.fence().role() == Role::Leader).then_some(())
    })
    .await;
    // Every request from now on hangs, the renewal's included: the elector cannot even learn
    // that it failed. The fence closes by the clock at the renew deadline (2 s) all the same.
    relay.hold.send_replace(true);
    let cut = Instant::now();
    let b = Election::start(ns.client(), settings(ns.name(), "b"));
    tokio::time::timeout(Duration::from_secs(10), a.fence().closed())
        .await
        .expect("the fence closes while the renewal hangs");
    assert!(cut.elapsed() <= Duration::from_millis(2300), "{:?}", cut.elapsed());
    assert!(!a.fence().is_open());
    until("b leads", Duration::from_secs(20), || {
        (b.fence().role() == Role::Leader).then_some(())
    })
    .await;
    // b waited a whole lease duration (3 s) after it first saw a's last renewal.
    assert!(cut.elapsed() >= Duration::from_secs(3), "{:?}", cut.elapsed());
    assert!(!a.fence().is_open());
    drop((a, b));
    ns.delete().await;
}
