//! Awaited calls (`name_async`, `Join::call_async`): the reference's
//! *Async callers*. Futures and threads share one queue and one set of
//! rules; a dropped future leaves no trace.

mod common;

use std::time::Duration;

use chords::chords;

#[chords]
impl Buffer {
    async fn put(&self, n: u32);
    fn get(&self) -> u32;

    #[chord(get() & put(n))]
    fn deliver(&self) -> u32 {
        n
    }
}

#[tokio::test]
async fn an_awaited_get_takes_a_put_that_comes_later() {
    let b = Buffer::new();
    let b2 = b.clone();
    let t = tokio::spawn(async move { b2.get_async().await });
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(b.waiting()["get"], 1);
    b.put(7);
    assert_eq!(t.await.unwrap(), 7);
    assert_eq!(b.waiting()["get"], 0);
}

#[tokio::test]
async fn a_timed_out_future_loses_no_message() {
    let b = Buffer::new();
    for _ in 0..100 {
        let r = tokio::time::timeout(Duration::from_micros(50), b.get_async()).await;
        assert!(r.is_err());
    }
    assert_eq!(b.waiting()["get"], 0);
    b.put(1);
    assert_eq!(b.waiting()["put"], 1);
    assert_eq!(b.get_async().await, 1);
}
