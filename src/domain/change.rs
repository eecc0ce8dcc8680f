//! An operator's changes to a campaign, decided on the campaign as a store read it inside
//! its atomic step.

use chrono::{DateTime, TimeDelta, Utc};

use super::{Campaign, CampaignState, Conflict, EventKind, Units, Window};

/// An operator's change to a campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CampaignChange {
    /// Stop new claims for now (replays and redeems still work).
    Pause,
    /// Accept new claims again.
    Resume,
    /// Move the end later, to this instant.
    Extend {
        /// The new end.
        ends_at: DateTime<Utc>,
    },
    /// Move the end later by this much, from the end as it stands when the change is decided
    /// (so two operators extending at once each add their time: neither is lost).
    ExtendBy(TimeDelta),
    /// Stop the campaign for good, from now on (an earlier stop is kept).
    End,
    /// Restock.
    AddInventory(Units),
    /// Take units off sale; never below what claims hold.
    RemoveInventory(Units),
}

/// A change as decided: the campaign as it must be written, and the event to append with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// The campaign after the change (unchanged when the change was already in effect).
    pub campaign: Campaign,
    /// The event to append; `None` when the change was already in effect, and then the store
    /// writes nothing at all.
    pub event: Option<EventKind>,
}

impl Applied {
    /// Whether anything changed (and so was written, with its event).
    #[must_use]
    pub fn changed(&self) -> bool {
        self.event.is_some()
    }
}

impl CampaignChange {
    /// Decides the change on `campaign` as read inside the store's atomic step, at `now`.
    ///
    /// One rule for repeats: a change already in effect (pause a paused campaign, resume a
    /// running one, end an ended one, extend to the end it already has) is applied unchanged,
    /// with no event, so a retried request is safe; a change the state contradicts (pause,
    /// resume, extend or restock an ended campaign, an earlier end, a removal below what is
    /// held) is refused as a [`Conflict`].
    ///
    /// # Errors
    /// [`ChangeRefusal`] when the campaign's state forbids the change.
    pub fn apply(&self, campaign: &Campaign, now: DateTime<Utc>) -> Result<Applied, ChangeRefusal> {
        let id = &campaign.id;
        let ended = campaign.state(now) == CampaignState::Ended;
        let refuse_when_ended = |action: &'static str| {
            if ended {
                Err(ChangeRefusal::Conflict(Conflict::Ended {
                    id: id.clone(),
                    action,
                }))
            } else {
                Ok(())
            }
        };
        let unchanged = || Applied {
            campaign: campaign.clone(),
            event: None,
        };
        let mut after = campaign.clone();
        let event = match self {
            CampaignChange::Pause | CampaignChange::Resume => {
                let pause = *self == CampaignChange::Pause;
                refuse_when_ended(if pause { "paused" } else { "resumed" })?;
                if campaign.paused == pause {
                    return Ok(unchanged());
                }
                after.paused = pause;
                if pause {
                    EventKind::CampaignPaused
                } else {
                    EventKind::CampaignResumed
                }
            }
            CampaignChange::Extend { ends_at } => {
                refuse_when_ended("extended")?;
                return extend(campaign, *ends_at);
            }
            CampaignChange::ExtendBy(by) => {
                refuse_when_ended("extended")?;
                let ends_at = campaign
                    .window
                    .ends_at
                    .checked_add_signed(*by)
                    .filter(|at| *at <= Window::LATEST && *by > TimeDelta::zero())
                    .ok_or(ChangeRefusal::EndOutOfRange)?;
                return extend(campaign, ends_at);
            }
            CampaignChange::End => {
                if campaign.ended_at.is_some() {
                    // Already stopped: the first stop is kept and nothing changes.
                    return Ok(unchanged());
                }
                after.ended_at = Some(now);
                EventKind::CampaignEnded { ended_at: now }
            }
            CampaignChange::AddInventory(units) => {
                // Units added to an ended campaign could never be claimed: a restock there is a
                // mistake (usually the wrong id), and answering it with success would hide it.
                refuse_when_ended("restocked")?;
                if campaign.total > units.restock_ceiling() {
                    return Err(ChangeRefusal::InventoryLimit);
                }
                after.total += units.get();
                after.remaining += units.get();
                EventKind::InventoryAdded {
                    units: units.get(),
                    total_before: campaign.total,
                    total_after: after.total,
                }
            }
            CampaignChange::RemoveInventory(units) => {
                if campaign.remaining < units.get() {
                    return Err(ChangeRefusal::Conflict(Conflict::BelowHeld {
                        id: id.clone(),
                        units: units.get(),
                        remaining: campaign.remaining,
                    }));
                }
                if campaign.total <= units.get() {
                    return Err(ChangeRefusal::Conflict(Conflict::NothingLeft {
                        id: id.clone(),
                        total: campaign.total,
                    }));
                }
                after.total -= units.get();
                after.remaining -= units.get();
                EventKind::InventoryRemoved {
                    units: units.get(),
                    total_before: campaign.total,
                    total_after: after.total,
                }
            }
        };
        Ok(Applied {
            campaign: after,
            event: Some(event),
        })
    }
}

/// Moves the end of a running campaign to `ends_at`: later only; the same end is already in
/// effect.
fn extend(campaign: &Campaign, ends_at: DateTime<Utc>) -> Result<Applied, ChangeRefusal> {
    let before = campaign.window.ends_at;
    if ends_at == before {
        return Ok(Applied {
            campaign: campaign.clone(),
            event: None,
        });
    }
    if ends_at < before {
        return Err(ChangeRefusal::Conflict(Conflict::NotLater {
            id: campaign.id.clone(),
            ends_at: before,
        }));
    }
    let mut after = campaign.clone();
    after.window.ends_at = ends_at;
    Ok(Applied {
        campaign: after,
        event: Some(EventKind::CampaignExtended {
            ends_at_before: before,
            ends_at_after: ends_at,
        }),
    })
}

/// Why a [`CampaignChange`] is refused. Nothing is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeRefusal {
    /// No campaign has that id.
    CampaignNotFound,
    /// The state forbids it.
    Conflict(Conflict),
    /// A restock would pass [`MAX_INVENTORY`](super::MAX_INVENTORY).
    InventoryLimit,
    /// An extension by a duration would move the end past the last instant a window may hold
    /// ([`Window::LATEST`]), or the duration is not positive.
    EndOutOfRange,
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::domain::Cents;
    use crate::domain::fixtures::{at, campaign};

    fn changed(change: &CampaignChange, c: &Campaign, now: i64) -> Campaign {
        let applied = change.apply(c, at(now)).unwrap();
        assert!(applied.changed(), "{change:?} changed nothing");
        applied.campaign
    }

    fn unchanged(change: &CampaignChange, c: &Campaign, now: i64) {
        assert_eq!(
            change.apply(c, at(now)),
            Ok(Applied {
                campaign: c.clone(),
                event: None
            }),
            "{change:?} should be already in effect"
        );
    }

    /// One rule for repeats: a change already in effect is applied unchanged with no event.
    #[test]
    fn a_change_already_in_effect_succeeds_unchanged_with_no_event() {
        let c = campaign(None);
        let applied = CampaignChange::Pause.apply(&c, at(5)).unwrap();
        assert_eq!(applied.event, Some(EventKind::CampaignPaused));
        let paused = applied.campaign;
        assert_eq!(paused.state(at(5)), CampaignState::Paused);
        // Paused wins over scheduled and sold out; ended wins over paused.
        assert_eq!(paused.state(at(-1)), CampaignState::Paused);
        let mut sold_out = paused.clone();
        for _ in 0..3 {
            sold_out.take_unit();
        }
        assert_eq!(sold_out.state(at(5)), CampaignState::Paused);
        assert_eq!(paused.state(at(100_001)), CampaignState::Ended);
        assert_eq!(
            changed(&CampaignChange::End, &paused, 6).state(at(6)),
            CampaignState::Ended
        );
        unchanged(&CampaignChange::Pause, &paused, 6);
        unchanged(&CampaignChange::Resume, &c, 6);
        assert!(!changed(&CampaignChange::Resume, &paused, 6).paused);
        let ended = changed(&CampaignChange::End, &c, 5);
        assert_eq!(ended.ended_at, Some(at(5)));
        // The first stop is kept.
        unchanged(&CampaignChange::End, &ended, 9);
        let ends_at = c.window.ends_at;
        unchanged(&CampaignChange::Extend { ends_at }, &c, 6);
    }

    /// A change the state contradicts is a conflict, and an ended campaign contradicts every
    /// change but an end and a removal.
    #[test]
    fn a_change_the_state_contradicts_is_a_conflict() {
        let c = campaign(None);
        let ended = changed(&CampaignChange::End, &c, 5);
        for change in [
            CampaignChange::Pause,
            CampaignChange::Resume,
            CampaignChange::Extend {
                ends_at: at(200_000),
            },
            CampaignChange::ExtendBy(TimeDelta::minutes(5)),
            CampaignChange::AddInventory(Units::new(5).unwrap()),
        ] {
            assert!(
                matches!(
                    change.apply(&ended, at(6)),
                    Err(ChangeRefusal::Conflict(Conflict::Ended { .. }))
                ),
                "{change:?}"
            );
        }
        // A campaign past its end is ended too, without an operator.
        assert!(matches!(
            CampaignChange::AddInventory(Units::new(1).unwrap()).apply(&c, at(100_001)),
            Err(ChangeRefusal::Conflict(Conflict::Ended {
                action: "restocked",
                ..
            }))
        ));
        assert!(matches!(
            CampaignChange::Extend {
                ends_at: at(99_999)
            }
            .apply(&c, at(6)),
            Err(ChangeRefusal::Conflict(Conflict::NotLater { .. }))
        ));
        let mut held = c.clone();
        held.take_unit();
        held.take_unit();
        assert!(matches!(
            CampaignChange::RemoveInventory(Units::new(2).unwrap()).apply(&held, at(6)),
            Err(ChangeRefusal::Conflict(Conflict::BelowHeld {
                remaining: 1,
                ..
            }))
        ));
        assert!(matches!(
            CampaignChange::RemoveInventory(Units::new(3).unwrap()).apply(&c, at(6)),
            Err(ChangeRefusal::Conflict(Conflict::NothingLeft {
                total: 3,
                ..
            }))
        ));
        let fewer = changed(
            &CampaignChange::RemoveInventory(Units::new(1).unwrap()),
            &held,
            6,
        );
        assert_eq!(
            (fewer.total(), fewer.remaining(), fewer.claimed()),
            (2, 0, 2)
        );
    }

    /// Extending by a duration adds it to the end as read inside the atomic step.
    #[test]
    fn extend_by_adds_to_the_end_as_decided() {
        let c = campaign(None);
        let longer = changed(&CampaignChange::ExtendBy(TimeDelta::seconds(30)), &c, 6);
        assert_eq!(longer.window.ends_at, at(130_000));
        let twice = changed(
            &CampaignChange::ExtendBy(TimeDelta::seconds(30)),
            &longer,
            7,
        );
        assert_eq!(twice.window.ends_at, at(160_000));
        let mut late = c.clone();
        late.window.ends_at = Window::LATEST - TimeDelta::seconds(1);
        assert_eq!(
            CampaignChange::ExtendBy(TimeDelta::seconds(2)).apply(&late, at(6)),
            Err(ChangeRefusal::EndOutOfRange)
        );
    }

    #[test]
    fn a_paused_campaign_refuses_new_claims_as_not_live_paused() {
        let mut c = campaign(None);
        c.paused = true;
        assert_eq!(
            c.admit(at(5), Cents::new(30_00).unwrap()),
            Err(crate::domain::Refusal::NotLive(CampaignState::Paused))
        );
    }
}
