//! Thousands of seeds against the store as it ships, the determinism of a seed, and the proof
//! that the checker catches each defect once it is put back.

use std::fmt::Write as _;
use std::time::Instant;

use super::super::claim::Defect;
use super::super::ops::{ReadFrom, ReadLevel, TimeSource, WriteLevel};
use super::scenario::{
    OperatorClock, Outcome, Setup, campaign_read_cost, run, run_lifecycle, run_operator_create,
};
use super::world::{Ans, Event};

/// Seeds `cargo test` runs; `FLASHSALE_SIM_SEEDS` asks for more (the longer run).
const QUICK_SEEDS: u64 = 3_000;

/// Each claim-path defect, put back: its name (for `FLASHSALE_SIM_DEFECT`), the setup, and
/// the violation the checker must report for it.
const DEFECTS: [(&str, Setup, &str); 7] = {
    let r = Setup::REQUIRED;
    let c = r.consistency;
    [
        (
            "reconcile-lowers-remaining",
            Setup {
                defect: Some(Defect::ReconcileLowersRemaining),
                ..r
            },
            "I3 (conservation) after the sale",
        ),
        (
            "refusal-without-recheck",
            Setup {
                defect: Some(Defect::RefusalWithoutRecheck),
                ..r
            },
            "I4 (refused while holding a claim)",
        ),
        (
            "refusal-after-lost-reservation",
            Setup {
                defect: Some(Defect::RefusalAfterLostReservation),
                ..r
            },
            "I4 (refused while holding a claim)",
        ),
        (
            "primary-only-writes",
            Setup {
                consistency: super::super::ops::Consistency {
                    write: WriteLevel::Primary,
                    ..c
                },
                ..r
            },
            "I1 (oversell)",
        ),
        (
            "secondary-reads",
            Setup {
                consistency: super::super::ops::Consistency {
                    read_from: ReadFrom::Secondary,
                    ..c
                },
                ..r
            },
            "I3 (conservation) after reconcile --apply",
        ),
        (
            "local-reads",
            Setup {
                consistency: super::super::ops::Consistency {
                    read_level: ReadLevel::Local,
                    ..c
                },
                ..r
            },
            "I4 (durability)",
        ),
        (
            "client-clock",
            Setup {
                consistency: super::super::ops::Consistency {
                    time: TimeSource::Client,
                    ..c
                },
                ..r
            },
            "I3 (conservation) after the sale",
        ),
    ]
};

/// The lifecycle's defect, put back: a transition's update without the status it read.
const TRANSITION_WITHOUT_STATUS: &str = "transition-without-status";

/// The held count's defect, put back: a unit's return leaves it counted as held.
const RETURN_KEEPS_HELD: &str = "return-keeps-held";

/// The setup `FLASHSALE_SIM_DEFECT` names (the store as it ships when unset), with the
/// variable as a replay command spells it. A name that is no defect panics: running the store
/// as it ships instead would pass for a replay of the defect.
fn setup() -> (String, Setup) {
    let name = match std::env::var("FLASHSALE_SIM_DEFECT") {
        Ok(name) if !name.is_empty() => name,
        Ok(_) | Err(std::env::VarError::NotPresent) => return (String::new(), Setup::REQUIRED),
        Err(std::env::VarError::NotUnicode(name)) => {
            panic!(
                "FLASHSALE_SIM_DEFECT={name:?} is no defect: {}",
                defect_names()
            )
        }
    };
    let setup = if name == TRANSITION_WITHOUT_STATUS {
        Setup {
            defect: Some(Defect::TransitionWithoutStatus),
            ..Setup::REQUIRED
        }
    } else if name == RETURN_KEEPS_HELD {
        Setup {
            defect: Some(Defect::ReturnKeepsHeld),
            ..Setup::REQUIRED
        }
    } else {
        match DEFECTS.iter().find(|(n, _, _)| *n == name) {
            Some((_, setup, _)) => *setup,
            None => panic!(
                "FLASHSALE_SIM_DEFECT={name} is no defect: {}",
                defect_names()
            ),
        }
    };
    (format!("FLASHSALE_SIM_DEFECT={name} "), setup)
}

/// The names `FLASHSALE_SIM_DEFECT` takes, for its error message.
fn defect_names() -> String {
    let names: Vec<&str> = DEFECTS
        .iter()
        .map(|(name, _, _)| *name)
        .chain([TRANSITION_WITHOUT_STATUS, RETURN_KEEPS_HELD])
        .collect();
    format!("it takes one of {}", names.join(", "))
}

/// A whole number from `variable`, if set; a value that is not one panics, so a mistyped
/// request never runs something else and passes.
fn number(variable: &str) -> Option<u64> {
    match std::env::var(variable) {
        Ok(text) if text.is_empty() => None,
        Ok(text) => Some(
            text.parse()
                .unwrap_or_else(|_| panic!("{variable}={text:?} is not a whole number")),
        ),
        Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(text)) => {
            panic!("{variable}={text:?} is not a whole number")
        }
    }
}

/// How many seeds to run: `FLASHSALE_SIM_SEEDS`, else `quick`.
fn seeds(quick: u64) -> u64 {
    number("FLASHSALE_SIM_SEEDS").unwrap_or(quick)
}

/// The one seed `FLASHSALE_SIM_SEED` asks to replay, if any.
fn replay() -> Option<u64> {
    number("FLASHSALE_SIM_SEED")
}

fn report(seed: u64, env: &str, outcome: &Outcome) -> String {
    let mut text = format!("seed {seed} breaks the invariants:\n");
    for v in &outcome.violations {
        let _ = writeln!(text, "  - {v}");
    }
    let _ = write!(
        text,
        "replay it exactly, with its history: {env}FLASHSALE_SIM_SEED={seed} cargo test --lib \
         sim::tests::every_seed -- --nocapture"
    );
    text
}

fn print_history(outcome: &Outcome) {
    for (at, event) in outcome.history.iter().enumerate() {
        eprintln!("{at:6} {event:?}");
    }
}

/// The first seed in `range` whose run with `setup` breaks an invariant.
fn first_failure(setup: Setup, range: std::ops::Range<u64>) -> Option<(u64, Outcome)> {
    range
        .map(|seed| (seed, run(seed, setup)))
        .find(|(_, outcome)| !outcome.violations.is_empty())
}

#[test]
fn every_seed_keeps_every_invariant() {
    let (env, setup) = setup();
    if let Some(seed) = replay() {
        let outcome = run(seed, setup);
        print_history(&outcome);
        assert!(
            outcome.violations.is_empty(),
            "{}",
            report(seed, &env, &outcome)
        );
        return;
    }
    let started = Instant::now();
    let n = seeds(QUICK_SEEDS);
    if let Some((seed, outcome)) = first_failure(setup, 0..n) {
        panic!("{}", report(seed, &env, &outcome));
    }
    eprintln!("{n} seeds kept every invariant in {:?}", started.elapsed());
}

/// How far the search for a seed that re-finds a defect may go.
const DEFECT_SEARCH: u64 = 3_000;

/// Each claim-path defect, put back, is caught on some seed, by the violation it causes.
#[test]
fn the_checker_catches_each_defect_put_back() {
    let mut missed = Vec::new();
    for (name, setup, expected) in DEFECTS {
        match first_failure(setup, 0..DEFECT_SEARCH) {
            Some((seed, outcome)) => {
                eprintln!(
                    "{name}: caught at seed {seed}:\n{}",
                    report(seed, &format!("FLASHSALE_SIM_DEFECT={name} "), &outcome)
                );
                let first = (seed..DEFECT_SEARCH).find(|&s| {
                    run(s, setup)
                        .violations
                        .iter()
                        .any(|v| v.starts_with(expected))
                });
                match first {
                    Some(s) => eprintln!("{name}: first seed with \"{expected}\": {s}"),
                    None => missed.push(format!("{name} never caused \"{expected}\"")),
                }
            }
            None => missed.push(format!("{name} passed {DEFECT_SEARCH} seeds")),
        }
    }
    assert!(missed.is_empty(), "the checker missed: {missed:?}");
}

#[test]
fn a_seed_replays_the_same_history() {
    for seed in [1, 7, 42] {
        let (a, b) = (run(seed, Setup::REQUIRED), run(seed, Setup::REQUIRED));
        assert!(
            a.history.len() > 50,
            "seed {seed} did too little to compare"
        );
        assert_eq!(a.history, b.history, "seed {seed} ran two ways");
    }
}

/// The lifecycle sale too: one seed, one history.
#[test]
fn a_lifecycle_seed_replays_the_same_history() {
    for seed in [1, 7, 42] {
        let (a, b) = (
            run_lifecycle(seed, Setup::REQUIRED),
            run_lifecycle(seed, Setup::REQUIRED),
        );
        assert!(
            a.history.len() > 50,
            "seed {seed} did too little to compare"
        );
        assert_eq!(a.history, b.history, "seed {seed} ran two ways");
    }
}

#[test]
fn the_schedules_cover_every_feature() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..200 {
        let outcome = run(seed, Setup::REQUIRED);
        if outcome.rolled_back > 0 {
            seen.insert("rollback");
        }
        for event in &outcome.history {
            let feature = match event {
                Event::Step(s) if s.starts_with("Elect") => "election",
                Event::Step(s) if s.starts_with("Replicate") => "replication",
                Event::Crash { .. } => "crash",
                Event::End {
                    ans: Ans::Failed(why),
                    ..
                } if why.contains("answer was lost") => "lost answer",
                Event::End {
                    ans: Ans::Failed(why),
                    ..
                } if why.contains("request was lost") => "lost request",
                Event::End {
                    ans: Ans::Failed(why),
                    ..
                } if why.contains("outcome unknown") => "unknown outcome",
                // A reservation the primary alone acknowledged, rolled back by an election.
                Event::End {
                    ans: Ans::Failed(why),
                    ..
                } if why.contains("reservation was lost") => "lost reservation",
                Event::End {
                    ans: Ans::Replayed(_),
                    ..
                } => "replay",
                Event::End {
                    ans: Ans::Refused("sold_out"),
                    ..
                } => "sold out",
                _ => continue,
            };
            seen.insert(feature);
        }
    }
    for feature in [
        "rollback",
        "election",
        "replication",
        "crash",
        "lost answer",
        "lost request",
        "unknown outcome",
        "lost reservation",
        "replay",
        "sold out",
    ] {
        assert!(seen.contains(feature), "no schedule had a {feature}");
    }
}

/// Round trips, majority writes and modelled latency per claim, from the simulation's own
/// count of what each request sent, over runs without faults (where a request's cost is the
/// algorithm's alone). The latency is the simulation's model (`world::ROUND_TRIP_US` per round
/// trip, `world::MAJORITY_WRITE_US` for one waiting on a `majority` write): the fastest request
/// of each kind is the uncontended path, pinned here; the mean adds the waits of duplicate
/// tabs and the rounds of racing requests.
#[test]
fn round_trips_and_writes_per_claim() {
    #[derive(Default)]
    struct Sum {
        n: u32,
        ops: u32,
        round_trips: u32,
        writes: u32,
        clock_reads: u32,
        max_round_trips: u32,
        max_writes: u32,
        modelled_ms: f64,
        min_modelled_us: Option<u32>,
    }
    let ms = |us: f64| us / 1000.0;
    let mut sums: std::collections::BTreeMap<&str, Sum> = std::collections::BTreeMap::new();
    for seed in 0..300 {
        let outcome = run(seed, Setup::REQUIRED);
        if outcome.faulted {
            continue;
        }
        for (ans, cost) in &outcome.costs {
            let kind = match ans {
                Ans::Claimed(_) => "new claim",
                Ans::Replayed(_) => "replay",
                Ans::Refused("sold_out") if cost.majority_writes > 0 => "sold out, raced",
                Ans::Refused("sold_out") => "sold out, no write",
                _ => continue,
            };
            // A request that read the server's clock paid a round trip a running server pays
            // once a minute: left out of the latency, as of the round trips.
            let clock_us = cost.clock_reads * super::world::ROUND_TRIP_US;
            let sum = sums.entry(kind).or_default();
            sum.n += 1;
            sum.ops += cost.ops;
            sum.round_trips += cost.round_trips;
            sum.writes += cost.majority_writes;
            sum.clock_reads += cost.clock_reads;
            sum.max_round_trips = sum.max_round_trips.max(cost.round_trips);
            sum.max_writes = sum.max_writes.max(cost.majority_writes);
            let latency = cost.modelled_us - clock_us;
            sum.modelled_ms += ms(f64::from(latency));
            sum.min_modelled_us = Some(sum.min_modelled_us.map_or(latency, |m| m.min(latency)));
        }
    }
    let mut fastest = Vec::new();
    for kind in [
        "new claim",
        "replay",
        "sold out, raced",
        "sold out, no write",
    ] {
        let sum = &sums[kind];
        let avg = |x: u32| f64::from(x) / f64::from(sum.n);
        let min = sum.min_modelled_us.unwrap_or_default();
        eprintln!(
            "{kind:>18}: {:5} requests; per request {:.2} operations, {:.2} sequential round \
             trips (max {}; {:.2} of them reading the server's clock), {:.2} majority writes \
             (max {}); modelled latency {:.2} ms fastest, {:.2} ms mean",
            sum.n,
            avg(sum.ops),
            avg(sum.round_trips),
            sum.max_round_trips,
            avg(sum.clock_reads),
            avg(sum.writes),
            sum.max_writes,
            ms(f64::from(min)),
            sum.modelled_ms / f64::from(sum.n),
        );
        assert!(sum.n > 0, "no {kind} was measured");
        // A refusal that wrote took one of several paths (a lost decrement, a stale
        // reservation removed first): its fastest is no single path's.
        if kind != "sold out, raced" {
            fastest.push((kind, min));
        }
    }
    assert_eq!(
        fastest,
        [
            ("new claim", 5_000),
            ("replay", 500),
            ("sold out, no write", 1_000),
        ],
        "the modelled latency of each kind's uncontended path, in microseconds"
    );
}

/// A campaign read (`GET /v1/campaigns/{id}`, a `/metrics` refresh, the sweep's list) is one
/// operation on the `campaigns` collection and none on `claims`, with no claim or with
/// 100,000: the held count rides on the campaign document.
#[test]
fn a_campaign_read_is_one_command_touching_no_claim() {
    for claims in [0, 100_000] {
        let (cost, campaign) = campaign_read_cost(claims);
        let campaign = campaign.expect("the campaign is read");
        eprintln!(
            "campaign read with {claims} claims: {} operation(s), {} round trip(s), {} on the \
             claims collection; claimed {}",
            cost.ops,
            cost.round_trips,
            cost.claim_ops,
            campaign.claimed()
        );
        assert_eq!((cost.ops, cost.round_trips, cost.claim_ops), (1, 1, 0));
        assert_eq!(campaign.claimed(), i64::try_from(claims).unwrap());
        assert_eq!(campaign.remaining(), 1);
    }
}

/// Seeds of the lifecycle sale `cargo test` runs (`FLASHSALE_SIM_SEEDS` asks for more).
const LIFECYCLE_SEEDS: u64 = 1_000;

/// The lifecycle sale keeps every invariant, I7 to I10 included, on every seed.
#[test]
fn every_lifecycle_seed_keeps_every_invariant() {
    let (env, setup) = setup();
    if let Some(seed) = replay() {
        let outcome = run_lifecycle(seed, setup);
        print_history(&outcome);
        assert!(
            outcome.violations.is_empty(),
            "{}",
            lifecycle_report(seed, &env, &outcome)
        );
        return;
    }
    let started = Instant::now();
    let n = seeds(LIFECYCLE_SEEDS);
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..n {
        let outcome = run_lifecycle(seed, setup);
        assert!(
            outcome.violations.is_empty(),
            "{}",
            lifecycle_report(seed, &env, &outcome)
        );
        for event in &outcome.history {
            match event {
                Event::End {
                    ans: Ans::Moved(to),
                    ..
                } => seen.insert(format!("moved to {to}")),
                Event::End {
                    ans: Ans::Same(to), ..
                } => seen.insert(format!("replayed {to}")),
                Event::End {
                    ans: Ans::Swept(1..),
                    ..
                } => seen.insert("swept".to_owned()),
                Event::End {
                    ans: Ans::Refused("conflict"),
                    ..
                } => seen.insert("conflict".to_owned()),
                _ => false,
            };
        }
    }
    // Runs in which some transition never happened would prove nothing about it.
    if n >= LIFECYCLE_SEEDS {
        for want in [
            "moved to redeemed",
            "moved to voided",
            "replayed redeemed",
            "replayed voided",
            "swept",
            "conflict",
        ] {
            assert!(seen.contains(want), "no run {want}: {seen:?}");
        }
    }
    eprintln!(
        "{n} lifecycle seeds kept every invariant in {:?}",
        started.elapsed()
    );
}

/// A transition whose update omits the status it read (two racing voids, or a void racing a
/// redeem, both match) is caught: by I7 or I10.
#[test]
fn the_checker_catches_a_transition_without_its_status() {
    let setup = Setup {
        defect: Some(Defect::TransitionWithoutStatus),
        ..Setup::REQUIRED
    };
    let found = (0..DEFECT_SEARCH)
        .map(|seed| (seed, run_lifecycle(seed, setup)))
        .find(|(_, outcome)| {
            outcome
                .violations
                .iter()
                .any(|v| v.starts_with("I7") || v.starts_with("I10"))
        });
    let Some((seed, outcome)) = found else {
        panic!("no seed below {DEFECT_SEARCH} caught a transition without its status");
    };
    eprintln!(
        "{}",
        lifecycle_report(
            seed,
            &format!("FLASHSALE_SIM_DEFECT={TRANSITION_WITHOUT_STATUS} "),
            &outcome
        )
    );
}

/// A held count that drifts (a return puts the unit back in `remaining` and leaves it in
/// `held`) is caught by the held count's checks: on the committed data as it happens, and
/// against the claims at rest.
#[test]
fn the_checker_catches_a_held_count_that_drifts() {
    let setup = Setup {
        defect: Some(Defect::ReturnKeepsHeld),
        ..Setup::REQUIRED
    };
    let found = (0..DEFECT_SEARCH)
        .map(|seed| (seed, run_lifecycle(seed, setup)))
        .find(|(_, outcome)| !outcome.violations.is_empty());
    let Some((seed, outcome)) = found else {
        panic!("no seed below {DEFECT_SEARCH} caught a held count that drifts");
    };
    eprintln!(
        "{}",
        lifecycle_report(
            seed,
            &format!("FLASHSALE_SIM_DEFECT={RETURN_KEEPS_HELD} "),
            &outcome
        )
    );
    assert!(
        outcome
            .violations
            .iter()
            .all(|v| v.starts_with("held count")),
        "seed {seed} broke more than the held count: {:?}",
        outcome.violations
    );
    // The store as it ships keeps that very seed.
    let shipped = run_lifecycle(seed, Setup::REQUIRED);
    assert!(shipped.violations.is_empty(), "{:?}", shipped.violations);
}

fn lifecycle_report(seed: u64, env: &str, outcome: &Outcome) -> String {
    report(seed, env, outcome).replace("sim::tests::every_seed", "sim::tests::every_lifecycle_seed")
}

/// Seeds of an operator creating the campaign from a skewed machine.
const OPERATOR_SEEDS: u64 = 200;

/// An operator's machine running minutes ahead or behind creates the campaign with no start:
/// on every seed the sale opens when the servers say it was created (the operator's action is
/// stamped with the server's clock, read through `Store::now`), and a shopper claiming right
/// after is granted.
#[test]
fn a_skewed_operator_opens_the_sale_when_the_servers_say() {
    for seed in 0..OPERATOR_SEEDS {
        let outcome = run_operator_create(seed, Setup::REQUIRED);
        assert!(
            outcome.violations.is_empty(),
            "operator seed {seed}: {:?}",
            outcome.violations
        );
    }
}

/// Stamped with the operator's own clock instead, the check fails: a machine running fast
/// opens the sale late (the shopper right after is refused as not live), one running slow
/// opens it before it was created. Both are found among the first seeds.
#[test]
fn the_checker_catches_an_operator_stamping_with_its_own_clock() {
    let local = Setup {
        operator_clock: OperatorClock::Local,
        ..Setup::REQUIRED
    };
    for (running, says) in [
        ("fast", "after it was created"),
        ("slow", "before it was created"),
    ] {
        let caught = (0..OPERATOR_SEEDS).find_map(|seed| {
            let violations = run_operator_create(seed, local).violations;
            violations
                .iter()
                .any(|v| v.starts_with("server time (start)") && v.contains(says))
                .then_some((seed, violations))
        });
        let Some((seed, violations)) = caught else {
            panic!("no seed caught an operator's machine running {running}")
        };
        eprintln!("an operator's machine running {running}: caught at seed {seed}: {violations:?}");
        if running == "fast" {
            assert!(
                violations
                    .iter()
                    .any(|v| v.starts_with("server time (live at once)")),
                "{violations:?}"
            );
        }
    }
}
