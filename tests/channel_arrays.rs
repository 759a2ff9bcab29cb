//! Terms over slices of channels built at run time (`When::and_all`,
//! `JoinBuilder::when_all`): a message or call of each channel, bound as a
//! `Vec` in slice order, with no limit on how many.

use std::sync::Arc;
use std::thread;

use chords::{AsyncChannel, BuildError, Join, SyncChannel};

mod common;
use common::wait_until;

/// A barrier over `n` distinct synchronous channels: each party calls its
/// own, and every call returns the arguments of all `n`, in slice order.
fn barrier(n: usize) -> (Join, Vec<SyncChannel<usize, Vec<usize>>>) {
    let mut b = Join::builder();
    let parties: Vec<_> = (0..n).map(|i| b.synchronous(format!("party{i}"))).collect();
    b.when_all(&parties).named("meet").then(|(calls,)| {
        let args: Vec<usize> = calls.iter().map(|(arg, _)| *arg).collect();
        for (_, reply) in calls {
            reply.send(args.clone());
        }
    });
    (b.build().unwrap(), parties)
}

#[test]
fn a_barrier_over_fifty_synchronous_channels_releases_every_party_each_round() {
    const PARTIES: usize = 50;
    const ROUNDS: usize = 20;
    let (join, parties) = barrier(PARTIES);
    let join = Arc::new(join);
    let threads: Vec<_> = parties
        .iter()
        .enumerate()
        .map(|(i, &party)| {
            let join = Arc::clone(&join);
            thread::spawn(move || {
                (0..ROUNDS)
                    .map(|round| join.call(party, round * 1_000 + i))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for (i, t) in threads.into_iter().enumerate() {
        let seen = t.join().unwrap();
        for (round, args) in seen.into_iter().enumerate() {
            // Everyone met in the same round: the round's arguments, in
            // slice order, are the same for every party.
            let expected: Vec<usize> = (0..PARTIES).map(|p| round * 1_000 + p).collect();
            assert_eq!(args, expected, "party {i}, round {round}");
        }
    }
    for &party in &parties {
        assert_eq!(join.waiting(party), 0);
    }
}

#[test]
fn responses_from_a_hundred_workers_come_in_slice_order() {
    let mut b = Join::builder();
    let done: Vec<AsyncChannel<u32>> = (0..100)
        .map(|i| b.asynchronous(format!("done{i}")))
        .collect();
    let collect = b.synchronous::<(), Vec<u32>>("collect");
    b.when(collect)
        .and_all(&done)
        .then(|(((), reply), results)| reply.send(results));
    let join = Arc::new(b.build().unwrap());
    // The workers answer in any order, from threads; two rounds' worth.
    let workers: Vec<_> = (0..100u32)
        .map(|w| {
            let (join, channel) = (Arc::clone(&join), done[w as usize]);
            thread::spawn(move || {
                join.send(channel, w);
                join.send(channel, 100 + w);
            })
        })
        .collect();
    workers.into_iter().for_each(|w| w.join().unwrap());
    assert_eq!(join.call(collect, ()), (0..100).collect::<Vec<_>>());
    assert_eq!(join.call(collect, ()), (100..200).collect::<Vec<_>>());
    // Nothing fires until every worker answered.
    for &channel in &done[..99] {
        join.send(channel, 7);
    }
    assert!(join.try_call(collect, ()).is_err());
    assert_eq!(join.waiting(done[0]), 1, "nothing consumed");
    join.send(done[99], 8);
    let last = join.call(collect, ());
    assert_eq!((last.len(), last[0], last[99]), (100, 7, 8));
}

#[test]
fn a_slice_term_mixes_with_other_terms_and_repeats_a_channel_listed_twice() {
    let mut b = Join::builder();
    let a = b.asynchronous::<char>("a");
    let c = b.asynchronous::<char>("c");
    let take = b.synchronous::<(), (Vec<char>, char)>("take");
    let last = b.asynchronous::<char>("last");
    b.when(take)
        .and_all(&[a, c, a])
        .and(last)
        .then(|(((), reply), got, end)| reply.send((got, end)));
    let join = Arc::new(b.build().unwrap());
    let taker = {
        let join = Arc::clone(&join);
        thread::spawn(move || join.call(take, ()))
    };
    wait_until("the call queued", || join.waiting(take) == 1);
    join.send(a, '1');
    join.send(c, '2');
    join.send(last, 'z');
    assert_eq!(
        join.waiting(take),
        1,
        "`a` is listed twice: one more needed"
    );
    join.send(a, '3');
    assert_eq!(taker.join().unwrap(), (vec!['1', '2', '3'], 'z'));
    assert_eq!(join.waiting(a) + join.waiting(c) + join.waiting(last), 0);
}

#[test]
fn an_empty_slice_binds_nothing_and_a_chord_of_nothing_is_refused() {
    let mut b = Join::builder();
    let go = b.synchronous::<u8, usize>("go");
    let none: [AsyncChannel<u8>; 0] = [];
    b.when(go)
        .and_all(&none)
        .then(|((n, reply), got)| reply.send(n as usize + got.len()));
    let join = b.build().unwrap();
    assert_eq!(join.call(go, 4), 4);

    let mut b = Join::builder();
    b.when_all(&none).named("idle").then(|_| ());
    assert_eq!(
        b.build().unwrap_err(),
        BuildError::NoTerms {
            chord: "idle".into()
        }
    );
}

#[test]
fn a_slice_with_a_foreign_channel_is_refused() {
    let mut other = Join::builder();
    let foreign = other.asynchronous::<u8>("foreign");
    let mut b = Join::builder();
    let own = b.asynchronous::<u8>("own");
    b.when_all(&[own, foreign]).named("mixed").then(|_| ());
    assert_eq!(
        b.build().unwrap_err(),
        BuildError::ForeignChannel {
            chord: "mixed".into()
        }
    );
}
