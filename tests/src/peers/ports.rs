//! Picking a free control port and a free contiguous passive range on
//! 127.0.0.1, below Linux's ephemeral range so outgoing connections do not
//! take them.

use std::net::TcpListener;
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU32, Ordering};

const LOW: u32 = 10_000;
const SPAN: u32 = 22_000;
const ATTEMPTS: u32 = 200;

/// A free control port and `passive` free ports right after it.
pub(crate) fn reserve(passive: u16) -> Result<(u16, RangeInclusive<u16>), String> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let pid = std::process::id();
    let width = u32::from(passive) + 1;
    for _ in 0..ATTEMPTS {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        // Spread processes by pid and calls by a counter, in steps of `width`.
        let slot = pid.wrapping_mul(7919).wrapping_add(n.wrapping_mul(104_729));
        let base = LOW + (slot % (SPAN / width)) * width;
        let Ok(control) = u16::try_from(base) else {
            continue;
        };
        let Some(last) = control.checked_add(passive) else {
            continue;
        };
        if (control..=last).all(bindable) {
            return Ok((control, control + 1..=last));
        }
    }
    Err(format!(
        "no free range of {width} ports after {ATTEMPTS} attempts"
    ))
}

fn bindable(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}
