//! The active object (`examples/active_object`): requests processed one at a
//! time, each sender's in the order sent, each exactly once.

#[allow(dead_code)]
#[path = "../examples/active_object/logger.rs"]
mod logger;

mod common;

use std::thread;

use common::{wait_until, within};
use logger::Logger;

#[test]
fn one_sender_is_processed_in_order_exactly_once() {
    let logger = Logger::new();
    for i in 0..2000 {
        logger.log(i.to_string());
    }
    let mut lines = Vec::new();
    wait_until("all lines appended", || {
        lines = logger.lines();
        lines.len() == 2000
    });
    let expected: Vec<String> = (0..2000).map(|i: i32| i.to_string()).collect();
    assert_eq!(lines, expected);
}

#[test]
fn several_senders_each_keep_their_order() {
    within("senders", || {
        const SENDERS: usize = 4;
        const EACH: usize = 500;
        let logger = Logger::new();
        thread::scope(|s| {
            for sender in 0..SENDERS {
                let logger = &logger;
                s.spawn(move || {
                    for i in 0..EACH {
                        logger.log(format!("{sender}:{i}"));
                    }
                });
            }
        });
        let mut lines = Vec::new();
        wait_until("all lines appended", || {
            lines = logger.lines();
            lines.len() == SENDERS * EACH
        });
        for sender in 0..SENDERS {
            let mine: Vec<usize> = lines
                .iter()
                .filter_map(|l| l.strip_prefix(&format!("{sender}:")))
                .map(|i| i.parse().unwrap())
                .collect();
            assert_eq!(mine, (0..EACH).collect::<Vec<_>>(), "sender {sender}");
        }
        assert_eq!(
            logger.lines().len(),
            SENDERS * EACH,
            "reading does not change the state"
        );
    });
}
