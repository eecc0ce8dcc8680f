//! Campaigns and claims as stores keep them: plain fields (text, integers, instants in
//! milliseconds), and one checked conversion into domain types that every store shares.
//!
//! A store maps its rows or documents to these records and back; what a stored value must be
//! to become a domain value is decided here once, so both backends refuse the same damage with
//! the same message.

use chrono::{DateTime, Utc};

use super::{
    Campaign, CampaignId, Cents, Claim, ClaimStatus, ClaimToken, Currency, DiscountRule, Hold,
    OrderId, Percent, Redemption, UserId, VoidReason, Window,
};

/// A stored value that no longer satisfies its domain rule (the store was damaged or written
/// by something else).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("stored {0} is not valid")]
pub struct Corrupt(pub &'static str);

/// A campaign as a store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignRecord {
    /// The campaign id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Window start, in milliseconds since the Unix epoch.
    pub starts_at: i64,
    /// Window end, in milliseconds since the Unix epoch.
    pub ends_at: i64,
    /// When an operator stopped it, in milliseconds since the Unix epoch.
    pub ended_at: Option<i64>,
    /// Units ever put on sale.
    pub total: i64,
    /// Claims held.
    pub claimed: i64,
    /// Units left.
    pub remaining: i64,
    /// Percent off, in basis points.
    pub percent_bps: i64,
    /// Cap on one discount, in minor units.
    pub max_discount_cents: i64,
    /// Minimum eligible cart, in minor units.
    pub min_cart_cents: i64,
    /// Currency code.
    pub currency: String,
    /// Creation instant, in milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Paused by an operator.
    pub paused: bool,
    /// The hold of its claims, in seconds.
    pub hold_seconds: Option<i64>,
}

/// A claim as a store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimRecord {
    /// The campaign id.
    pub campaign_id: String,
    /// The holder.
    pub user_id: String,
    /// The discount token.
    pub token: String,
    /// The discount, in minor units.
    pub discount_cents: i64,
    /// The cart, in minor units.
    pub cart_cents: i64,
    /// When the claim was granted, in milliseconds since the Unix epoch.
    pub claimed_at: i64,
    /// The campaign's currency code.
    pub currency: String,
    /// `claimed`, `redeemed`, `voided` or `expired`.
    pub status: String,
    /// When its hold runs out, in milliseconds since the Unix epoch.
    pub expires_at: Option<i64>,
    /// The order it was redeemed for.
    pub order_id: Option<String>,
    /// The checkout cart, in minor units.
    pub redeemed_cart_cents: Option<i64>,
    /// The re-priced discount, in minor units.
    pub redeemed_discount_cents: Option<i64>,
    /// When it was redeemed, in milliseconds since the Unix epoch.
    pub redeemed_at: Option<i64>,
    /// When it was voided, in milliseconds since the Unix epoch (none for a claim voided
    /// before the store recorded it).
    pub voided_at: Option<i64>,
    /// The operator's reason for the void.
    pub void_reason: Option<String>,
    /// When it was expired, in milliseconds since the Unix epoch (none for a claim expired
    /// before the store recorded it).
    pub expired_at: Option<i64>,
}

fn instant(millis: i64) -> Result<DateTime<Utc>, Corrupt> {
    DateTime::from_timestamp_millis(millis).ok_or(Corrupt("timestamp"))
}

fn cents(value: i64) -> Result<Cents, Corrupt> {
    Cents::new(value).map_err(|_| Corrupt("amount"))
}

impl From<&Campaign> for CampaignRecord {
    fn from(c: &Campaign) -> Self {
        CampaignRecord {
            id: c.id.as_str().to_owned(),
            name: c.name.clone(),
            starts_at: c.window.starts_at.timestamp_millis(),
            ends_at: c.window.ends_at.timestamp_millis(),
            ended_at: c.ended_at.map(|at| at.timestamp_millis()),
            total: c.total,
            claimed: c.claimed,
            remaining: c.remaining,
            percent_bps: i64::from(c.rule.percent.bps()),
            max_discount_cents: c.rule.max_discount.get(),
            min_cart_cents: c.rule.min_cart.get(),
            currency: c.currency.as_str().to_owned(),
            created_at: c.created_at.timestamp_millis(),
            paused: c.paused,
            hold_seconds: c.hold.map(Hold::seconds),
        }
    }
}

impl TryFrom<CampaignRecord> for Campaign {
    type Error = Corrupt;

    fn try_from(r: CampaignRecord) -> Result<Self, Corrupt> {
        if r.total < 0 || r.claimed < 0 || r.remaining < 0 {
            return Err(Corrupt("inventory"));
        }
        Ok(Campaign {
            id: CampaignId::parse(&r.id).map_err(|_| Corrupt("campaign id"))?,
            name: r.name,
            window: Window {
                starts_at: instant(r.starts_at)?,
                ends_at: instant(r.ends_at)?,
            },
            rule: DiscountRule {
                percent: u16::try_from(r.percent_bps)
                    .ok()
                    .and_then(|bps| Percent::from_bps(bps).ok())
                    .ok_or(Corrupt("percent"))?,
                max_discount: cents(r.max_discount_cents)?,
                min_cart: cents(r.min_cart_cents)?,
            },
            currency: Currency::parse_stored(&r.currency).map_err(|_| Corrupt("currency"))?,
            total: r.total,
            claimed: r.claimed,
            remaining: r.remaining,
            ended_at: r.ended_at.map(instant).transpose()?,
            created_at: instant(r.created_at)?,
            paused: r.paused,
            hold: r
                .hold_seconds
                .map(|s| Hold::from_seconds(s).map_err(|_| Corrupt("hold")))
                .transpose()?,
        })
    }
}

impl From<&Claim> for ClaimRecord {
    fn from(c: &Claim) -> Self {
        ClaimRecord {
            campaign_id: c.campaign_id.as_str().to_owned(),
            user_id: c.user_id.as_str().to_owned(),
            token: c.token.as_str().to_owned(),
            discount_cents: c.discount.get(),
            cart_cents: c.cart.get(),
            claimed_at: c.claimed_at.timestamp_millis(),
            currency: c.currency.as_str().to_owned(),
            status: c.status.as_str().to_owned(),
            expires_at: c.expires_at.map(|at| at.timestamp_millis()),
            order_id: c
                .redemption
                .as_ref()
                .map(|r| r.order_id.as_str().to_owned()),
            redeemed_cart_cents: c.redemption.as_ref().map(|r| r.cart.get()),
            redeemed_discount_cents: c.redemption.as_ref().map(|r| r.discount.get()),
            redeemed_at: c
                .redemption
                .as_ref()
                .map(|r| r.redeemed_at.timestamp_millis()),
            voided_at: c.voided_at.map(|at| at.timestamp_millis()),
            void_reason: c.void_reason.as_ref().map(|r| r.as_str().to_owned()),
            expired_at: c.expired_at.map(|at| at.timestamp_millis()),
        }
    }
}

impl TryFrom<ClaimRecord> for Claim {
    type Error = Corrupt;

    fn try_from(r: ClaimRecord) -> Result<Self, Corrupt> {
        Ok(Claim {
            campaign_id: CampaignId::parse(&r.campaign_id).map_err(|_| Corrupt("campaign id"))?,
            user_id: UserId::parse_stored(&r.user_id).map_err(|_| Corrupt("user id"))?,
            token: ClaimToken::from_stored(r.token),
            discount: cents(r.discount_cents)?,
            cart: cents(r.cart_cents)?,
            claimed_at: instant(r.claimed_at)?,
            currency: Currency::parse_stored(&r.currency).map_err(|_| Corrupt("currency"))?,
            expires_at: r.expires_at.map(instant).transpose()?,
            redemption: match (
                r.order_id,
                r.redeemed_cart_cents,
                r.redeemed_discount_cents,
                r.redeemed_at,
            ) {
                (Some(order), Some(cart), Some(discount), Some(at)) => Some(Redemption {
                    order_id: OrderId::parse_stored(&order).map_err(|_| Corrupt("order id"))?,
                    cart: cents(cart)?,
                    discount: cents(discount)?,
                    redeemed_at: instant(at)?,
                }),
                (None, None, None, None) => None,
                _ => return Err(Corrupt("redemption")),
            },
            voided_at: r.voided_at.map(instant).transpose()?,
            void_reason: r
                .void_reason
                .as_deref()
                .map(VoidReason::parse)
                .transpose()
                .map_err(|_| Corrupt("void reason"))?,
            expired_at: r.expired_at.map(instant).transpose()?,
            status: match ClaimStatus::parse(&r.status) {
                Ok(ClaimStatus::Redeemed) if r.redeemed_at.is_none() => {
                    return Err(Corrupt("redemption"));
                }
                // The instant and the reason of a void are written by the void, with its
                // status; a reason without its instant, or either on another status, is
                // damage. A voided claim without them was voided before they were recorded.
                Ok(status)
                    if (r.voided_at.is_some() && status != ClaimStatus::Voided)
                        || (r.void_reason.is_some() && r.voided_at.is_none()) =>
                {
                    return Err(Corrupt("void"));
                }
                Ok(status) if r.expired_at.is_some() && status != ClaimStatus::Expired => {
                    return Err(Corrupt("expiry"));
                }
                Ok(status) => status,
                Err(_) => return Err(Corrupt("claim status")),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClaimAttempt, NewCampaign, Units};

    #[test]
    fn records_round_trip_and_damage_is_named() {
        let now = DateTime::from_timestamp_millis(1_800_000_000_123).unwrap();
        let campaign = NewCampaign {
            id: CampaignId::parse("spring").unwrap(),
            name: "Spring".into(),
            inventory: Units::new(5).unwrap(),
            percent: "12.5".parse().unwrap(),
            max_discount: "10".parse().unwrap(),
            min_cart: "20".parse().unwrap(),
            currency: Currency::default(),
            starts_at: Some(now),
            ends: crate::domain::Ends::At(now + chrono::TimeDelta::hours(1)),
            hold: None,
        }
        .validate(now)
        .unwrap();
        let record = CampaignRecord::from(&campaign);
        assert_eq!(Campaign::try_from(record.clone()), Ok(campaign.clone()));
        let damaged = [
            (
                CampaignRecord {
                    id: "No Slug".into(),
                    ..record.clone()
                },
                "campaign id",
            ),
            (
                CampaignRecord {
                    percent_bps: 0,
                    ..record.clone()
                },
                "percent",
            ),
            (
                CampaignRecord {
                    min_cart_cents: -1,
                    ..record.clone()
                },
                "amount",
            ),
            (
                CampaignRecord {
                    max_discount_cents: 1 << 53,
                    ..record.clone()
                },
                "amount",
            ),
            (
                CampaignRecord {
                    currency: "euro".into(),
                    ..record.clone()
                },
                "currency",
            ),
            (
                CampaignRecord {
                    remaining: -1,
                    ..record.clone()
                },
                "inventory",
            ),
            (
                CampaignRecord {
                    created_at: i64::MAX,
                    ..record.clone()
                },
                "timestamp",
            ),
        ];
        for (record, what) in damaged {
            assert_eq!(
                Campaign::try_from(record).unwrap_err().to_string(),
                format!("stored {what} is not valid")
            );
        }
        let claim = ClaimAttempt {
            campaign_id: CampaignId::parse("spring").unwrap(),
            user_id: UserId::parse("ana").unwrap(),
            cart: "50".parse().unwrap(),
            now,
        }
        .grant_in(
            &campaign,
            "5".parse().unwrap(),
            crate::domain::fixtures::token(1),
        );
        let record = ClaimRecord::from(&claim);
        assert_eq!(Claim::try_from(record.clone()), Ok(claim));
        let bad_user = ClaimRecord {
            user_id: String::new(),
            ..record.clone()
        };
        assert_eq!(Claim::try_from(bad_user), Err(Corrupt("user id")));
        let half_redeemed = ClaimRecord {
            status: "redeemed".into(),
            order_id: Some("o-1".into()),
            ..record.clone()
        };
        assert_eq!(Claim::try_from(half_redeemed), Err(Corrupt("redemption")));
        let bad_status = ClaimRecord {
            status: "lost".into(),
            ..record.clone()
        };
        assert_eq!(Claim::try_from(bad_status), Err(Corrupt("claim status")));
        let voided = ClaimRecord {
            status: "voided".into(),
            voided_at: Some(1_800_000_001_000),
            void_reason: Some("fraud".into()),
            ..record.clone()
        };
        let read = Claim::try_from(voided.clone()).unwrap();
        assert_eq!(
            read.void_reason.as_ref().map(VoidReason::as_str),
            Some("fraud")
        );
        assert_eq!(ClaimRecord::from(&read), voided);
        let expired = ClaimRecord {
            status: "expired".into(),
            expired_at: Some(1_800_000_002_000),
            ..record.clone()
        };
        assert_eq!(
            ClaimRecord::from(&Claim::try_from(expired.clone()).unwrap()),
            expired
        );
        // Voided or expired before the instants were recorded: read, with none.
        for status in ["voided", "expired"] {
            let old = ClaimRecord {
                status: status.into(),
                ..record.clone()
            };
            let read = Claim::try_from(old).unwrap();
            assert_eq!((read.voided_at, read.expired_at), (None, None));
        }
        for (damaged, what) in [
            (
                ClaimRecord {
                    voided_at: Some(1),
                    ..record.clone()
                },
                "void",
            ),
            (
                ClaimRecord {
                    status: "voided".into(),
                    void_reason: Some("fraud".into()),
                    ..record.clone()
                },
                "void",
            ),
            (
                ClaimRecord {
                    status: "voided".into(),
                    expired_at: Some(1),
                    ..record.clone()
                },
                "expiry",
            ),
            (
                ClaimRecord {
                    status: "voided".into(),
                    voided_at: Some(1),
                    void_reason: Some("two\nlines".into()),
                    ..record
                },
                "void reason",
            ),
        ] {
            assert_eq!(Claim::try_from(damaged), Err(Corrupt(what)));
        }
    }
}
