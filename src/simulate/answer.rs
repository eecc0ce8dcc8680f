//! What a shopper's request was answered, however it travelled: from the service in this
//! process or from a server over HTTP. The users judge both the same way.

use crate::domain::{Claim, ClaimOutcome, ClaimStatus, ClaimToken, Redemption, Transition};
use crate::error::{Error, ErrorKind};

/// One answer to a claim or a redemption.
#[derive(Debug)]
pub(super) enum Heard {
    /// The request made something: a new claim, or a redemption at checkout.
    Made(Shown),
    /// The request was answered with what the user already had: their claim, or the order's
    /// first redemption.
    Replayed(Shown),
    /// Refused with this kind, or failed without one (no answer, or one that could not be
    /// read).
    Refused(Option<ErrorKind>),
}

/// What an answer showed of the claim: as much as the simulator checks.
#[derive(Debug)]
pub(super) struct Shown {
    pub token: ClaimToken,
    /// `None` when an answer over HTTP did not say (or said something unknown).
    pub status: Option<ClaimStatus>,
    pub redemption: Option<Redemption>,
}

impl Shown {
    fn of(claim: Claim) -> Self {
        Shown {
            token: claim.token,
            status: Some(claim.status),
            redemption: claim.redemption,
        }
    }
}

impl From<Result<ClaimOutcome, Error>> for Heard {
    fn from(outcome: Result<ClaimOutcome, Error>) -> Self {
        match outcome {
            Ok(ClaimOutcome::Claimed(claim)) => Heard::Made(Shown::of(claim)),
            Ok(ClaimOutcome::Replayed(claim)) => Heard::Replayed(Shown::of(claim)),
            Err(err) => Heard::Refused(Some(err.kind())),
        }
    }
}

impl From<Result<Transition, Error>> for Heard {
    fn from(outcome: Result<Transition, Error>) -> Self {
        match outcome {
            Ok(Transition::Changed(claim)) => Heard::Made(Shown::of(claim)),
            Ok(Transition::Replayed(claim)) => Heard::Replayed(Shown::of(claim)),
            Err(err) => Heard::Refused(Some(err.kind())),
        }
    }
}
