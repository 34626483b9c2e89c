//! The fence: whether this process may write now, asked before every write to the controller
//! and to Kubernetes. A leader may write until its last renewal plus the renew deadline, on the
//! monotonic clock, so a leader that was paused (SIGSTOP, a frozen VM) finds its fence closed the
//! moment it runs again, before the task that renews the lease has even woken up.

use std::time::Instant;

use tokio::sync::watch;

/// This process's part in the election.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// No election (no namespace to hold a Lease in, or turned off): the only writer.
    Alone,
    /// Holds the lease.
    Leader,
    /// Does not hold the lease; `leader` holds it, when known.
    Follower {
        /// The lease's holder.
        leader: Option<String>,
    },
}

impl Role {
    /// `alone`, `leader` or `follower`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Alone => "alone",
            Role::Leader => "leader",
            Role::Follower { .. } => "follower",
        }
    }
}

/// The role and, for a leader, until when it may write.
#[derive(Clone, Debug)]
pub struct Standing {
    /// The role.
    pub role: Role,
    /// A leader writes until then (its last renewal was sent at `until - renew deadline`).
    pub until: Option<Instant>,
}

impl Standing {
    pub(crate) fn follower(leader: Option<String>) -> Self {
        Standing {
            role: Role::Follower { leader },
            until: None,
        }
    }

    fn check(&self, now: Instant) -> Result<(), String> {
        match (&self.role, self.until) {
            (Role::Alone, _) => Ok(()),
            (Role::Leader, Some(until)) if now < until => Ok(()),
            (Role::Leader, _) => Err("this replica's leader lease ran out (not renewed in time)".to_owned()),
            (Role::Follower { leader }, _) => Err(format!(
                "this replica is a follower (the leader is {})",
                leader.as_deref().unwrap_or("not known")
            )),
        }
    }
}

/// Whether this process may write; cheap to clone and to ask.
#[derive(Clone, Debug)]
pub struct Fence {
    rx: watch::Receiver<Standing>,
}

impl Fence {
    /// Always open: the only writer (`ako demo`, a run without election).
    pub fn alone() -> Fence {
        Fence::channel(Standing {
            role: Role::Alone,
            until: None,
        })
        .1
    }

    pub(crate) fn channel(initial: Standing) -> (watch::Sender<Standing>, Fence) {
        let (tx, rx) = watch::channel(initial);
        (tx, Fence { rx })
    }

    /// `Ok` when a write may be sent now, else why not.
    pub fn check(&self) -> Result<(), String> {
        self.rx.borrow().check(Instant::now())
    }

    /// A write may be sent now.
    pub fn is_open(&self) -> bool {
        self.check().is_ok()
    }

    /// The current role.
    pub fn role(&self) -> Role {
        self.rx.borrow().role.clone()
    }

    /// Wait until writes are allowed (at once when they are).
    pub async fn opened(&self) {
        let mut rx = self.rx.clone();
        // An error means the elector is gone: the fence stays as it is, so wait forever.
        if rx.wait_for(|s| s.check(Instant::now()).is_ok()).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Wait until writes are no longer allowed: the role changed, or a leader's time ran out.
    pub async fn closed(&self) {
        let mut rx = self.rx.clone();
        loop {
            let standing = rx.borrow_and_update().clone();
            if standing.check(Instant::now()).is_err() {
                return;
            }
            let expiry = async {
                match standing.until {
                    Some(until) => tokio::time::sleep_until(until.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::pin!(expiry);
            tokio::select! {
                changed = rx.changed() => if changed.is_err() {
                    // The elector is gone: only the clock can close the fence now.
                    expiry.await;
                    return;
                },
                () = &mut expiry => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_leader_writes_until_its_time_runs_out_a_follower_never() {
        let now = Instant::now();
        let leader = Standing {
            role: Role::Leader,
            until: Some(now + Duration::from_secs(10)),
        };
        assert_eq!(leader.check(now), Ok(()));
        assert!(leader.check(now + Duration::from_secs(10)).is_err());
        let f = Standing::follower(Some("ako-1".into()));
        assert_eq!(
            f.check(now),
            Err("this replica is a follower (the leader is ako-1)".into())
        );
        let alone = Standing {
            role: Role::Alone,
            until: None,
        };
        assert_eq!(alone.check(now + Duration::from_secs(3600)), Ok(()));
    }

    #[tokio::test]
    async fn closed_wakes_when_the_time_runs_out_and_opened_when_leading() {
        let (tx, fence) = Fence::channel(Standing::follower(None));
        assert!(!fence.is_open());
        let waiter = tokio::spawn({
            let fence = fence.clone();
            async move { fence.opened().await }
        });
        tx.send_replace(Standing {
            role: Role::Leader,
            until: Some(Instant::now() + Duration::from_millis(200)),
        });
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("opened")
            .unwrap();
        assert!(fence.is_open());
        // Nobody renews: the fence closes by itself, no message needed.
        tokio::time::timeout(Duration::from_secs(5), fence.closed())
            .await
            .expect("closed by the clock");
        assert!(!fence.is_open());
        assert_eq!(fence.role(), Role::Leader);
    }
}
