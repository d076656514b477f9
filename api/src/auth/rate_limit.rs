//! A fixed-window request budget per endpoint and client (an address, or an account), kept in this process's memory.
//!
//! Per-address limits only slow down one client hammering one process; the per-account failed-login limit, which
//! must hold across processes, lives in the database (`repo::login_attempts`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Entries beyond which stale windows are swept out, so a spray of addresses cannot grow memory without bound.
const SWEEP_AT: usize = 10_000;

/// Who a budget belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Client {
    /// An IPv4 address, or the /64 network of an IPv6 address (one host usually has a whole /64).
    Address(IpAddr),
    Account(i64),
}

impl Client {
    pub fn address(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                Self::Address(IpAddr::V6(network.into()))
            }
            IpAddr::V6(v6) => Self::Address(IpAddr::V4(
                v6.to_ipv4_mapped().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
            )),
            v4 => Self::Address(v4),
        }
    }
}

/// A client on one endpoint.
type Key = (&'static str, Client);

/// When the current window started, and how many requests it has seen.
type Window = (DateTime<Utc>, u32);

/// Counts requests per (scope, address) in fixed windows.
pub struct RateLimiter {
    limit: u32,
    window: chrono::Duration,
    windows: Mutex<HashMap<Key, Window>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window: chrono::Duration::from_std(window).unwrap_or(chrono::Duration::minutes(1)),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request; `Err(seconds)` says how long until the client may try again.
    pub fn check(&self, scope: &'static str, client: Client, now: DateTime<Utc>) -> Result<(), u64> {
        let mut windows = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() >= SWEEP_AT {
            let window = self.window;
            windows.retain(|_, (start, _)| *start + window > now);
        }
        let entry = windows.entry((scope, client)).or_insert((now, 0));
        if entry.0 + self.window <= now {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            let wait = (entry.0 + self.window - now).num_seconds().max(1);
            return Err(u64::try_from(wait).unwrap_or(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_refills_when_the_window_ends() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        let ip = Client::address("192.0.2.1".parse().unwrap());
        let t0 = Utc::now();
        assert!(limiter.check("login", ip, t0).is_ok());
        assert!(limiter.check("login", ip, t0).is_ok());
        assert_eq!(limiter.check("login", ip, t0 + chrono::Duration::seconds(15)), Err(45));
        assert!(limiter.check("register", ip, t0).is_ok(), "scopes are separate");
        assert!(
            limiter
                .check("login", Client::address("192.0.2.2".parse().unwrap()), t0)
                .is_ok(),
            "addresses are separate"
        );
        assert!(limiter.check("login", ip, t0 + chrono::Duration::seconds(60)).is_ok());
    }

    #[test]
    fn an_ipv6_host_counts_as_its_64_network() {
        let a = Client::address("2001:db8:1:2::1".parse().unwrap());
        let b = Client::address("2001:db8:1:2:ffff::9".parse().unwrap());
        let other = Client::address("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, other);
        assert_eq!(
            Client::address("::ffff:192.0.2.1".parse().unwrap()),
            Client::address("192.0.2.1".parse().unwrap())
        );
    }
}
