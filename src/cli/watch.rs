//! `flashsale campaign watch`: a running sale, read from the store every `--interval`.
//!
//! On a terminal it is a full-screen view (ratatui on crossterm): the campaign's state and
//! window, the units left as a gauge, the current pace and claims per second over the last
//! minutes as a sparkline, redemptions, voids and expiries, and when the stock runs out at the
//! current pace. Off a terminal it prints one line per campaign per read, and with `-o json`
//! one JSON document per read, each on one line. Every figure comes from the store (see
//! [`LiveSale`]), so the view is the same whichever processes, or how many `serve` instances,
//! make the claims.
//!
//! The terminal is given back as it was when the view ends: on `q`, Esc or Ctrl-C, on an
//! error, on SIGTERM (the guard's `Drop`) and on a panic (ratatui's hook).

use std::io::IsTerminal as _;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use clap::Args;
use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use futures::StreamExt as _;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, Paragraph, Sparkline, Wrap};
use serde_json::{Value, json};

use super::output::{self, OutputFormat};
use super::sale_report::REFUSALS_NOTE;
use super::{Context, UsageError};
use crate::clock::SystemClock;
use crate::domain::{CampaignId, Invalid, LiveSale, PACE_SECONDS, SoldOutIn, rfc3339, shown};
use crate::error::Error;
use crate::service::CampaignService;
use crate::store::AnyStore;

/// Seconds of claims each JSON document carries (`claims_per_second`).
const JSON_SECONDS: usize = 60;

/// The longest history the sparkline draws, in seconds (one column per second).
const SPARK_SECONDS: usize = 300;

/// The shortest `--interval`: each read goes through every claim of the campaign.
const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// Arguments of `campaign watch`.
#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    /// The campaign to watch.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    id: Option<String>,
    /// Watch every campaign inside its window (live, paused or sold out), as they come and go.
    #[arg(long)]
    all: bool,
    /// How often to read the store: `1s`, `5s`, `500ms` (at least 100ms).
    #[arg(long, value_name = "DURATION", default_value = "1s")]
    interval: String,
    /// Stop after N reads (for scripts); without it, watch until `q`, Esc, Ctrl-C or SIGTERM.
    #[arg(long, value_name = "N")]
    ticks: Option<u64>,
}

/// `--interval`: milliseconds (`500ms`) or a duration like `--duration`'s (`1s`, `2m`).
fn interval(text: &str) -> Result<Duration, Invalid> {
    let duration = match text.strip_suffix("ms") {
        Some(ms) => ms.parse::<u64>().map(Duration::from_millis).map_err(|_| {
            Invalid::new(
                "--interval",
                format!("`{}` is not a duration like 500ms, 1s or 5s", shown(text)),
            )
        })?,
        None => super::parse::duration_named(text, "--interval")?
            .to_std()
            .unwrap_or(MIN_INTERVAL),
    };
    if duration < MIN_INTERVAL {
        return Err(Invalid::new(
            "--interval",
            format!("`{}` is shorter than 100ms", shown(text)),
        ));
    }
    Ok(duration)
}

/// What one tick watches.
enum Target {
    One(CampaignId),
    All,
}

/// Runs `campaign watch`.
pub(crate) async fn run(args: WatchArgs, ctx: &Context) -> anyhow::Result<()> {
    let every = interval(&args.interval)?;
    let target = match (&args.id, args.all) {
        (Some(id), _) => Target::One(CampaignId::parse(id)?),
        (None, true) => Target::All,
        (None, false) => return Err(UsageError("missing the campaign id, or --all".into()).into()),
    };
    if args.ticks == Some(0) {
        return Err(Invalid::new("--ticks", "must be at least 1").into());
    }
    let campaigns = ctx.campaigns().await?;
    // The first read before anything is drawn: an unknown campaign or an unreachable store is
    // an error with its exit code, not a screen.
    let first = read(&campaigns, &target).await?;
    let watch = Watch {
        campaigns,
        target,
        every,
        ticks: args.ticks,
    };
    if ctx.output == OutputFormat::Table && std::io::stdout().is_terminal() {
        watch.screen(first).await
    } else {
        watch.lines(first, ctx.output).await
    }
}

/// What one read of the store found.
struct Reading {
    /// When, by the store's clock.
    at: DateTime<Utc>,
    /// The watched campaign, or every campaign inside its window (possibly none).
    sales: Vec<LiveSale>,
}

/// One read of the store: the watched campaign, or every campaign inside its window.
async fn read(
    campaigns: &CampaignService<AnyStore, SystemClock>,
    target: &Target,
) -> Result<Reading, Error> {
    match target {
        Target::One(id) => {
            let sale = campaigns.live(id).await?;
            Ok(Reading {
                at: sale.at,
                sales: vec![sale],
            })
        }
        Target::All => {
            let (at, sales) = campaigns.live_all().await?;
            Ok(Reading { at, sales })
        }
    }
}

/// A watch in progress.
struct Watch {
    campaigns: CampaignService<AnyStore, SystemClock>,
    target: Target,
    every: Duration,
    ticks: Option<u64>,
}

impl Watch {
    /// Whether `done` reads are all that were asked for.
    fn finished(&self, done: u64) -> bool {
        self.ticks.is_some_and(|n| done >= n)
    }

    /// Off a terminal: a line (or a JSON document) per read, until `--ticks` or the reader
    /// goes away. A failed read after the first is reported in the stream and the next read
    /// tries again: a watch outlives a store that blinks.
    async fn lines(self, first: Reading, format: OutputFormat) -> anyhow::Result<()> {
        let mut ticker = tokio::time::interval(self.every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        let mut result: Result<Reading, Error> = Ok(first);
        let mut done = 0;
        loop {
            let text = match (&result, format) {
                (Ok(reading), OutputFormat::Json) => tick_json(reading).to_string(),
                (Ok(reading), OutputFormat::Table) => tick_lines(reading),
                (Err(err), OutputFormat::Json) => json!({
                    "error": {"kind": err.kind().as_str(), "message": err.to_string()}
                })
                .to_string(),
                (Err(err), OutputFormat::Table) => format!("error: {err}"),
            };
            if !output::print_line(&text)? {
                return Ok(());
            }
            done += 1;
            if self.finished(done) {
                return Ok(());
            }
            ticker.tick().await;
            result = read(&self.campaigns, &self.target).await;
        }
    }

    /// On a terminal: the full-screen view, redrawn on every read and every resize, until
    /// `q`, Esc, Ctrl-C or `--ticks`.
    async fn screen(self, first: Reading) -> anyhow::Result<()> {
        let mut screen = Screen::enter()?;
        let mut keys = EventStream::new();
        let mut ticker = tokio::time::interval(self.every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        let mut view = View {
            reading: first,
            error: None,
            every: self.every,
        };
        let mut done = 1;
        loop {
            screen.draw(&view)?;
            if self.finished(done) {
                return Ok(());
            }
            tokio::select! {
                _ = ticker.tick() => {
                    match read(&self.campaigns, &self.target).await {
                        Ok(reading) => {
                            view.reading = reading;
                            view.error = None;
                        }
                        Err(err) => view.error = Some(err.to_string()),
                    }
                    done += 1;
                }
                event = keys.next() => match event {
                    Some(Ok(Event::Key(key))) if leaves(key) => return Ok(()),
                    // A resize (or any other event) is answered by the redraw above, at the
                    // new size.
                    Some(Ok(_)) => {}
                    Some(Err(err)) => return Err(err.into()),
                    None => return Ok(()),
                }
            }
        }
    }
}

/// Whether a key ends the view: `q`, Esc, or Ctrl-C (which raw mode delivers as a key).
fn leaves(key: KeyEvent) -> bool {
    key.kind == KeyEventKind::Press
        && match key.code {
            KeyCode::Char('q' | 'Q') | KeyCode::Esc => true,
            KeyCode::Char('c') => key.modifiers.contains(KeyModifiers::CONTROL),
            _ => false,
        }
}

/// The terminal in full-screen raw mode, given back when dropped.
struct Screen(ratatui::DefaultTerminal);

impl Screen {
    /// Enters the alternate screen and raw mode; `ratatui::init`'s panic hook gives the
    /// terminal back before a panic message prints.
    fn enter() -> anyhow::Result<Screen> {
        ratatui::try_init().map(Screen).map_err(|err| {
            // Raw mode may be on though the alternate screen failed.
            ratatui::restore();
            err.into()
        })
    }

    fn draw(&mut self, view: &View) -> anyhow::Result<()> {
        self.0.draw(|frame| view.render(frame))?;
        Ok(())
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// What the screen shows.
struct View {
    reading: Reading,
    /// The last read's failure, shown until a read succeeds.
    error: Option<String>,
    every: Duration,
}

impl View {
    fn render(&self, frame: &mut Frame) {
        let [body, footer] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(3)]).areas(frame.area());
        let colour = std::env::var_os("NO_COLOR").is_none();
        let all = &self.reading.sales;
        let mut shown = all.len();
        match all.as_slice() {
            [] => frame.render_widget(
                Paragraph::new("no campaign inside its window (live, paused or sold out)"),
                body,
            ),
            [sale] => render_sale(frame, body, sale, colour),
            sales => {
                let rows = usize::from(body.height / SALE_ROWS).max(1);
                let areas = Layout::vertical(vec![Constraint::Length(SALE_ROWS); rows]).split(body);
                shown = rows.min(sales.len());
                for (sale, area) in sales.iter().zip(areas.iter()) {
                    render_sale(frame, *area, sale, colour);
                }
            }
        }
        let at = rfc3339(self.reading.at);
        // Campaigns past the screen's height are not drawn: say so rather than drop them
        // silently.
        let hidden = match all.len() - shown {
            0 => String::new(),
            n => format!(" · {n} more campaigns below the screen: enlarge it"),
        };
        let status = if let Some(err) = &self.error {
            Line::from(Span::styled(
                format!("read failed, retrying: {err}"),
                Style::new().add_modifier(Modifier::BOLD),
            ))
        } else {
            Line::from(format!(
                "read {at}, every {} ms · q, Esc or Ctrl-C to leave{hidden}",
                self.every.as_millis()
            ))
        };
        frame.render_widget(
            Paragraph::new(vec![status, Line::from(format!("note: {REFUSALS_NOTE}"))])
                .wrap(Wrap { trim: true }),
            footer,
        );
    }
}

/// Rows one campaign takes when several are watched: border, gauge, figures, sparkline.
const SALE_ROWS: u16 = 7;

/// One campaign: a bordered block with its gauge, its figures and its sparkline.
fn render_sale(frame: &mut Frame, area: Rect, sale: &LiveSale, colour: bool) {
    let c = &sale.report.campaign;
    let n = &sale.report.counts;
    let block = Block::bordered().title(format!(
        " {} ({}) · {} · {} → {} ",
        c.id,
        c.name,
        sale.state(),
        rfc3339(c.window.starts_at),
        rfc3339(c.window.ends_at),
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [gauge, figures, spark] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Min(1),
    ])
    .areas(inner);
    let total = c.total().max(1);
    let percent = u16::try_from(c.remaining().clamp(0, total) * 100 / total).unwrap_or(0);
    let style = if colour {
        Style::new().fg(Color::Green).bg(Color::Black)
    } else {
        Style::new()
    };
    frame.render_widget(
        Gauge::default()
            .gauge_style(style)
            .percent(percent)
            .label(format!(
                "remaining {} of {} ({percent} %)",
                c.remaining(),
                c.total()
            )),
        gauge,
    );
    let lines = vec![
        Line::from(format!(
            "pace {}   sold out {}   claimed {}",
            sale.pace(),
            sold_out_text(sale.sold_out_in()),
            n.claimed()
        )),
        Line::from(format!(
            "open {}   redeemed {}   voided {}   expired {}",
            n.open, n.redeemed, n.voided, n.expired
        )),
    ];
    frame.render_widget(Paragraph::new(lines), figures);
    let seconds = usize::from(spark.width).min(SPARK_SECONDS);
    let data = sale.claims_per_second(seconds);
    let title = format!("claims per second, last {seconds} s");
    let [label, bars] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(spark);
    frame.render_widget(Paragraph::new(title), label);
    frame.render_widget(Sparkline::default().data(&data), bars);
}

/// `in 2m 40s`, `now`, `-` (not live), `stalled`: when the stock runs out.
fn sold_out_text(eta: SoldOutIn) -> String {
    match eta {
        SoldOutIn::Now => "now".to_owned(),
        SoldOutIn::After(delta) => format!("in {}", span(delta)),
        SoldOutIn::NotLive => "- (not live)".to_owned(),
        SoldOutIn::Stalled => format!("- (no claim in {PACE_SECONDS} s)"),
    }
}

/// `delta` to the second: `45s`, `2m 40s`, `1h 05m`.
fn span(delta: TimeDelta) -> String {
    let s = delta.num_seconds().max(0);
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, secs) => format!("{secs}s"),
        (0, mins, secs) => format!("{mins}m {secs:02}s"),
        (hours, mins, _) => format!("{hours}h {mins:02}m"),
    }
}

/// One plain line per campaign of a read, `key=value` fields for `grep` and `awk`.
fn tick_lines(reading: &Reading) -> String {
    if reading.sales.is_empty() {
        return format!("{} no campaign inside its window", rfc3339(reading.at));
    }
    reading
        .sales
        .iter()
        .map(|sale| {
            let c = &sale.report.campaign;
            let n = &sale.report.counts;
            let eta = match sale.sold_out_in() {
                SoldOutIn::Now => "now".to_owned(),
                SoldOutIn::After(delta) => format!("{}s", delta.num_seconds()),
                SoldOutIn::NotLive | SoldOutIn::Stalled => "-".to_owned(),
            };
            format!(
                "{} {} {} remaining={}/{} claimed={} pace={} open={} redeemed={} voided={} \
                 expired={} sold_out_in={eta}",
                rfc3339(sale.at),
                c.id,
                sale.state(),
                c.remaining(),
                c.total(),
                n.claimed(),
                sale.pace(),
                n.open,
                n.redeemed,
                n.voided,
                n.expired,
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One JSON document for a read: every watched campaign, and why refusals are absent.
fn tick_json(reading: &Reading) -> Value {
    json!({
        "at": rfc3339(reading.at),
        "campaigns": reading.sales.iter().map(sale_json).collect::<Vec<_>>(),
        "refusals": {"recorded": false, "note": REFUSALS_NOTE},
    })
}

fn sale_json(sale: &LiveSale) -> Value {
    let c = &sale.report.campaign;
    let n = &sale.report.counts;
    let pace = sale.pace();
    let (estimate, seconds) = match sale.sold_out_in() {
        SoldOutIn::Now => ("now", Some(0)),
        SoldOutIn::After(delta) => ("after", Some(delta.num_seconds())),
        SoldOutIn::NotLive => ("not_live", None),
        SoldOutIn::Stalled => ("stalled", None),
    };
    json!({
        "at": rfc3339(sale.at),
        "campaign_id": c.id,
        "name": c.name,
        "state": sale.state().to_string(),
        "starts_at": rfc3339(c.window.starts_at),
        "ends_at": rfc3339(c.window.ends_at),
        "units": c.total(),
        "remaining": c.remaining(),
        "claimed": n.claimed(),
        "open": n.open,
        "redeemed": n.redeemed,
        "voided": n.voided,
        "expired": n.expired,
        "pace": {"claims": pace.claims, "seconds": pace.seconds},
        "claims_per_second": sale.claims_per_second(JSON_SECONDS),
        "sold_out": {"estimate": estimate, "in_seconds": seconds},
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        BucketWidth, Cents, Currency, Ends, NewCampaign, Percent, SaleCounts, SaleReport, Units,
    };
    use ratatui::backend::TestBackend;

    /// Campaign `id`, 100 units, live for an hour from `at`, with no claim, read at `at`.
    fn sale(id: &str, at: DateTime<Utc>) -> LiveSale {
        let campaign = NewCampaign {
            id: CampaignId::parse(id).unwrap(),
            name: format!("Sale {id}"),
            inventory: Units::new(100).unwrap(),
            percent: Percent::from_bps(1_000).unwrap(),
            max_discount: Cents::new(500).unwrap(),
            min_cart: Cents::new(0).unwrap(),
            currency: Currency::default(),
            starts_at: Some(at),
            ends: Ends::After(TimeDelta::hours(1)),
            hold: None,
        }
        .validate(at)
        .unwrap();
        LiveSale {
            report: SaleReport {
                campaign,
                width: BucketWidth::Second,
                counts: SaleCounts::default(),
            },
            at,
        }
    }

    /// The view drawn on a screen of `width` x `height`, as text.
    fn drawn(view: &View, width: u16, height: u16) -> String {
        let mut terminal = ratatui::Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|frame| view.render(frame)).unwrap();
        let buffer = terminal.backend().buffer();
        (0..height)
            .map(|y| {
                (0..width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn campaigns_past_the_screen_are_counted_not_dropped_silently() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let view = View {
            reading: Reading {
                at,
                sales: ["a1", "b2", "c3", "d4"].map(|id| sale(id, at)).to_vec(),
            },
            error: None,
            every: Duration::from_secs(1),
        };
        // 24 rows: 21 for campaigns of 7 rows each, so 3 of the 4.
        let screen = drawn(&view, 100, 24);
        assert!(screen.contains("c3 (Sale c3)"), "{screen}");
        assert!(!screen.contains("d4 (Sale d4)"), "{screen}");
        assert!(screen.contains("1 more campaigns below"), "{screen}");
        let tall = drawn(&view, 100, 40);
        assert!(
            tall.contains("d4 (Sale d4)") && !tall.contains("more campaigns"),
            "{tall}"
        );
    }

    #[test]
    fn intervals_take_milliseconds_or_durations_and_refuse_less_than_100ms() {
        assert_eq!(interval("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(interval("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(interval("1m").unwrap(), Duration::from_secs(60));
        for bad in ["99ms", "0s", "fast", "ms", ""] {
            let err = interval(bad).unwrap_err();
            assert_eq!(err.field, "--interval", "{bad}");
        }
    }

    #[test]
    fn spans_read_to_the_second() {
        assert_eq!(span(TimeDelta::seconds(45)), "45s");
        assert_eq!(span(TimeDelta::seconds(160)), "2m 40s");
        assert_eq!(span(TimeDelta::seconds(3_900)), "1h 05m");
    }

    #[test]
    fn q_esc_and_ctrl_c_leave_other_keys_do_not() {
        let key = |code, modifiers| KeyEvent::new(code, modifiers);
        assert!(leaves(key(KeyCode::Char('q'), KeyModifiers::NONE)));
        assert!(leaves(key(KeyCode::Esc, KeyModifiers::NONE)));
        assert!(leaves(key(KeyCode::Char('c'), KeyModifiers::CONTROL)));
        assert!(!leaves(key(KeyCode::Char('c'), KeyModifiers::NONE)));
        assert!(!leaves(key(KeyCode::Char('x'), KeyModifiers::NONE)));
    }
}
